"""A small hostile ASGI server for the security tests (run by uvicorn, see _reliability.py).

Routes (all POST):

- ``/to/PORT/REST``: 307 to ``http://127.0.0.1:PORT/REST`` (method and body kept).
- ``/v1/chat/completions``: one chunk whose content is the Authorization header received
  (``<none>`` without one), then ``[DONE]``: shows whether a redirect carried the key.
- ``/echo/status/v1/chat/completions``: 401 whose JSON error echoes the Authorization header in
  every field, and in ``x-request-id``.
- ``/echo/stream-error/v1/chat/completions``: a chunk, then ``data: {"error": …}`` echoing it.
- ``/echo/malformed/v1/chat/completions``: a chunk, then a payload that is not JSON, echoing it.
- ``/echo/html/v1/chat/completions``: a 200 HTML page echoing it.
- ``/echo/named-error/v1/chat/completions``: ``event: error`` whose data is the raw header.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]

_CHUNK = {"id": "c1", "object": "chat.completion.chunk", "created": 1, "model": "m"}


def _data(payload: object) -> bytes:
    return b"data: " + json.dumps(payload).encode() + b"\n\n"


def _content_chunk(text: str) -> bytes:
    return _data({**_CHUNK, "choices": [{"index": 0, "delta": {"content": text}, "finish_reason": None}]})


async def _respond(send: Send, status: int, content_type: str, body: bytes, **headers: str) -> None:
    raw_headers = [(b"content-type", content_type.encode())]
    raw_headers += [(name.replace("_", "-").encode(), value.encode()) for name, value in headers.items()]
    await send({"type": "http.response.start", "status": status, "headers": raw_headers})
    await send({"type": "http.response.body", "body": body})


async def app(scope: Scope, receive: Receive, send: Send) -> None:
    """Route a request; see the module docstring."""
    if scope["type"] != "http":
        return
    while (await receive()).get("more_body"):
        pass  # the body is not needed
    headers = {name.decode().lower(): value.decode() for name, value in scope["headers"]}
    auth = headers.get("authorization", "<none>")
    path = scope["path"]
    if path.startswith("/to/"):
        port, _, rest = path.removeprefix("/to/").partition("/")
        await _respond(send, 307, "text/plain", b"moved", location=f"http://127.0.0.1:{int(port)}/{rest}")
    elif path == "/v1/chat/completions":
        await _respond(send, 200, "text/event-stream", _content_chunk(auth) + b"data: [DONE]\n\n")
    elif path == "/echo/status/v1/chat/completions":
        error = {"message": f"bad key {auth}", "type": auth, "code": auth, "param": auth}
        body = json.dumps({"error": error, "echo": [auth]}).encode()
        await _respond(send, 401, "application/json", body, x_request_id=auth)
    elif path == "/echo/stream-error/v1/chat/completions":
        error = {"message": f"bad key {auth}", "type": auth, "code": auth, "param": auth}
        await _respond(send, 200, "text/event-stream", _content_chunk("ok") + _data({"error": error}))
    elif path == "/echo/malformed/v1/chat/completions":
        body = _content_chunk("ok") + b'data: {"broken": "' + auth.encode() + b"\n\n"
        await _respond(send, 200, "text/event-stream", body)
    elif path == "/echo/html/v1/chat/completions":
        await _respond(send, 200, "text/html", f"<html>bad key {auth}</html>".encode())
    elif path == "/echo/named-error/v1/chat/completions":
        body = _content_chunk("ok") + b"event: error\ndata: " + auth.encode() + b"\n\n"
        await _respond(send, 200, "text/event-stream", body)
    else:
        await _respond(send, 404, "text/plain", b"not found")
