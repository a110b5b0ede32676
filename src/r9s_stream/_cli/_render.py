"""How ``r9s-stream`` shows a chat stream (text as it comes, reasoning dimmed, tool calls) and stats."""

from __future__ import annotations

import os
from typing import TextIO

import msgspec

from .._chat._models import ChatCompletion, ChatCompletionStreamEvent, ToolCall, Usage
from .._streaming._stats import StreamStats

__all__ = [
    "NO_FINISH_REASON",
    "LiveRenderer",
    "completion_json",
    "describe_message",
    "finish_note",
    "stats_line",
    "usage_text",
    "use_color",
]

_DIM = "\x1b[2m"
_BOLD = "\x1b[1m"
_RESET = "\x1b[0m"


def use_color(stream: TextIO) -> bool:
    """Colour only on a terminal, and never when ``NO_COLOR`` is set (no-color.org)."""
    return stream.isatty() and not os.environ.get("NO_COLOR")


def completion_json(completion: ChatCompletion) -> str:
    """The completion as indented JSON, the shape of a non-streaming response.

    ``parsed`` is left out where it is ``None`` (the CLI never parses: a non-streaming
    response has no such field, and a ``"parsed": null`` in every message reads as a failure).
    """
    shape = msgspec.to_builtins(completion)
    for choice in shape.get("choices") or ():
        message = choice.get("message") or {}
        if message.get("parsed") is None:
            message.pop("parsed", None)
        functions = [call.get("function") or {} for call in message.get("tool_calls") or ()]
        functions.append(message.get("function_call") or {})  # the legacy single call
        for function in functions:
            if function.get("parsed") is None:
                function.pop("parsed", None)
    return msgspec.json.format(msgspec.json.encode(shape), indent=2).decode()


def _tool_call_line(call: ToolCall) -> str:
    return f"→ tool call {call.function.name}({call.function.arguments})  [{call.id}]"


class LiveRenderer:
    """Prints choice 0 of a stream as it arrives: reasoning (dimmed on a terminal), content,
    refusal, and each tool call once it is complete (when the next one starts, or at the end).
    """

    def __init__(self, out: TextIO, *, color: bool) -> None:
        self._out = out
        self._color = color
        self._section: str | None = None  # "reasoning", "content" or "refusal"
        self._open_call: int | None = None
        self._calls_shown = 0
        self.printed_anything = False

    def _write(self, text: str, section: str) -> None:
        if self._section != section:
            if self._section == "reasoning" and self._color:
                self._out.write(_RESET)
            if self._section is not None:
                self._out.write("\n\n")
            if section == "reasoning" and self._color:
                self._out.write(_DIM)
            elif section == "refusal":
                self._out.write("[refusal] ")
            self._section = section
        self._out.write(text)
        self._out.flush()
        self.printed_anything = True

    def event(self, event: ChatCompletionStreamEvent, completion: ChatCompletion | None = None) -> None:
        """Show what one chunk adds; ``completion`` (the rebuilt one) is read only for tool calls."""
        for choice in event.choices:
            delta = choice.delta
            if choice.index != 0 or delta is None:
                continue
            reasoning = delta.reasoning_content if delta.reasoning_content is not None else delta.reasoning
            if reasoning:
                self._write(reasoning, "reasoning")
            if delta.content:
                self._write(delta.content, "content")
            if delta.refusal:
                self._write(delta.refusal, "refusal")
            if delta.tool_calls and completion is not None:
                index = delta.tool_calls[0].index
                if self._open_call is not None and index != self._open_call:
                    self.show_tool_calls(completion, upto=-1)
                self._open_call = index

    def show_tool_calls(self, completion: ChatCompletion, *, upto: int | None = None) -> None:
        """Print the tool calls of choice 0 not shown yet (all, or all but the last ``-upto``)."""
        if not completion.choices or not completion.choices[0].message.tool_calls:
            return
        calls = completion.choices[0].message.tool_calls[: upto if upto else None]
        for call in calls[self._calls_shown :]:
            self._write(_tool_call_line(call), "tools")
            self._section = None
            self._out.write("\n")
        self._calls_shown = max(self._calls_shown, len(calls))

    def finish(self, completion: ChatCompletion | None) -> None:
        """End the output: the last tool calls, the colour reset and a final newline."""
        if completion is not None:
            self.show_tool_calls(completion)
        if self._section == "reasoning" and self._color:
            self._out.write(_RESET)
        if self._section is not None:
            self._out.write("\n")
        self._section = None
        self._out.flush()


def describe_message(completion: ChatCompletion, *, color: bool = False) -> str:
    """The rebuilt message of every choice, as text for ``replay``."""
    lines: list[str] = []
    for choice in completion.choices:
        if len(completion.choices) > 1:
            lines.append(f"── choice {choice.index}")
        message = choice.message
        if message.reasoning_content:
            lines.append(
                f"{_DIM}{message.reasoning_content}{_RESET}"
                if color
                else f"[reasoning] {message.reasoning_content}"
            )
        if message.content:
            lines.append(message.content)
        if message.refusal:
            lines.append(f"[refusal] {message.refusal}")
        lines.extend(_tool_call_line(call) for call in message.tool_calls or ())
        if message.function_call is not None:
            lines.append(f"→ function call {message.function_call.name}({message.function_call.arguments})")
        lines.append(f"[finish_reason: {choice.finish_reason or 'none'}]")
    return "\n".join(lines)


def usage_text(usage: Usage | None) -> str:
    """A chat usage in words, reasoning tokens included."""
    if usage is None:
        return "no usage reported"
    parts = [f"{usage.prompt_tokens or 0} prompt + {usage.completion_tokens or 0} completion"]
    details = usage.completion_tokens_details
    if details is not None and details.reasoning_tokens:
        parts.append(f" ({details.reasoning_tokens} reasoning)")
    return "".join(parts) + f" = {usage.total_tokens or 0} tokens"


NO_FINISH_REASON = "no finish reason: the answer may have been cut upstream"


def finish_note(completion: ChatCompletion, done: bool) -> str:
    """What the stats line adds when the stream ended cleanly but a choice never got a finish reason.

    Behind a gateway that converts another provider's stream (the r9s gateway from an
    Anthropic upstream), an upstream error becomes exactly that: text so far, usage, [DONE].
    """
    if done and any(choice.finish_reason is None for choice in completion.choices):
        return f" · {NO_FINISH_REASON}"
    return ""


def stats_line(usage: str, stats: StreamStats | None, *, color: bool = False, unit: str = "chunks") -> str:
    """One line: usage (in words), time to the gateway and to the first token, tokens per second,
    duration, events (``unit``: what the kind calls them)."""
    parts = [usage]
    if stats is not None:
        if stats.time_to_gateway is not None:
            parts.append(f"gateway {stats.time_to_gateway * 1000:.0f} ms")
        if stats.time_to_first_token is not None:
            parts.append(f"first token {stats.time_to_first_token * 1000:.0f} ms")
        if stats.tokens_per_second is not None:
            parts.append(f"{stats.tokens_per_second:.0f} tokens/s")
        if stats.duration is not None:
            parts.append(f"{stats.duration:.2f} s")
        parts.append(f"{stats.chunks} {unit}")
    line = "── " + " · ".join(parts)
    return f"{_DIM}{line}{_RESET}" if color else line
