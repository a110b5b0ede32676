"""``r9s_stream.testing``: fake chat-completion streams for your own tests.

Describe a stream with Python values, or take a recorded ``.sse`` file, and serve it through
an ``httpx.MockTransport`` so the client under test reads it the way a network delivers it::

    import httpx
    import r9s_stream as rs
    from r9s_stream import testing

    scenario = testing.ChatScenario(
        text="Paris is sunny.",                      # streamed word by word
        reasoning="The user wants the weather.",     # `reasoning_content` deltas, first
        tool_calls=[testing.ScriptedToolCall("get_weather", {"city": "Paris"})],
        usage=True,                                  # a usage-only final chunk (counted)
    )
    async with httpx.AsyncClient(transport=scenario.transport()) as http:
        async with rs.aconnect_chat_stream(http, "POST", "https://test/v1/chat/completions") as s:
            assert await s.until_done() == scenario.completion()

``ChatScenario`` fields: ``text``, ``reasoning``, ``refusal``, ``tool_calls`` (each call's
arguments stream in ``fragments`` pieces; several calls are parallel calls with indexes 0, 1,
…), ``n`` (choices, interleaved), ``finish_reason``, ``usage`` (``True`` counted, ``False``
none, or a ``Usage``), ``prompt_tokens``, ``token_size`` (characters per chunk instead of
words), ``model``/``id``/``created``/``system_fingerprint``, ``delay`` (seconds before each
read) and ``fault``. Its methods: ``chunks()`` (payload dicts), ``encode()`` (the exact wire
bytes: compact JSON, ``data: …`` frames, ``data: [DONE]``), ``transport()``,
``completion()`` (the ``ChatCompletion`` the stream rebuilds to) and ``replace(**changes)``.

Faults (``after=N``: once N chunks have been sent):

- ``Truncate(after)``: the body ends cleanly without ``data: [DONE]``.
- ``Malformed(at, payload=…)``: chunk ``at`` is replaced by a payload that is not a chunk.
- ``MidStreamError(after, message=…, type=…, code=…)``: ``data: {"error": …}``, then the end.
- ``Stall(after, seconds)``: nothing for ``seconds``, then the rest (time out on it).
- ``Disconnect(after, error=httpx.RemoteProtocolError)``: reading the body raises ``error``.

Recordings: ``load_sse(path_or_name)`` reads a ``.sse`` file; ``sse_transport(body,
piece_size=N)`` or ``seed=S`` serves any bytes in N-byte or random 1..97-byte pieces;
``split_pieces`` is the cutting on its own.

A real server: ``run_server()`` starts the embedded OpenAI-compatible HTTP server (uvicorn,
the ``server`` extra) on a free loopback port in a background thread with its own event
loop, so asyncio and trio tests use it alike; it starts and stops in about 0.1 s::

    with testing.run_server(token_delay=0.0, stall_seconds=30.0, api_key=None) as base_url:
        ...   # base_url == "http://127.0.0.1:PORT/v1"

The model name picks the answer: ``echo`` (the default, also for unknown names),
``reasoning``, ``tool-call``, ``parallel-tool-calls``, ``structured-output`` (JSON for the
request's ``response_format``), ``schema-tool-calls`` (a call of each tool in the request,
arguments valid for its schema), ``refusal``, ``long``,
``inspect-request``, the faults ``fault-truncate``, ``fault-malformed``, ``fault-error``,
``fault-stall``, ``fault-stall-start``, ``fault-slow-headers``, ``fault-disconnect``,
``fault-empty``, ``fault-content-type``, and ``status-NNN`` / ``status-NNN-xK`` (HTTP NNN,
for the first K requests only). The full table is in ``r9s_stream._server._catalogue``.
"""

from .._scripted import (
    ChatScenario,
    Disconnect,
    Fault,
    Malformed,
    MidStreamError,
    Pause,
    ScriptedToolCall,
    Stall,
    Step,
    StepsStream,
    Truncate,
    load_sse,
    split_pieces,
    split_tokens,
    sse_transport,
    steps_transport,
)
from ._server_thread import run_server

__all__ = [
    "ChatScenario",
    "Disconnect",
    "Fault",
    "Malformed",
    "MidStreamError",
    "Pause",
    "ScriptedToolCall",
    "Stall",
    "Step",
    "StepsStream",
    "Truncate",
    "load_sse",
    "run_server",
    "split_pieces",
    "split_tokens",
    "sse_transport",
    "steps_transport",
]
