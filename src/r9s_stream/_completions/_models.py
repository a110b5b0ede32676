"""The legacy Completions wire types: the streamed chunk and the ``Completion`` rebuilt from it.

One Struct for every chunk (the wire has no event types: each chunk is a ``text_completion``
with ``choices[].text``). Unknown fields are skipped, ``object`` is any string (servers send
``text_completion`` or their own), and ``gc=False`` keeps the collector away from the small
values a long stream makes, which never form cycles.
"""

from __future__ import annotations

import msgspec

__all__ = [
    "Completion",
    "CompletionChoice",
    "CompletionChunk",
    "CompletionLogprobs",
    "CompletionTokensDetails",
    "CompletionUsage",
    "PromptTokensDetails",
]


class _Wire(msgspec.Struct, kw_only=True, gc=False, repr_omit_defaults=True):
    """Base of every model: compact repr, no GC tracking, keyword-only construction."""


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


class CompletionUsage(_Wire, kw_only=True):
    """Token counts, sent once near the end (with ``stream_options.include_usage``)."""

    prompt_tokens: int | None = None
    completion_tokens: int | None = None
    total_tokens: int | None = None
    prompt_tokens_details: PromptTokensDetails | None = None
    completion_tokens_details: CompletionTokensDetails | None = None


class CompletionLogprobs(_Wire, kw_only=True):
    """The legacy log probabilities: parallel lists, one entry per sampled token."""

    tokens: list[str] | None = None
    token_logprobs: list[float | None] | None = None
    top_logprobs: list[dict[str, float] | None] | None = None
    text_offset: list[int] | None = None


class CompletionChoice(_Wire, kw_only=True):
    """One choice: in a chunk, the text it adds; in a ``Completion``, the whole text."""

    text: str = ""
    index: int = 0
    logprobs: CompletionLogprobs | None = None
    finish_reason: str | None = None


class CompletionChunk(_Wire, kw_only=True, rename={"_error": "error"}):
    """One streamed ``text_completion`` chunk; ``choices`` is empty in the usage-only last one."""

    id: str | None = None
    object: str | None = None
    created: int | float | None = None
    choices: list[CompletionChoice] = msgspec.field(default_factory=list)
    model: str | None = None
    system_fingerprint: str | None = None
    usage: CompletionUsage | None = None
    # A trap, not data: an error object in a chunk (`{"error": {...}}`) fails validation
    # here, which sends the decoder to the path that raises StreamAPIError for it; checking
    # every chunk in Python would cost more than decoding it. Never set on a chunk you get.
    _error: msgspec.UnsetType | None = msgspec.UNSET

    @property
    def type(self) -> str | None:
        """The wire's ``object`` (``"text_completion"``), under the name every kind's events have."""
        return self.object


class Completion(_Wire, kw_only=True):
    """The completion rebuilt from a stream: the shape of the non-streaming response.

    ``choices[i].text`` is every piece of choice ``i`` joined; ``finish_reason`` and
    ``logprobs`` (its lists merged) as the chunks said; ``usage`` from the usage chunk.
    """

    id: str | None = None
    object: str = "text_completion"
    created: int | float | None = None
    model: str | None = None
    choices: list[CompletionChoice] = msgspec.field(default_factory=list)
    usage: CompletionUsage | None = None
    system_fingerprint: str | None = None

    @property
    def text(self) -> str:
        """The text of choice 0 (``""`` when there is none): what one-choice callers want."""
        for choice in self.choices:
            if choice.index == 0:
                return choice.text
        return ""
