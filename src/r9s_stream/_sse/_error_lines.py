"""Errors a server writes into an event stream as JSON: shared by the data-only kinds (chat, Completions).

``{"error": {...}}`` arrives as a ``data:`` payload, under ``event: error``, or as a bare JSON
line outside any field (what the r9s gateway appends when its upstream breaks, which the
WHATWG rules would ignore). Each becomes a ``StreamAPIError`` with the fields it carries.
"""

from __future__ import annotations

from typing import Any

import msgspec

from .._exceptions import StreamAPIError

__all__ = ["ErrorEnvelope", "api_error_from", "bare_error_line", "decode_error_envelope"]


class ErrorEnvelope(msgspec.Struct, gc=False):
    """A payload's ``error`` member, whatever its shape (object, string, absent)."""

    error: Any = None


decode_error_envelope = msgspec.json.Decoder(ErrorEnvelope).decode


def bare_error_line(raw: bytes) -> StreamAPIError | None:
    """The error of a line of ``raw`` that is a bare JSON object with an ``error`` key, if any."""
    for line in raw.split(b"\n"):
        if line[:1] != b"{" or line.find(b'"error"') < 0:
            continue
        body = line.decode("utf-8", "replace")
        try:
            error = decode_error_envelope(body).error
        except (msgspec.DecodeError, RecursionError):
            continue
        if error is not None:
            return api_error_from(error, body)
    return None


def api_error_from(error: object, body: str) -> StreamAPIError:
    """The ``StreamAPIError`` of an ``error`` member: an object (message, type, code, param) or text."""
    if isinstance(error, dict):
        message = error.get("message") or error.get("detail") or body
        return StreamAPIError(
            str(message),
            error_type=_text(error.get("type")),
            code=_text(error.get("code")),
            param=_text(error.get("param")),
            body=body,
        )
    return StreamAPIError(str(error) if error else "the server reported an error", body=body)


def _text(value: object) -> str | None:
    return None if value is None else str(value)
