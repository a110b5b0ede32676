"""Realistic chat-completion streams, generated in memory and seeded (shared by the benchmarks).

Two kinds, shaped like OpenAI's own streams (tests/fixtures/openai-python_*.sse):

- ``content``: a role chunk, content chunks of one 1–6 character token each (ASCII words,
  spaces, newlines, quotes, a little non-ASCII text), a ``finish_reason`` chunk and a final
  usage chunk with empty ``choices``.
- ``tools``: a role chunk, then one tool call (two when ``n`` ≥ 100) — a header chunk with
  id, type and name, then argument fragments of 1–6 characters that join into valid JSON —,
  a ``finish_reason: tool_calls`` chunk and a usage chunk.

``n`` counts every chunk (not ``data: [DONE]``), so µs per event is time / ``n``.
"""

from __future__ import annotations

import json
import random
from dataclasses import dataclass, field

__all__ = ["KINDS", "PIECES", "Payload", "cut", "make_payload", "split_events", "split_pieces"]

KINDS = ("content", "tools")
# How a body is cut into reads: `burst` = seeded 1–4 KiB pieces (a fast server or a replay),
# `event` = one event per read (a live server flushing every token).
PIECES = ("event", "burst")
MIN_CHUNKS = 8

_ID = "chatcmpl-ABfwCjPMi0ubw56UyMIIeNfJzyogq"
_HEAD = (
    '{"id":"' + _ID + '","object":"chat.completion.chunk","created":1727346180,'
    '"model":"gpt-4o-2024-08-06","system_fingerprint":"fp_5050236cbd","choices":'
)

_TEXT = (
    "Streaming responses arrive as many small chunks, each carrying a token or two. "
    'A client has to split the "server-sent events", decode JSON and rebuild the message.\n\n'
    "```python\nasync for chunk in stream:\n    print(chunk.choices[0].delta.content, end='')\n```\n"
    "Déjà vu: naïve façades cost time — 速い ストリーム is the goal; émigré cafés, 日本語テキスト. "
    "Numbers like 3.14159, 2,718 and 1e-9 appear too; so do tabs\tand back\\slashes.\n"
)
# Argument text: no characters JSON would escape, so the fragments join into valid JSON.
_ARGS_TEXT = "".join(c for c in _TEXT if c not in '"\\\n\t')


@dataclass
class Payload:
    """One generated stream: its SSE bytes and what a correct client rebuilds from them."""

    kind: str
    chunks: int
    body: bytes
    content: str | None
    tool_calls: list[tuple[str, str, str]] = field(default_factory=list)  # (id, name, arguments)
    content_deltas: int = 0

    @property
    def size(self) -> int:
        return len(self.body)


def _chunk(choices: str, usage: str | None = None) -> str:
    tail = "}" if usage is None else ',"usage":' + usage + "}"
    return "data: " + _HEAD + choices + tail + "\n\n"


def _choice(delta: str, finish: str | None = None) -> str:
    reason = "null" if finish is None else '"' + finish + '"'
    return '[{"index":0,"delta":' + delta + ',"logprobs":null,"finish_reason":' + reason + "}]"


def _tokens(rng: random.Random, count: int, text: str) -> list[str]:
    """``count`` consecutive slices of ``text`` (cycled), 1–6 characters each."""
    tokens: list[str] = []
    position = rng.randrange(len(text))
    doubled = text * 2
    for _ in range(count):
        size = rng.randint(1, 6)
        tokens.append(doubled[position : position + size])
        position = (position + size) % len(text)
    return tokens


def _usage(completion_tokens: int) -> str:
    return (
        '{"prompt_tokens":19,"completion_tokens":'
        + str(completion_tokens)
        + ',"total_tokens":'
        + str(completion_tokens + 19)
        + ',"completion_tokens_details":{"reasoning_tokens":0}}'
    )


def make_payload(kind: str, chunks: int, seed: int = 0) -> Payload:
    """Generate a ``kind`` stream of exactly ``chunks`` chunks (plus ``data: [DONE]``)."""
    if kind not in KINDS:
        raise ValueError(f"kind must be one of {KINDS}, got {kind!r}")
    if chunks < MIN_CHUNKS:
        raise ValueError(f"at least {MIN_CHUNKS} chunks, got {chunks}")
    rng = random.Random(f"{kind}-{chunks}-{seed}")
    dumps = json.JSONEncoder(ensure_ascii=False).encode
    middle = chunks - 3  # role chunk, finish chunk, usage chunk
    parts: list[str] = []
    if kind == "content":
        tokens = _tokens(rng, middle, _TEXT)
        parts.append(_chunk(_choice('{"role":"assistant","content":"","refusal":null}')))
        parts.extend(_chunk(_choice('{"content":' + dumps(token) + "}")) for token in tokens)
        parts.append(_chunk(_choice("{}", "stop")))
        parts.append(_chunk("[]", _usage(middle)))
        body = ("".join(parts) + "data: [DONE]\n\n").encode()
        return Payload(kind, chunks, body, "".join(tokens), content_deltas=middle + 1)

    calls = 2 if chunks >= 100 else 1
    parts.append(_chunk(_choice('{"role":"assistant","content":null}')))
    tool_calls: list[tuple[str, str, str]] = []
    remaining = middle
    for index in range(calls):
        fragments = remaining // (calls - index) - 1  # the header chunk carries no arguments
        remaining -= fragments + 1
        sizes = [rng.randint(1, 6) for _ in range(fragments)]
        prefix = '{"location": "Edinburgh, UK", "query": "'
        filler = (_ARGS_TEXT * (sum(sizes) // len(_ARGS_TEXT) + 2))[: max(0, sum(sizes) - len(prefix) - 2)]
        arguments = prefix + filler + '"}'
        json.loads(arguments)  # the generator's own check: the fragments join into valid JSON
        call_id = f"call_{index}_JMW1whyEaYG438VE1OIflxA2"
        name = ("get_weather", "search_documents")[index % 2]
        header = (
            '{"tool_calls":[{"index":' + str(index) + ',"id":"' + call_id + '","type":"function",'
            '"function":{"name":"' + name + '","arguments":""}}]}'
        )
        parts.append(_chunk(_choice(header)))
        position = 0
        for number, size in enumerate(sizes):
            end = len(arguments) if number == len(sizes) - 1 else min(position + size, len(arguments))
            fragment = arguments[position:end]
            position = end
            delta = (
                '{"tool_calls":[{"index":'
                + str(index)
                + ',"function":{"arguments":'
                + dumps(fragment)
                + "}}]}"
            )
            parts.append(_chunk(_choice(delta)))
        tool_calls.append((call_id, name, arguments))
    parts.append(_chunk(_choice("{}", "tool_calls")))
    parts.append(_chunk("[]", _usage(middle)))
    body = ("".join(parts) + "data: [DONE]\n\n").encode()
    return Payload(kind, chunks, body, None, tool_calls)


def split_pieces(body: bytes, seed: int = 0, low: int = 1024, high: int = 4096) -> list[bytes]:
    """Cut ``body`` into seeded random pieces of ``low``–``high`` bytes (the reads a client sees)."""
    rng = random.Random(seed)
    pieces: list[bytes] = []
    position = 0
    while position < len(body):
        step = rng.randint(low, high)
        pieces.append(body[position : position + step])
        position += step
    return pieces


def split_events(body: bytes) -> list[bytes]:
    """Cut ``body`` after every event's blank line: one event per read, as live servers send."""
    events = body.split(b"\n\n")
    pieces = [event + b"\n\n" for event in events[:-1]]
    if events[-1]:
        pieces.append(events[-1])
    return pieces


def cut(body: bytes, pieces: str, seed: int = 0) -> list[bytes]:
    """``body`` in the reads of the ``pieces`` regime (see ``PIECES``)."""
    if pieces == "event":
        return split_events(body)
    if pieces == "burst":
        return split_pieces(body, seed)
    raise ValueError(f"pieces must be one of {PIECES}, got {pieces!r}")


def echo_prompt(chunks: int) -> str:
    """A prompt the embedded server's ``echo`` model answers in exactly ``chunks`` chunks.

    It streams a role chunk, one chunk per word and a ``finish_reason`` chunk.
    """
    words = _TEXT.split()
    return " ".join(words[i % len(words)] for i in range(chunks - 2))


def parse_body(kind: str, body: bytes) -> Payload:
    """What a correct client rebuilds from ``body``: the reference reader for served streams.

    Plain ``json`` on blank-line separated ``data:`` events (the shape every server here sends).
    """
    content: list[str] = []
    has_content = False
    calls: dict[int, list[str]] = {}
    chunks = 0
    for block in body.split(b"\n\n"):
        if not block.startswith(b"data:"):
            continue
        data = block[5:].strip()
        if data == b"[DONE]":
            break
        chunks += 1
        for choice in json.loads(data)["choices"]:
            delta = choice.get("delta") or {}
            if delta.get("content") is not None:
                has_content = True
                content.append(delta["content"])
            for call in delta.get("tool_calls") or []:
                slot = calls.setdefault(call.get("index", 0), ["", ""])
                function = call.get("function") or {}
                slot[0] = slot[0] or call.get("id") or ""
                slot[1] = slot[1] or function.get("name") or ""
                slot.append(function.get("arguments") or "")
    tool_calls = [(c[0], c[1], "".join(c[2:])) for _, c in sorted(calls.items())]
    return Payload(kind, chunks, body, "".join(content) if has_content else None, tool_calls)
