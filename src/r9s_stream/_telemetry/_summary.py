"""What a closed stream's rebuilt object and usage say in GenAI terms, whatever the wire kind.

Each kind names the same facts its own way: ``prompt_tokens`` (chat, completions) or
``input_tokens`` (Responses, Messages); ``choices[].finish_reason``, ``stop_reason`` or the
response's ``status``; cached input in ``prompt_tokens_details``, ``input_tokens_details`` or
``cache_read_input_tokens``. They are read by name, so telemetry needs no kind's types.
"""

from __future__ import annotations

from typing import Any

__all__ = ["Summary", "summarize"]


class Summary:
    """The span's and metrics' facts of one answer (``None``: the answer did not say)."""

    __slots__ = (
        "cached_input_tokens",
        "finish_reasons",
        "input_tokens",
        "output_tokens",
        "response_id",
        "response_model",
        "service_tier",
        "system_fingerprint",
    )

    def __init__(self) -> None:
        self.response_id: str | None = None
        self.response_model: str | None = None
        self.finish_reasons: list[str] = []
        self.system_fingerprint: str | None = None
        self.service_tier: str | None = None
        self.input_tokens: int | None = None
        self.output_tokens: int | None = None
        self.cached_input_tokens: int | None = None


def summarize(snapshot: object, usage: object) -> Summary:
    """The facts of ``snapshot`` (the rebuilt object, or ``None``) and ``usage``."""
    summary = Summary()
    if snapshot is not None:
        summary.response_id = _text(getattr(snapshot, "id", None))
        summary.response_model = _text(getattr(snapshot, "model", None))
        summary.system_fingerprint = _text(getattr(snapshot, "system_fingerprint", None))
        summary.service_tier = _text(getattr(snapshot, "service_tier", None))
        summary.finish_reasons = _finish_reasons(snapshot)
    if usage is not None:
        summary.input_tokens = _count(usage, "prompt_tokens", "input_tokens")
        summary.output_tokens = _count(usage, "completion_tokens", "output_tokens")
        details = getattr(usage, "prompt_tokens_details", None) or getattr(
            usage, "input_tokens_details", None
        )
        cached = None if details is None else getattr(details, "cached_tokens", None)
        if cached is None:
            cached = getattr(usage, "cache_read_input_tokens", None)
        summary.cached_input_tokens = cached if isinstance(cached, int) else None
    return summary


def _finish_reasons(snapshot: object) -> list[str]:
    choices = getattr(snapshot, "choices", None)
    if isinstance(choices, list):  # chat, completions
        return [str(choice.finish_reason) for choice in choices if getattr(choice, "finish_reason", None)]
    stop_reason = getattr(snapshot, "stop_reason", None)  # messages
    if stop_reason:
        return [str(stop_reason)]
    status = getattr(snapshot, "status", None)  # responses: why it ended, where it says
    if status == "incomplete":
        reason = getattr(getattr(snapshot, "incomplete_details", None), "reason", None)
        return [str(reason or status)]
    return [str(status)] if status in ("completed", "failed", "cancelled") else []


def _count(usage: object, *names: str) -> int | None:
    for name in names:
        value: Any = getattr(usage, name, None)
        if isinstance(value, int) and not isinstance(value, bool):
            return value
    return None


def _text(value: object) -> str | None:
    return value if isinstance(value, str) and value else None
