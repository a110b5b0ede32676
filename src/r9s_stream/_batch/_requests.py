"""One request of a batch: an OpenAI Batch input line, parsed and checked before anything is sent.

A line is ``{"custom_id": …, "method": "POST", "url": "/v1/chat/completions", "body": {…}}``;
``method`` and ``url`` may be left out (POST, chat). ``url`` only picks the endpoint: the
request goes to the client's base URL joined with the endpoint's path, so ``/v1`` is never
doubled. ``stream`` in the body is ours to set.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import msgspec

from .._exceptions import BatchInputError

__all__ = ["DEFAULT_URL", "ENDPOINTS", "BatchRequest", "check_fields", "parse_request", "parse_request_line"]

# A line without ``url`` is a chat request.
DEFAULT_URL = "/v1/chat/completions"

# The endpoints a batch can name, each as the wire kind that answers it (OpenAI's Batch API
# takes these three; Anthropic's Messages batches have a format of their own).
ENDPOINTS: Mapping[str, str] = {
    "/v1/chat/completions": "chat",
    "/chat/completions": "chat",
    "/v1/completions": "completions",
    "/completions": "completions",
    "/v1/responses": "responses",
    "/responses": "responses",
}

_decoder = msgspec.json.Decoder()


class BatchRequest(msgspec.Struct, frozen=True, gc=False):
    """One request of a batch: who it is (``custom_id``), where it goes (``kind``) and its ``body``.

    ``body`` is the request as the endpoint takes it (``model``, ``messages``, …).
    """

    custom_id: str
    body: dict[str, Any]
    kind: str = "chat"

    def estimated_tokens(self, default_max_tokens: int) -> int:
        """Tokens this request will likely count for: prompt characters / 4, plus the answer's cap.

        The cap is ``max_completion_tokens`` or ``max_tokens`` when the body names one, else
        ``default_max_tokens``. The estimate is corrected with the real usage once it arrives.
        """
        body = self.body
        cap = body.get("max_completion_tokens", body.get("max_tokens"))
        if not isinstance(cap, int) or isinstance(cap, bool) or cap < 0:
            cap = default_max_tokens
        return _prompt_characters(body) // 4 + cap


def check_fields(
    custom_id: object, method: object, url: object, *, line: int | None = None
) -> tuple[str, str]:
    """The ``custom_id`` and wire kind of a line's fields; ``BatchInputError`` says what is wrong."""
    if not isinstance(custom_id, str) or not custom_id:
        raise BatchInputError("no custom_id (a non-empty string)", line=line)
    if not isinstance(method, str) or method.upper() != "POST":
        raise BatchInputError(f"method {method!r}: only POST is sent", line=line, custom_id=custom_id)
    kind = ENDPOINTS.get(url.split("?", 1)[0].rstrip("/")) if isinstance(url, str) else None
    if kind is None:
        known = ", ".join(ENDPOINTS)
        raise BatchInputError(f"unknown endpoint {url!r} (known: {known})", line=line, custom_id=custom_id)
    return custom_id, kind


def parse_request(value: object, *, line: int | None = None) -> BatchRequest:
    """The ``BatchRequest`` of one decoded input line; ``BatchInputError`` says what is wrong with it."""
    if isinstance(value, BatchRequest):
        return value
    if not isinstance(value, Mapping):
        raise BatchInputError("not a JSON object", line=line)
    custom_id, kind = check_fields(
        value.get("custom_id"), value.get("method", "POST"), value.get("url", DEFAULT_URL), line=line
    )
    body = value.get("body")
    if not isinstance(body, dict):
        raise BatchInputError("no body (a JSON object)", line=line, custom_id=custom_id)
    return BatchRequest(custom_id, body, kind)


def parse_request_line(data: bytes | str, line: int) -> BatchRequest:
    """The ``BatchRequest`` of one line of a JSONL file (``line`` numbers its errors)."""
    try:
        value = _decoder.decode(data)
    except msgspec.DecodeError as error:
        raise BatchInputError(f"not JSON ({error})", line=line) from None
    return parse_request(value, line=line)


def _prompt_characters(body: Mapping[str, Any]) -> int:
    """The characters of the text a request sends: its messages' contents (text parts too)."""
    total = 0
    for message in body.get("messages") or ():
        content = message.get("content") if isinstance(message, dict) else None
        if isinstance(content, str):
            total += len(content)
        elif isinstance(content, list):
            for part in content:
                text = part.get("text") if isinstance(part, dict) else None
                if isinstance(text, str):
                    total += len(text)
    for field in ("prompt", "input", "instructions", "system"):  # the other kinds' prompts
        text = body.get(field)
        if isinstance(text, str):
            total += len(text)
    return total
