"""Completion chunks → the ``Completion`` rebuilt so far, and its usage. Pure, O(total length).

Each choice keeps its text as the pieces that came, joined only when ``snapshot`` is read, so
folding a chunk costs the same at the end of a long answer as at its start.
"""

from __future__ import annotations

from collections.abc import Sequence

from ._models import Completion, CompletionChoice, CompletionChunk, CompletionLogprobs, CompletionUsage

__all__ = ["CompletionFold"]


class _ChoiceState:
    """What one choice index has received: its text pieces, finish reason, log probabilities."""

    __slots__ = ("finish_reason", "logprobs", "pieces")

    def __init__(self) -> None:
        self.pieces: list[str] = []
        self.finish_reason: str | None = None
        self.logprobs: _MergedLogprobs | None = None


class _MergedLogprobs:
    """The legacy logprobs lists of every chunk of a choice, extended in order."""

    __slots__ = ("text_offset", "token_logprobs", "tokens", "top_logprobs")

    def __init__(self) -> None:
        self.tokens: list[str] | None = None
        self.token_logprobs: list[float | None] | None = None
        self.top_logprobs: list[dict[str, float] | None] | None = None
        self.text_offset: list[int] | None = None

    def add(self, more: CompletionLogprobs) -> None:
        # Extended in place: a copy per chunk would make a long answer quadratic.
        if more.tokens is not None:
            self.tokens = self.tokens or []
            self.tokens.extend(more.tokens)
        if more.token_logprobs is not None:
            self.token_logprobs = self.token_logprobs or []
            self.token_logprobs.extend(more.token_logprobs)
        if more.top_logprobs is not None:
            self.top_logprobs = self.top_logprobs or []
            self.top_logprobs.extend(more.top_logprobs)
        if more.text_offset is not None:
            self.text_offset = self.text_offset or []
            self.text_offset.extend(more.text_offset)

    def value(self) -> CompletionLogprobs:
        """The merged lists, copied: a snapshot does not change as more chunks arrive."""
        return CompletionLogprobs(
            tokens=None if self.tokens is None else list(self.tokens),
            token_logprobs=None if self.token_logprobs is None else list(self.token_logprobs),
            top_logprobs=None if self.top_logprobs is None else list(self.top_logprobs),
            text_offset=None if self.text_offset is None else list(self.text_offset),
        )


class CompletionFold:
    """Folds ``CompletionChunk`` values into the ``Completion`` rebuilt so far."""

    __slots__ = ("_choices", "_fingerprint", "_first", "_pieces", "_usage")

    def __init__(self) -> None:
        self._choices: dict[int, _ChoiceState] = {}
        self._first: CompletionChunk | None = None  # id, object, created, model
        self._fingerprint: str | None = None
        self._usage: CompletionUsage | None = None
        self._pieces = 0

    def add(self, chunk: CompletionChunk) -> None:
        """Fold one chunk in."""
        if self._first is None:
            self._first = chunk
        states = self._choices
        for choice in chunk.choices:
            state = states.get(choice.index)
            if state is None:
                state = states[choice.index] = _ChoiceState()
            text = choice.text
            if text:
                state.pieces.append(text)
                self._pieces += 1
            if choice.finish_reason is not None:
                state.finish_reason = choice.finish_reason
            if choice.logprobs is not None:
                if state.logprobs is None:
                    state.logprobs = _MergedLogprobs()
                state.logprobs.add(choice.logprobs)
        if chunk.usage is not None:
            self._usage = chunk.usage
        if chunk.system_fingerprint is not None:
            self._fingerprint = chunk.system_fingerprint

    def add_many(self, chunks: Sequence[CompletionChunk]) -> None:
        """Fold chunks in, in order."""
        add = self.add
        for chunk in chunks:
            add(chunk)

    def has_output(self) -> bool:
        """Whether any text has arrived: the first token."""
        return self._pieces > 0

    def output_pieces(self) -> int:
        """How many text pieces arrived (a token each, roughly)."""
        return self._pieces

    @property
    def usage(self) -> CompletionUsage | None:
        """The usage chunk's counts, or ``None`` before (or without) it."""
        return self._usage

    @property
    def output_tokens(self) -> int | None:
        """The completion tokens the usage reports."""
        return None if self._usage is None else self._usage.completion_tokens

    @property
    def snapshot(self) -> Completion:
        """The completion rebuilt from every chunk so far (a fresh value)."""
        first = self._first
        choices = [
            CompletionChoice(
                index=index,
                text="".join(state.pieces),
                finish_reason=state.finish_reason,
                logprobs=None if state.logprobs is None else state.logprobs.value(),
            )
            for index, state in sorted(self._choices.items())
        ]
        if first is None:
            return Completion(choices=choices, usage=self._usage)
        return Completion(
            id=first.id,
            object=first.object or "text_completion",
            created=first.created,
            model=first.model,
            choices=choices,
            usage=self._usage,
            system_fingerprint=self._fingerprint,
        )
