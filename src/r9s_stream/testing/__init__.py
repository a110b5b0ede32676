"""``r9s_stream.testing``: fake chat-completion streams for your own tests.

Serve recorded or scripted SSE bytes through an ``httpx.MockTransport`` in pieces of a
chosen size, so the client under test sees the same chunked reads a network produces::

    from r9s_stream import testing

    body = testing.load_sse("tests/fixtures/my-capture.sse")
    transport = testing.sse_transport(body, piece_size=7)      # or seed=42: random pieces
    async with httpx.AsyncClient(transport=transport) as http:
        async with rs.aconnect_chat_stream(http, "POST", "https://x/v1/chat/completions", json={}) as s:
            completion = await s.until_done()
"""

from ._transport import load_sse, split_pieces, sse_transport

__all__ = ["load_sse", "split_pieces", "sse_transport"]
