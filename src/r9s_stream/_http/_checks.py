"""Checks on a response before its body is streamed: status first, then content type."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import msgspec

from .._exceptions import APIStatusError, StreamAPIError, UnexpectedContentTypeError
from ._errors import is_transport_error

if TYPE_CHECKING:
    from ._types import HTTPResponse

__all__ = ["check_response", "error_fields"]

# Enough of an error body to show the server's message; a hostile server cannot make us
# buffer more than this before we give up on it.
_MAX_ERROR_BODY = 256 * 1024


async def check_response(response: HTTPResponse) -> None:
    """Raise the typed error for a response that cannot be a chat-completion stream."""
    if not response.is_success:
        body = await _read_start(response, _MAX_ERROR_BODY)
        raise _status_error(response, body)
    content_type = response.headers.get("content-type", "")
    if "text/event-stream" in content_type.partition(";")[0].lower():
        return
    body = await _read_start(response, _MAX_ERROR_BODY)
    parsed = _parse_json(body)
    if isinstance(parsed, dict) and parsed.get("error"):
        # Some gateways answer 200 with a JSON error instead of a stream.
        message, error_type, code = error_fields(parsed, body)
        raise StreamAPIError(message, error_type=error_type, code=code, body=_text(body))
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


def _status_error(response: HTTPResponse, body: bytes) -> APIStatusError:
    parsed = _parse_json(body)
    message, error_type, code = error_fields(parsed, body)
    if not message.strip():
        message = response.reason_phrase or "(no message)"
    return APIStatusError(
        message,
        status_code=response.status_code,
        body=parsed if parsed is not None else _text(body),
        request_id=response.headers.get("x-request-id") or response.headers.get("request-id"),
        error_type=error_type,
        code=code,
    )


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
        await response.aclose()
    return b"".join(parts)[:limit]


def _parse_json(body: bytes) -> object:
    try:
        return msgspec.json.decode(body) if body.strip() else None
    except (msgspec.DecodeError, UnicodeDecodeError):
        return None


def _text(body: bytes) -> str:
    return body.decode("utf-8", "replace")
