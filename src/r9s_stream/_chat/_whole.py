"""A whole ``chat.completion`` sent instead of a stream, as the stream it would have been. Pure.

An upstream that ignores ``stream: true`` answers with one JSON object (the r9s gateway passes
it through as ``application/json``). Its answer is all there: each choice's ``message``
becomes that choice's one delta, and the object becomes one chunk followed by ``[DONE]``, so
the stream, its completion, usage and stats come out as they would for a streamed answer.
"""

from __future__ import annotations

import msgspec

from ._models import (
    ChatCompletionStreamChoice,
    ChatCompletionStreamDelta,
    ChatCompletionStreamEvent,
    ChoiceLogprobs,
    Usage,
)

__all__ = ["whole_completion_body"]


class _Choice(msgspec.Struct, kw_only=True):
    index: int = 0
    message: ChatCompletionStreamDelta | None = None
    logprobs: ChoiceLogprobs | None = None
    finish_reason: str | None = None


class _Completion(msgspec.Struct, kw_only=True):
    id: str | None = None
    object: str | None = None
    created: int | float | None = None
    model: str | None = None
    system_fingerprint: str | None = None
    service_tier: str | None = None
    choices: list[_Choice] = msgspec.field(default_factory=list)
    usage: Usage | None = None


_decoder = msgspec.json.Decoder(_Completion)
_encoder = msgspec.json.Encoder()
_DONE = b"data: [DONE]\n\n"


def whole_completion_body(body: bytes) -> bytes | None:
    """The event-stream body of a whole ``chat.completion`` JSON body, or ``None`` if it is not one."""
    try:
        whole = _decoder.decode(body)
    except (msgspec.DecodeError, UnicodeDecodeError, RecursionError):
        return None
    if whole.object != "chat.completion" or not whole.choices:
        return None
    choices = []
    for choice in whole.choices:
        delta = choice.message
        if delta is not None and delta.tool_calls:
            for position, call in enumerate(delta.tool_calls):
                if call.index is None:  # a message's calls carry no index: their place is it
                    call.index = position
        choices.append(
            ChatCompletionStreamChoice(
                index=choice.index,
                delta=delta,
                logprobs=choice.logprobs,
                finish_reason=choice.finish_reason,
            )
        )
    chunk = ChatCompletionStreamEvent(
        id=whole.id,
        object=whole.object,
        created=whole.created,
        model=whole.model,
        system_fingerprint=whole.system_fingerprint,
        service_tier=whole.service_tier,
        choices=choices,
        usage=whole.usage,
    )
    return b"data: " + _encoder.encode(chunk) + b"\n\n" + _DONE
