"""What a batch gives back for each request, and its line in OpenAI's Batch output format.

A line: ``{"id", "custom_id", "response": {"status_code", "request_id", "body"} | null,
"error": {"code", "message"} | null, "stats": {…}}``. ``response`` is ``null`` only when
nothing was answered (the connection was refused); a stream cut at its last attempt keeps
its partial completion with status 200, and an error status keeps the server's error body.
"""

from __future__ import annotations

import os
from typing import Any

import msgspec

from .._chat._models import ChatCompletion

__all__ = ["BatchResult", "BatchStats", "body_builtins", "output_line"]


class BatchStats(msgspec.Struct, kw_only=True, gc=False):
    """Figures of one request (its last attempt for the times).

    ``time_to_first_token`` and ``duration`` are seconds from sending to the first token and
    to the end; ``tokens_per_second`` counts completion tokens after the first one.
    """

    time_to_first_token: float | None = None
    duration: float | None = None
    attempts: int = 0
    tokens_per_second: float | None = None
    prompt_tokens: int | None = None
    completion_tokens: int | None = None


class BatchResult(msgspec.Struct, kw_only=True):
    """The outcome of one request of a batch: a success, or a failure that keeps what arrived.

    ``body`` is the rebuilt answer (a ``ChatCompletion``, ``"object": "chat.completion"``), the
    partial one of a stream that broke at its last attempt, or the server's error body;
    ``None`` when nothing was answered. ``error`` is ``{"code", "message"}`` for a failure.
    ``retries`` names the cause of each retry (``"429"``, ``"503"``, ``"connect"``, ``"cut"`` …).
    """

    custom_id: str
    status_code: int | None = None
    request_id: str | None = None
    body: Any = None
    error: dict[str, str] | None = None
    stats: BatchStats = msgspec.field(default_factory=BatchStats)
    retries: tuple[str, ...] = ()

    @property
    def ok(self) -> bool:
        """Whether the request succeeded: a 2xx answer, streamed to its end."""
        return self.error is None and self.status_code is not None and 200 <= self.status_code < 300

    def body_json(self) -> str | None:
        """``body`` as JSON text (``None`` when nothing was answered)."""
        return None if self.body is None else msgspec.json.encode(body_builtins(self.body)).decode()

    def error_json(self) -> str | None:
        """``error`` as JSON text (``None`` for a success)."""
        return None if self.error is None else msgspec.json.encode(self.error).decode()


class _Response(msgspec.Struct, gc=False):
    status_code: int
    request_id: str | None
    body: Any


class _OutputLine(msgspec.Struct, gc=False):
    id: str
    custom_id: str
    response: _Response | None
    error: dict[str, str] | None
    stats: BatchStats


_encoder = msgspec.json.Encoder()


def body_builtins(body: Any) -> Any:
    """``body`` as JSON-ready values: a completion as the non-streaming endpoint returns it.

    ``parsed`` (this library's, never on the wire) is left out where it is ``None``.
    """
    if not isinstance(body, ChatCompletion):
        return body
    value = msgspec.to_builtins(body)
    for choice in value["choices"]:
        message = choice["message"]
        if message.get("parsed") is None:
            message.pop("parsed", None)
        for call in message.get("tool_calls") or ():
            if call["function"].get("parsed") is None:
                call["function"].pop("parsed", None)
    return value


def output_line(result: BatchResult) -> bytes:
    """The result's line of an OpenAI Batch output file, newline included."""
    response = (
        None
        if result.status_code is None
        else _Response(result.status_code, result.request_id, body_builtins(result.body))
    )
    line_id = f"batch_req_{os.urandom(12).hex()}"
    line = _OutputLine(line_id, result.custom_id, response, result.error, result.stats)
    return _encoder.encode(line) + b"\n"
