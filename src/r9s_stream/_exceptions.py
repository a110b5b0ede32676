"""The errors r9s_stream raises.

```
R9sStreamError                      base of everything below
├── APIStatusError                  non-2xx answer: status, server message, body, request id
├── UnexpectedContentTypeError      a 2xx answer that is not ``text/event-stream``
├── LengthFinishReasonError         parsing was asked for, the choice finished with ``length``
├── ContentFilterFinishReasonError  parsing was asked for, the choice finished with ``content_filter``
├── OutputValidationError           content or tool arguments that do not decode into the type
├── BatchInputError                 a batch request that cannot be sent (its line number, why)
└── StreamError                     the stream started, then failed; ``.partial`` keeps the
    │                               object rebuilt before the failure (on a chat stream also
    │                               ``.completion``, the same ChatCompletion)
    ├── StreamAPIError              the server sent an error inside the stream
    ├── StreamDecodeError           a payload that is not a valid chunk (raw data, position)
    │   └── EventTooLargeError      one event grew past ``max_event_size``
    └── IncompleteStreamError       the stream ended before its end (``data: [DONE]``,
        │                           ``response.completed``, ``message_stop`` …)
        └── StreamTimeoutError      no chunk / byte within a timeout (also a TimeoutError)
```

httpx transport errors raised before the response starts pass through unwrapped, so that
retry policies can decide on them. A transport error after the stream has started becomes an
``IncompleteStreamError`` with the httpx error as its ``__cause__``.

The three parsing errors carry ``.completion`` and ``.partial`` too, but they do not subclass
``StreamError``: the stream itself worked (nothing was lost, sending the same request again would not help);
what the model produced does not fit the type asked for. A handler that retries on
``StreamError`` stays right, and one for bad output catches these three by name.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

__all__ = [
    "APIStatusError",
    "BatchInputError",
    "ContentFilterFinishReasonError",
    "EventTooLargeError",
    "IncompleteStreamError",
    "LengthFinishReasonError",
    "OutputValidationError",
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
        headers: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(f"HTTP {status_code}: {message}")
        self.message = message
        self.status_code = status_code
        self.body = body
        self.request_id = request_id
        self.type = error_type
        self.code = code
        # The answer's headers (``Retry-After``, ``x-ratelimit-*`` …); empty when not known.
        self.headers: Mapping[str, str] = headers if headers is not None else {}


class UnexpectedContentTypeError(R9sStreamError):
    """A successful answer whose body is not an event stream."""

    def __init__(self, content_type: str, body_start: str) -> None:
        shown = content_type or "(no content-type header)"
        super().__init__(f"expected a text/event-stream response, got {shown}; body starts: {body_start!r}")
        self.content_type = content_type
        self.body_start = body_start


class BatchInputError(R9sStreamError, ValueError):
    """A batch request that cannot be sent: not JSON, a missing field, an unknown endpoint …

    ``line`` is its 1-based line number in the input file (``None`` for a request given in
    Python); ``reason`` says what is wrong, without the line number. Raised for a whole file,
    ``errors`` holds one error per bad line (the first fifty).
    """

    errors: tuple[BatchInputError, ...] = ()

    def __init__(self, reason: str, *, line: int | None = None, custom_id: str | None = None) -> None:
        super().__init__(reason if line is None else f"line {line}: {reason}")
        self.reason = reason
        self.line = line
        self.custom_id = custom_id


class StreamError(R9sStreamError):
    """The stream failed after it started; ``partial`` holds what was received.

    ``partial`` is the object rebuilt before the failure, whatever the wire kind (a
    ``ChatCompletion``, a ``responses.Response``, a ``messages.Message`` or a
    ``completions.Completion``); ``None`` only for a stream opened with ``accumulate=False``.
    On a chat stream ``completion`` is the same object; on the other kinds it stays ``None``.
    ``request_id`` is the id the response carried (``x-request-id``, ``X-Onr-Request-Id`` or
    ``request-id``), for the server's logs.
    """

    partial: Any = None
    completion: Any = None
    request_id: str | None = None


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


class LengthFinishReasonError(R9sStreamError):
    """A choice finished with ``length`` while parsing was asked for: its JSON is cut off.

    ``completion`` holds everything received, the cut-off text included.
    """

    def __init__(self, *, completion: Any = None, choice: int = 0) -> None:
        super().__init__(
            f"choice {choice} stopped at the length limit (finish_reason 'length'), so its output cannot "
            "be parsed; raise max_tokens / max_completion_tokens"
        )
        self.completion = completion
        self.choice = choice

    @property
    def partial(self) -> Any:
        """The same object as ``completion`` (what every ``StreamError`` calls it)."""
        return self.completion


class ContentFilterFinishReasonError(R9sStreamError):
    """A choice finished with ``content_filter`` while parsing was asked for.

    Raised before the content is decoded; ``completion`` holds everything received.
    """

    def __init__(self, *, completion: Any = None, choice: int = 0) -> None:
        super().__init__(
            f"choice {choice} was stopped by the content filter (finish_reason 'content_filter'), "
            "so its output cannot be parsed"
        )
        self.completion = completion
        self.choice = choice

    @property
    def partial(self) -> Any:
        """The same object as ``completion`` (what every ``StreamError`` calls it)."""
        return self.completion


class OutputValidationError(R9sStreamError):
    """Content or tool-call arguments that do not decode into the requested type.

    ``raw`` is the text as received, ``reason`` msgspec's message with the field's path (for
    example ``Expected `float`, got `str` - at `$.temperature```), ``tool_name`` the tool whose
    arguments failed (``None`` for content) and ``completion`` everything received.
    """

    def __init__(
        self,
        reason: str,
        *,
        raw: str,
        type_name: str,
        tool_name: str | None = None,
        completion: Any = None,
        choice: int = 0,
    ) -> None:
        what = "the content does" if tool_name is None else f"the arguments of tool {tool_name!r} do"
        preview = raw if len(raw) <= 200 else raw[:200] + "…"
        super().__init__(f"{what} not decode into {type_name}: {reason}: {preview!r}")
        self.reason = reason
        self.raw = raw
        self.type_name = type_name
        self.tool_name = tool_name
        self.completion = completion
        self.choice = choice

    @property
    def partial(self) -> Any:
        """The same object as ``completion`` (what every ``StreamError`` calls it)."""
        return self.completion


OutputError = LengthFinishReasonError | ContentFilterFinishReasonError | OutputValidationError
"""What parsing the output can raise (each carries the rebuilt object as ``completion``)."""
OUTPUT_ERRORS = (LengthFinishReasonError, ContentFilterFinishReasonError, OutputValidationError)
