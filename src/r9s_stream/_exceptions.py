"""The errors r9s_stream raises.

```
R9sStreamError                      base of everything below
├── APIStatusError                  non-2xx answer: status, server message, body, request id
├── UnexpectedContentTypeError      a 2xx answer that is not ``text/event-stream``
└── StreamError                     the stream started, then failed; ``.completion`` keeps
    │                               the partial ChatCompletion rebuilt before the failure
    ├── StreamAPIError              the server sent an error inside the stream
    ├── StreamDecodeError           a payload that is not a valid chunk (raw data, position)
    │   └── EventTooLargeError      one event grew past ``max_event_size``
    └── IncompleteStreamError       the stream ended before ``data: [DONE]``
        └── StreamTimeoutError      no chunk / byte within a timeout (also a TimeoutError)
```

httpx transport errors raised before the response starts pass through unwrapped, so that
retry policies can decide on them. A transport error after the stream has started becomes an
``IncompleteStreamError`` with the httpx error as its ``__cause__``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ._models import ChatCompletion

__all__ = [
    "APIStatusError",
    "EventTooLargeError",
    "IncompleteStreamError",
    "R9sStreamError",
    "StreamAPIError",
    "StreamDecodeError",
    "StreamError",
    "StreamTimeoutError",
    "UnexpectedContentTypeError",
]


class R9sStreamError(Exception):
    """Base class of every error r9s_stream raises."""


class APIStatusError(R9sStreamError):
    """The server answered with a non-2xx status."""

    def __init__(
        self,
        message: str,
        *,
        status_code: int,
        body: object = None,
        request_id: str | None = None,
        error_type: str | None = None,
        code: str | None = None,
    ) -> None:
        super().__init__(f"HTTP {status_code}: {message}")
        self.message = message
        self.status_code = status_code
        self.body = body
        self.request_id = request_id
        self.type = error_type
        self.code = code


class UnexpectedContentTypeError(R9sStreamError):
    """A successful answer whose body is not an event stream."""

    def __init__(self, content_type: str, body_start: str) -> None:
        shown = content_type or "(no content-type header)"
        super().__init__(f"expected a text/event-stream response, got {shown}; body starts: {body_start!r}")
        self.content_type = content_type
        self.body_start = body_start


class StreamError(R9sStreamError):
    """The stream failed after it started; ``completion`` holds what was received."""

    completion: ChatCompletion | None = None


class StreamAPIError(StreamError):
    """The server reported an error inside a 200 stream (``data: {"error": …}``)."""

    def __init__(
        self,
        message: str,
        *,
        error_type: str | None = None,
        code: str | None = None,
        param: str | None = None,
        body: str = "",
    ) -> None:
        super().__init__(message)
        self.message = message
        self.type = error_type
        self.code = code
        self.param = param
        self.body = body


class StreamDecodeError(StreamError):
    """An event's data is not a valid chunk; ``data`` is the raw payload."""

    def __init__(self, reason: str, *, data: str, position: int) -> None:
        preview = data if len(data) <= 200 else data[:200] + "…"
        super().__init__(f"event {position} of the stream is not a valid chunk: {reason}: {preview!r}")
        self.reason = reason
        self.data = data
        self.position = position


class EventTooLargeError(StreamDecodeError):
    """One server-sent event grew past the configured ``max_event_size``."""

    def __init__(self, *, limit: int, data: str, position: int) -> None:
        super().__init__(f"event larger than max_event_size={limit} bytes", data=data, position=position)
        self.limit = limit


class IncompleteStreamError(StreamError):
    """The stream ended, or broke, before ``data: [DONE]``."""


class StreamTimeoutError(IncompleteStreamError, TimeoutError):
    """No token within first_token_timeout, no byte within idle_timeout, or past total_timeout."""
