"""``POST /v1/completions`` on the embedded server: the legacy Completions wire format.

The catalogue's models answer here as on chat (``echo``, ``long``, ``inspect-request``, the
faults, ``status-NNN`` …): the prompt stands in for the last user message, and the scenario
streams ``text_completion`` chunks (``choices[].text``, a last chunk per choice with its
finish reason, the usage chunk when ``stream_options.include_usage`` asks) instead of chat
chunks. Chat-only parts of a model (reasoning, tool calls, refusals) have no legacy form and
are left out.
"""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING, Any

from .._scripted import ChatScenario, split_tokens
from ._catalogue import ErrorReply, StreamReply

if TYPE_CHECKING:
    from ._catalogue import Catalogue

__all__ = ["COMPLETIONS", "CompletionScenario"]


@dataclasses.dataclass(frozen=True)
class CompletionScenario(ChatScenario):
    """A chat scenario's text, streamed as legacy ``text_completion`` chunks."""

    def _pieces(self) -> list[str]:
        return split_tokens(self.text, self.token_size) if self.text else []

    def _chunk(self, choices: list[dict[str, Any]]) -> dict[str, Any]:
        chunk: dict[str, Any] = {
            "id": self.id,
            "object": "text_completion",
            "created": self.created,
            "choices": choices,
            "model": self.model,
        }
        if self.system_fingerprint is not None:
            chunk["system_fingerprint"] = self.system_fingerprint
        return chunk

    def _usage(self) -> dict[str, int] | None:
        if not self.usage:
            return None
        completion_tokens = len(self._pieces()) * self.n
        return {
            "prompt_tokens": self.prompt_tokens,
            "completion_tokens": completion_tokens,
            "total_tokens": self.prompt_tokens + completion_tokens,
        }

    def chunks(self) -> list[dict[str, Any]]:
        """Each piece of text for every choice in turn, then each choice's finish, then the usage."""
        chunks: list[dict[str, Any]] = []
        for piece in [*self._pieces(), None]:
            finish = None if piece is not None else self.resolved_finish_reason
            for index in range(self.n):
                choice = {"text": piece or "", "index": index, "logprobs": None, "finish_reason": finish}
                chunks.append(self._chunk([choice]))
        usage = self._usage()
        if usage is not None:
            chunks.append({**self._chunk([]), "usage": usage})
        return chunks

    def whole_completion(self) -> dict[str, Any]:
        """The non-streaming ``text_completion`` this scenario stands for."""
        text = "".join(self._pieces())
        choices = [
            {"text": text, "index": index, "logprobs": None, "finish_reason": self.resolved_finish_reason}
            for index in range(self.n)
        ]
        return {**self._chunk(choices), "usage": self._usage()}


def _prompt_text(prompt: object) -> str | None:
    """The prompt as text (the first of a list of prompts), or ``None`` for token arrays."""
    if isinstance(prompt, list) and prompt:
        prompt = prompt[0]
    return prompt if isinstance(prompt, str) else None


class _Completions:
    """The endpoint: ``prompt`` in, ``text_completion`` chunks out."""

    def problem(self, body: object) -> str | None:
        if not isinstance(body, dict) or "prompt" not in body:
            return "the body must be a JSON object with a 'prompt'"
        return None

    def reply(
        self, catalogue: Catalogue, body: dict[str, Any], request: dict[str, Any], request_id: str
    ) -> StreamReply | ErrorReply:
        text = _prompt_text(body.get("prompt")) or ""
        as_chat = {**body, "messages": [{"role": "user", "content": text}]}
        reply = catalogue.reply(as_chat, request, request_id)
        if isinstance(reply, ErrorReply):
            return reply
        chat = reply.scenario
        fields = {field.name: getattr(chat, field.name) for field in dataclasses.fields(chat)}
        fields["id"] = f"cmpl-{request_id}"
        return dataclasses.replace(reply, scenario=CompletionScenario(**fields))

    def whole(self, scenario: ChatScenario) -> dict[str, Any]:
        if not isinstance(scenario, CompletionScenario):
            raise TypeError("the completions endpoint answers with its own scenarios")
        return scenario.whole_completion()


COMPLETIONS = _Completions()
