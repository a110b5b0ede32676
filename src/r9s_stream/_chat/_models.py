"""Typed wire models: the streamed chunk and the chat completion rebuilt from it.

Every struct is a ``msgspec.Struct``: decoding validates types, skips unknown fields (servers
add extensions such as ``x_groq``, ``content_filter_results`` or ``obfuscation``) and fills
defaults for absent keys. Fields are declared in wire order, which makes decoding cheaper.
``gc=False`` is safe because these values never form reference cycles, and it keeps the
garbage collector away from the millions of small objects a long stream produces.

The rebuilt completion is generic in the response format: ``ChatCompletion[Location]`` has
``choices[i].message.parsed: Location | None``. A bare ``ChatCompletion`` means
``ChatCompletion[Any]``. The streamed chunk types are not generic (nothing there is parsed).
The generic ones are GC-tracked (``gc=True``): msgspec before 0.19 refuses ``gc=False`` beside
``Generic``, and a completion is built once, not once a chunk.
"""

from __future__ import annotations

from typing import Any, Generic

import msgspec

from .._output._typevars import ResponseFormatT

__all__ = [
    "ChatCompletion",
    "ChatCompletionChoice",
    "ChatCompletionMessage",
    "ChatCompletionStreamChoice",
    "ChatCompletionStreamDelta",
    "ChatCompletionStreamEvent",
    "ChoiceLogprobs",
    "CompletionTokensDetails",
    "FunctionCall",
    "FunctionDelta",
    "PromptTokensDetails",
    "TokenLogprob",
    "ToolCall",
    "ToolCallDelta",
    "TopLogprob",
    "Usage",
]


class _Wire(msgspec.Struct, kw_only=True, gc=False, repr_omit_defaults=True):
    """Base of every model: compact repr, no GC tracking.

    ``kw_only`` covers only the fields a class defines itself, so every model repeats it:
    keyword-only construction lets fields move (wire order is a speed choice) safely.
    """


# --- token usage -------------------------------------------------------------------------


class PromptTokensDetails(_Wire, kw_only=True):
    """Breakdown of the prompt tokens (cache hits, audio)."""

    cached_tokens: int | None = None
    audio_tokens: int | None = None


class CompletionTokensDetails(_Wire, kw_only=True):
    """Breakdown of the completion tokens (reasoning, audio, predictions)."""

    reasoning_tokens: int | None = None
    audio_tokens: int | None = None
    accepted_prediction_tokens: int | None = None
    rejected_prediction_tokens: int | None = None


class Usage(_Wire, kw_only=True):
    """Token counts, sent once near the end of a stream."""

    prompt_tokens: int | None = None
    completion_tokens: int | None = None
    total_tokens: int | None = None
    prompt_tokens_details: PromptTokensDetails | None = None
    completion_tokens_details: CompletionTokensDetails | None = None


# --- log probabilities -------------------------------------------------------------------


class TopLogprob(_Wire, kw_only=True):
    """One of the most likely alternatives at a token position."""

    token: str = ""
    logprob: float = 0.0
    bytes: list[int] | None = None


class TokenLogprob(_Wire, kw_only=True):
    """The log probability of one sampled token."""

    token: str = ""
    logprob: float = 0.0
    bytes: list[int] | None = None
    top_logprobs: list[TopLogprob] = msgspec.field(default_factory=list)


class ChoiceLogprobs(_Wire, kw_only=True):
    """Per-token log probabilities of a choice's content and refusal."""

    content: list[TokenLogprob] | None = None
    refusal: list[TokenLogprob] | None = None


# --- the streamed chunk ------------------------------------------------------------------


class FunctionDelta(_Wire, kw_only=True):
    """A fragment of a function call: the name once, the arguments in pieces."""

    name: str | None = None
    arguments: str | None = None


class ToolCallDelta(_Wire, kw_only=True):
    """A fragment of one tool call, matched to its call by ``index``."""

    index: int | None = None
    id: str | None = None
    type: str | None = None
    function: FunctionDelta | None = None


class ChatCompletionStreamDelta(_Wire, kw_only=True):
    """What one chunk adds to a choice's message."""

    role: str | None = None
    content: str | None = None
    refusal: str | None = None
    reasoning_content: str | None = None
    reasoning: str | None = None
    tool_calls: list[ToolCallDelta] | None = None
    function_call: FunctionDelta | None = None


class ChatCompletionStreamChoice(_Wire, kw_only=True):
    """One choice's part of a chunk (Azure's annotation chunks carry no delta)."""

    index: int = 0
    delta: ChatCompletionStreamDelta | None = None
    logprobs: ChoiceLogprobs | None = None
    finish_reason: str | None = None


class ChatCompletionStreamEvent(_Wire, kw_only=True, rename={"_error": "error"}):
    """One ``chat.completion.chunk`` of a stream; ``choices`` is empty in a usage-only chunk."""

    id: str | None = None
    object: str | None = None
    created: int | float | None = None
    model: str | None = None
    system_fingerprint: str | None = None
    service_tier: str | None = None
    choices: list[ChatCompletionStreamChoice] = msgspec.field(default_factory=list)
    usage: Usage | None = None
    # A trap, not data: an error object in a chunk (`{"error": {...}}`, or OpenRouter's
    # chunk with `error` beside `choices`) fails validation here, which sends the decoder
    # to its careful path, where it becomes a StreamAPIError. Checking every chunk in
    # Python instead would cost more than decoding it. Never set on a chunk you receive.
    _error: msgspec.UnsetType | None = msgspec.UNSET


# --- the rebuilt completion --------------------------------------------------------------


class FunctionCall(_Wire, kw_only=True):
    """A complete function call: its name, its JSON arguments as a string, and ``parsed``.

    ``parsed`` is the arguments decoded into the tool's type when the tool was offered as a
    type (``tools=[GetWeather]``), else ``None``.
    """

    name: str = ""
    arguments: str = ""
    parsed: Any = None


class ToolCall(_Wire, kw_only=True):
    """A complete tool call, rebuilt from its deltas."""

    id: str = ""
    type: str = "function"
    function: FunctionCall = msgspec.field(default_factory=FunctionCall)


class ChatCompletionMessage(_Wire, Generic[ResponseFormatT], kw_only=True, gc=True):
    """The message of one choice, as a non-streaming response would carry it.

    ``parsed`` is the content decoded into the ``response_format`` type when one was given as
    a type; ``None`` otherwise, and when the model refused (then ``refusal`` is set).
    """

    role: str = "assistant"
    content: str | None = None
    refusal: str | None = None
    reasoning_content: str | None = None
    tool_calls: list[ToolCall] | None = None
    function_call: FunctionCall | None = None
    parsed: ResponseFormatT | None = None


class ChatCompletionChoice(_Wire, Generic[ResponseFormatT], kw_only=True, gc=True):
    """One rebuilt choice: message, finish reason and log probabilities."""

    index: int = 0
    message: ChatCompletionMessage[ResponseFormatT] = msgspec.field(default_factory=ChatCompletionMessage)
    finish_reason: str | None = None
    logprobs: ChoiceLogprobs | None = None


class ChatCompletion(_Wire, Generic[ResponseFormatT], kw_only=True, gc=True):
    """A whole chat completion, the same shape as a non-streaming response."""

    id: str = ""
    object: str = "chat.completion"
    created: int | float = 0
    model: str = ""
    system_fingerprint: str | None = None
    service_tier: str | None = None
    choices: list[ChatCompletionChoice[ResponseFormatT]] = msgspec.field(default_factory=list)
    usage: Usage | None = None
