"""Checks on a response before its body is streamed: status first, then content type."""

from __future__ import annotations

from collections.abc import Mapping
from http import HTTPStatus
from typing import TYPE_CHECKING, Any

import msgspec

from .._exceptions import APIStatusError, StreamAPIError, UnexpectedContentTypeError
from ._close import close_response
from ._errors import is_transport_error

if TYPE_CHECKING:
    from ._types import HTTPResponse

__all__ = ["REQUEST_ID_HEADERS", "check_response", "error_fields", "request_id_of"]

# Where servers put the id of a request: OpenAI and most others, the r9s gateway
# (open-next-router), Anthropic.
REQUEST_ID_HEADERS = ("x-request-id", "x-onr-request-id", "request-id")

# Reason phrases for HTTP/2 answers, which carry none (httpx then reports "").
_REASONS = {status.value: status.phrase for status in HTTPStatus}

# Enough of an error body to show the server's message; a hostile server cannot make us
# buffer more than this before we give up on it.
_MAX_ERROR_BODY = 256 * 1024
# A whole answer sent as JSON instead of a stream is read whole, up to this.
_MAX_WHOLE_BODY = 16 * 1024 * 1024


async def check_response(response: HTTPResponse) -> bytes | None:
    """Raise the typed error for a response that cannot be a stream.

    Returns ``None`` for an event stream, and the whole body of a 2xx JSON object that is not
    an error (an upstream that ignored ``stream: true`` answers so): whether that is a whole
    answer is the kind's to say (``UnexpectedContentTypeError`` if not).
    """
    if not response.is_success:
        body = await _read_start(response, _MAX_ERROR_BODY)
        raise _status_error(response, body)
    content_type = response.headers.get("content-type", "")
    media_type = content_type.partition(";")[0].strip().lower()
    if "text/event-stream" in media_type:
        return None
    is_json = media_type == "application/json" or media_type.endswith("+json")
    body = await _read_start(response, _MAX_WHOLE_BODY if is_json else _MAX_ERROR_BODY)
    parsed = _parse_json(body)
    if isinstance(parsed, dict) and parsed.get("error"):
        # Some gateways answer 200 with a JSON error instead of a stream.
        message, error_type, code = error_fields(parsed, body)
        raise StreamAPIError(message, error_type=error_type, code=code, body=_text(body))
    if is_json and isinstance(parsed, dict):
        return body
    raise UnexpectedContentTypeError(content_type, _text(body)[:200])


def error_fields(parsed: object, body: bytes) -> tuple[str, str | None, str | None]:
    """The message, type and code of an error body, in the shapes servers use."""
    error: Any = parsed.get("error", parsed) if isinstance(parsed, dict) else None
    if isinstance(error, dict):
        message = error.get("message") or error.get("detail") or error.get("msg")
        error_type = error.get("type")
        code = error.get("code")
        return (
            str(message) if message else _text(body)[:500],
            None if error_type is None else str(error_type),
            None if code is None else str(code),
        )
    if isinstance(error, str) and error:
        return error, None, None
    return _text(body)[:500], None, None


def request_id_of(headers: Mapping[str, str]) -> str | None:
    """The request id a response carries (``x-request-id``, ``X-Onr-Request-Id``, ``request-id``)."""
    for name in REQUEST_ID_HEADERS:
        value = headers.get(name)
        if value:
            return value
    return None


def _status_error(response: HTTPResponse, body: bytes) -> APIStatusError:
    parsed = _parse_json(body)
    if parsed is None and _looks_like_events(body):
        # A converted stream's error status (the r9s gateway sends `data: [DONE]`, or a
        # `data: {"error": …}` event): the error object, if any, is inside an event.
        parsed = _event_error(body)
    if parsed is None and (not body.strip() or _looks_like_events(body)):
        # Nothing said but the status: its reason is the message, the raw body stays in `.body`.
        message, error_type, code = "", None, None
    else:
        message, error_type, code = error_fields(parsed, body)
    if not message.strip():
        message = response.reason_phrase or _REASONS.get(response.status_code, "(no message)")
    return APIStatusError(
        message,
        status_code=response.status_code,
        body=parsed if parsed is not None else _text(body),
        request_id=request_id_of(response.headers),
        error_type=error_type,
        code=code,
        # A plain dict: redaction cleans it like every other field, should a server echo the key.
        headers={name.lower(): value for name, value in response.headers.items()},
    )


def _looks_like_events(body: bytes) -> bool:
    """Whether a body is server-sent events (``data:`` / ``event:`` / comment lines)."""
    start = body.lstrip()[:6]
    return start.startswith((b"data:", b"event:", b":", b"id:", b"retry:"))


def _event_error(body: bytes) -> object:
    """The first ``data:`` payload of an event-stream body that is a JSON object with ``error``."""
    for line in body.replace(b"\r\n", b"\n").split(b"\n"):
        if line.startswith(b"data:"):
            parsed = _parse_json(line[5:])
            if isinstance(parsed, dict) and parsed.get("error"):
                return parsed
    return None


async def _read_start(response: HTTPResponse, limit: int) -> bytes:
    parts: list[bytes] = []
    size = 0
    try:
        async for part in response.aiter_bytes():
            parts.append(part)
            size += len(part)
            if size >= limit:
                break
    except Exception as exc:
        if not is_transport_error(exc):
            raise
        # the error is about the status; a body cut short still shows what it has
    finally:
        await close_response(response)
    return b"".join(parts)[:limit]


def _parse_json(body: bytes) -> object:
    try:
        return msgspec.json.decode(body) if body.strip() else None
    except (msgspec.DecodeError, UnicodeDecodeError):
        return None


def _text(body: bytes) -> str:
    return body.decode("utf-8", "replace")
