"""The embedded server's ASGI app: OpenAI's chat-completions, completions, responses and models endpoints.

A plain ASGI callable (uvicorn parses HTTP); it answers from the testing kit's scenarios
chosen by model name (see ``_catalogue``), sending each chunk after ``token_delay`` seconds.
Each POST endpoint (``ENDPOINTS``) says only what is its own: the body it accepts, its
reply's wire format, its whole answer (see ``_endpoint``).
"""

from __future__ import annotations

import asyncio
import itertools
import logging
import time
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

import msgspec

from .._scripted import ChatScenario, Disconnect, Pause, Stall
from ._catalogue import MODELS, Catalogue, ErrorReply, StreamReply
from ._completions import COMPLETIONS
from ._endpoint import Endpoint
from ._messages import MESSAGES
from ._responses import RESPONSES

__all__ = ["ENDPOINTS", "ChatServerApp"]

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]

MAX_BODY = 16 * 1024 * 1024
_JSON = [(b"content-type", b"application/json")]


class HangUp(Exception):
    """Raised inside the app to make uvicorn cut the connection mid-body (``fault-disconnect``)."""


class _QuietHangUps(logging.Filter):
    """Keeps the deliberate hang-ups out of uvicorn's error log."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not (record.exc_info and isinstance(record.exc_info[1], HangUp))


logging.getLogger("uvicorn.error").addFilter(_QuietHangUps())


class _Chat:
    """``POST /chat/completions``: messages in, ``chat.completion.chunk`` events out."""

    def problem(self, body: object) -> str | None:
        if not isinstance(body, dict) or not isinstance(body.get("messages"), list):
            return "the body must be a JSON object with a 'messages' list"
        return None

    def reply(
        self, catalogue: Catalogue, body: dict[str, Any], request: dict[str, Any], request_id: str
    ) -> StreamReply | ErrorReply:
        return catalogue.reply(body, request, request_id)

    def whole(self, scenario: ChatScenario) -> dict[str, Any]:
        completion: dict[str, Any] = msgspec.to_builtins(scenario.completion())
        for choice in completion["choices"]:  # `parsed` is the client's, never on the wire
            message = choice["message"]
            message.pop("parsed", None)
            for call in message.get("tool_calls") or ():
                call["function"].pop("parsed", None)
        return completion


# The POST endpoints, by path under /v1.
ENDPOINTS: dict[str, Endpoint] = {
    "/chat/completions": _Chat(),
    "/completions": COMPLETIONS,
    "/messages": MESSAGES,
    "/responses": RESPONSES,
}


class ChatServerApp:
    """ASGI app: ``POST /v1/chat/completions`` and ``/v1/completions`` (streaming or not), ``GET /v1/models``.

    ``api_key``: when set, requests must carry ``Authorization: Bearer <api_key>``.
    """

    def __init__(
        self,
        *,
        token_delay: float = 0.01,
        stall_seconds: float = 30.0,
        retry_after: float = 0.05,
        api_key: str | None = None,
    ) -> None:
        self.token_delay = token_delay
        self.catalogue = Catalogue(stall_seconds=stall_seconds, retry_after=retry_after)
        self.api_key = api_key
        self._request_ids = itertools.count(1)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            await _lifespan(receive, send)
            return
        if scope["type"] != "http":
            return
        path = scope["path"].removeprefix("/v1")
        method = scope["method"]
        request_id = f"req_r9s_{next(self._request_ids)}"
        endpoint = ENDPOINTS.get(path)
        if endpoint is None and path != "/models":
            await _error(
                send,
                ErrorReply(404, f"no route {method} {scope['path']}", "invalid_request_error"),
                request_id,
            )
        elif path == "/models" and method == "GET":
            await _json(send, 200, _models_list(), request_id)
        elif endpoint is not None and method == "POST":
            await self._answer(scope, receive, send, request_id, endpoint)
        else:
            await _error(
                send,
                ErrorReply(405, f"{method} is not allowed on {scope['path']}", "invalid_request_error"),
                request_id,
            )

    async def _answer(
        self, scope: Scope, receive: Receive, send: Send, request_id: str, endpoint: Endpoint
    ) -> None:
        headers = {k.decode("latin-1"): v.decode("latin-1") for k, v in scope["headers"]}
        if self.api_key is not None and headers.get("authorization") != f"Bearer {self.api_key}":
            error = ErrorReply(
                401, "Incorrect API key provided.", "authentication_error", code="invalid_api_key"
            )
            await _error(send, error, request_id)
            return
        raw = await _read_body(receive)
        try:
            body = msgspec.json.decode(raw) if raw is not None else None
        except msgspec.DecodeError:
            body = None
        problem = endpoint.problem(body)
        if problem is not None or not isinstance(body, dict):
            message = problem or "the body must be a JSON object"
            await _error(send, ErrorReply(400, message, "invalid_request_error"), request_id)
            return
        request = {"method": scope["method"], "path": scope["path"], "headers": headers, "body": body}
        reply = endpoint.reply(self.catalogue, body, request, request_id)
        if isinstance(reply, ErrorReply):
            await _error(send, reply, request_id)
        elif body.get("stream"):
            probe = headers.get("x-nextrouter-sse-probe") is not None
            await self._stream(reply, receive, send, request_id, probe=probe)
        else:
            await self._complete(reply, receive, send, request_id, endpoint)

    async def _stream(
        self, reply: StreamReply, receive: Receive, send: Send, request_id: str, *, probe: bool = False
    ) -> None:
        gone = _watch_disconnect(receive)
        try:
            if reply.before_headers and await _wait(gone, reply.before_headers):
                return
            headers = [
                (b"content-type", reply.content_type.encode()),
                (b"cache-control", b"no-cache"),
                (b"x-request-id", request_id.encode()),
            ]
            await send({"type": "http.response.start", "status": 200, "headers": headers})
            if probe:  # as the r9s gateway answers its probe header: at once, before the model
                await send({"type": "http.response.body", "body": b": R9S PROCESSING\n\n", "more_body": True})
            if reply.content_type.startswith("text/html"):
                await send({"type": "http.response.body", "body": b"<html><body>Gateway login</body></html>"})
                return
            if not reply.empty:
                for step in reply.scenario.steps():
                    if isinstance(step, Pause):
                        if await _wait(gone, step.seconds):
                            return
                    elif isinstance(step, Disconnect):
                        raise HangUp("fault-disconnect: cutting the connection mid-stream")
                    else:
                        if (
                            self.token_delay
                            and step != b"data: [DONE]\n\n"
                            and await _wait(gone, self.token_delay)
                        ):
                            return
                        await send({"type": "http.response.body", "body": step, "more_body": True})
                        # Yield to the loop: a client that went away is noticed (and further
                        # sends become no-ops) instead of asyncio warning about every write.
                        await asyncio.sleep(0)
                        if gone.done():
                            return
            await send({"type": "http.response.body", "body": b""})
        finally:
            gone.cancel()

    async def _complete(
        self, reply: StreamReply, receive: Receive, send: Send, request_id: str, endpoint: Endpoint
    ) -> None:
        """A non-streaming answer: the whole completion as one JSON object."""
        scenario = reply.scenario
        if scenario.fault is not None or reply.empty or reply.before_headers:
            gone = _watch_disconnect(receive)
            try:
                stall = reply.before_headers or (
                    scenario.fault.seconds if isinstance(scenario.fault, Stall) else 0
                )
                if stall and await _wait(gone, stall):
                    return
            finally:
                gone.cancel()
            message = f"simulated failure ({scenario.model}) while generating the completion"
            await _error(send, ErrorReply(500, message, "server_error"), request_id)
            return
        await _json(send, 200, endpoint.whole(scenario), request_id)


def _watch_disconnect(receive: Receive) -> asyncio.Task[Any]:
    """A task that finishes when the client goes away (the next ASGI message is a disconnect)."""

    async def watch() -> None:
        while (await receive())["type"] != "http.disconnect":
            pass

    return asyncio.ensure_future(watch())


async def _wait(gone: asyncio.Task[Any], seconds: float) -> bool:
    """Sleep ``seconds``; True (at once) if the client disconnected meanwhile."""
    done, _ = await asyncio.wait({gone}, timeout=seconds)
    return bool(done)


async def _read_body(receive: Receive) -> bytes | None:
    parts: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            return None
        part = message.get("body", b"")
        size += len(part)
        if size > MAX_BODY:
            return None
        parts.append(part)
        if not message.get("more_body", False):
            return b"".join(parts)


def _models_list() -> dict[str, Any]:
    created = int(time.time())
    return {
        "object": "list",
        "data": [
            {"id": name, "object": "model", "created": created, "owned_by": "r9s-stream"} for name in MODELS
        ],
    }


async def _json(send: Send, status: int, value: Any, request_id: str) -> None:
    headers = [*_JSON, (b"x-request-id", request_id.encode())]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": msgspec.json.encode(value)})


async def _error(send: Send, error: ErrorReply, request_id: str) -> None:
    headers = [*_JSON, (b"x-request-id", request_id.encode())]
    headers += [(k.encode(), v.encode()) for k, v in error.headers.items()]
    await send({"type": "http.response.start", "status": error.status, "headers": headers})
    await send({"type": "http.response.body", "body": error.body()})


async def _lifespan(receive: Receive, send: Send) -> None:
    while True:
        message = await receive()
        if message["type"] == "lifespan.startup":
            await send({"type": "lifespan.startup.complete"})
        elif message["type"] == "lifespan.shutdown":
            await send({"type": "lifespan.shutdown.complete"})
            return
