"""Instructions per event for the other wire kinds (Responses, …), counted by callgrind.

One table per kind. Each reads a generated stream of the kind from memory in a child process
under callgrind (the machinery of ``callgrind.py``: ``--n`` events, then three times as many;
the difference over the extra events is the cost of one), in both read shapes (``event``:
one event per read; ``burst``: seeded 1–4 KiB reads). Contenders, per kind:

- ``r9s``: our full path — ``aconnect_*_stream``, iterate every event, read the rebuilt
  object's text at the end;
- ``limit``: the kind's floor — split the bytes on blank lines and decode each event once
  with msgspec into the same types, joining the text (what no client can do with less work);
- the kind's reference client where one exists (``openai-helper``: openai-python's
  ``responses.stream()``, final response's ``output_text``).

    python benchmarks/kinds.py                          # every kind, both read shapes
    python benchmarks/kinds.py --kind responses --pieces event --only r9s,limit

A kind adds itself to ``KINDS``: a body generator and its contenders.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import shutil
import sys
from collections.abc import Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import msgspec

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from _payloads import _TEXT, cut  # noqa: E402
from callgrind import per_chunk  # noqa: E402
from stream import PiecesStream, _openai_client  # noqa: E402

import r9s_stream as rs  # noqa: E402
from r9s_stream import messages  # noqa: E402
from r9s_stream.responses import KnownResponseEvent, ResponseTextDeltaEvent  # noqa: E402

BASE_URL = "http://bench.memory/v1"
# openai-python spends far more per event: a smaller stream gives the same precision.
SLOW = {"openai-helper", "openai", "anthropic"}

Runner = Callable[[httpx.AsyncClient, Any], Awaitable[str]]


@dataclass
class Kind:
    """One wire kind's benchmark: its stream and its contenders (key → label, runner)."""

    path: str
    body: Callable[[int], tuple[bytes, str]]  # n events → (the stream, the text it rebuilds to)
    contenders: dict[str, tuple[str, Runner]] = field(default_factory=dict)


def _words(n: int, seed: int = 0) -> list[str]:
    words = _TEXT.split(" ")
    rng = random.Random(seed)
    return [(" " if i else "") + words[rng.randrange(len(words))] for i in range(n)]


# --- Responses -------------------------------------------------------------------------------


def _named(payload: dict[str, Any]) -> bytes:
    name = str(payload["type"]).encode()
    return b"event: " + name + b"\ndata: " + msgspec.json.encode(payload) + b"\n\n"


def responses_body(n: int) -> tuple[bytes, str]:
    """A Responses stream as OpenAI sends it, ``n`` events in all (nearly all text deltas)."""
    deltas = _words(max(1, n - 9))
    text = "".join(deltas)
    head = {"id": "resp_bench", "object": "response", "created_at": 1743082658, "model": "gpt-4o"}
    place = {"item_id": "msg_bench", "output_index": 0, "content_index": 0}
    part = {"type": "output_text", "text": text, "annotations": []}
    item = {
        "type": "message",
        "id": "msg_bench",
        "status": "completed",
        "role": "assistant",
        "content": [part],
    }
    usage = {"input_tokens": 20, "output_tokens": len(deltas), "total_tokens": 20 + len(deltas)}
    events: list[dict[str, Any]] = [
        {"type": "response.created", "response": {**head, "status": "in_progress", "output": []}},
        {"type": "response.in_progress", "response": {**head, "status": "in_progress", "output": []}},
        {"type": "response.output_item.added", "output_index": 0, "item": {**item, "content": []}},
        {"type": "response.content_part.added", **place, "part": {**part, "text": ""}},
        *({"type": "response.output_text.delta", **place, "delta": d, "logprobs": []} for d in deltas),
        {"type": "response.output_text.done", **place, "text": text},
        {"type": "response.content_part.done", **place, "part": part},
        {"type": "response.output_item.done", "output_index": 0, "item": item},
        {
            "type": "response.completed",
            "response": {**head, "status": "completed", "output": [item], "usage": usage},
        },
    ]
    body = b"".join(_named({**event, "sequence_number": i}) for i, event in enumerate(events))
    return body, text


async def responses_r9s(http: httpx.AsyncClient, openai: Any) -> str:
    async with rs.aconnect_response_stream(http, "POST", BASE_URL + "/responses", json={}) as stream:
        async for _ in stream:
            pass
        return stream.snapshot.output_text


_decode_response_event = msgspec.json.Decoder(KnownResponseEvent).decode


async def responses_limit(http: httpx.AsyncClient, openai: Any) -> str:
    texts: list[str] = []
    buffer = b""
    async with http.stream("POST", BASE_URL + "/responses", json={}) as response:
        async for data in response.aiter_bytes():
            buffer += data
            *blocks, buffer = buffer.split(b"\n\n")
            for block in blocks:
                event = _decode_response_event(block[block.index(b"data: ") + 6 :])
                if type(event) is ResponseTextDeltaEvent:
                    texts.append(event.delta)
    return "".join(texts)


async def responses_openai(http: httpx.AsyncClient, openai: Any) -> str:
    async with openai.responses.stream(model="gpt-4o", input="hi") as stream:
        async for _ in stream:
            pass
        final = await stream.get_final_response()
    text: str = final.output_text
    return text


# --- legacy Completions ----------------------------------------------------------------------


def completions_body(n: int) -> tuple[bytes, str]:
    """A legacy Completions stream as OpenAI sends it: ``n`` events in all (text chunks, a finish
    chunk, the usage chunk), then ``[DONE]``."""
    texts = _words(max(1, n - 2))
    head = {"id": "cmpl-bench", "object": "text_completion", "created": 1770934485}
    events: list[dict[str, Any]] = [
        {**head, "choices": [{"text": t, "index": 0, "logprobs": None, "finish_reason": None}], "model": "m"}
        for t in texts
    ]
    events.append({**head, "choices": [{"text": "", "index": 0, "finish_reason": "length"}], "model": "m"})
    usage = {"prompt_tokens": 5, "completion_tokens": len(texts), "total_tokens": 5 + len(texts)}
    events.append({**head, "model": "m", "usage": usage, "choices": []})
    body = b"".join(b"data: " + msgspec.json.encode(e) + b"\n\n" for e in events) + b"data: [DONE]\n\n"
    return body, "".join(texts)


async def completions_r9s(http: httpx.AsyncClient, openai: Any) -> str:
    async with rs.aconnect_completion_stream(http, "POST", BASE_URL + "/completions", json={}) as stream:
        async for _ in stream:
            pass
        return stream.snapshot.text


_decode_completion_chunk = msgspec.json.Decoder(rs.completions.CompletionChunk).decode


async def completions_limit(http: httpx.AsyncClient, openai: Any) -> str:
    texts: list[str] = []
    buffer = b""
    async with http.stream("POST", BASE_URL + "/completions", json={}) as response:
        async for data in response.aiter_bytes():
            *blocks, buffer = (buffer + data).split(b"\n\n")
            for block in blocks:
                payload = block[6:]
                if payload == b"[DONE]":
                    break
                chunk = _decode_completion_chunk(payload)
                if chunk.choices:
                    texts.append(chunk.choices[0].text)
    return "".join(texts)


async def completions_openai(http: httpx.AsyncClient, openai: Any) -> str:
    texts: list[str] = []
    async with await openai.completions.create(model="m", prompt="p", stream=True) as chunks:
        async for chunk in chunks:
            texts.extend(choice.text for choice in chunk.choices if choice.index == 0)
    return "".join(texts)


# --- Anthropic Messages ---------------------------------------------------------------------------


def messages_body(n: int) -> tuple[bytes, str]:
    """An Anthropic Messages stream as Anthropic sends it, ``n`` events in all (nearly all text deltas)."""
    deltas = _words(max(1, n - 7))
    start = {
        "id": "msg_bench",
        "type": "message",
        "role": "assistant",
        "model": "claude-bench",
        "content": [],
    }
    usage = {
        "input_tokens": 12,
        "output_tokens": 1,
        "cache_creation_input_tokens": 0,
        "cache_read_input_tokens": 0,
    }
    events: list[dict[str, Any]] = [
        {"type": "message_start", "message": {**start, "stop_reason": None, "usage": usage}},
        {"type": "content_block_start", "index": 0, "content_block": {"type": "text", "text": ""}},
        {"type": "ping"},
        *(
            {"type": "content_block_delta", "index": 0, "delta": {"type": "text_delta", "text": d}}
            for d in deltas
        ),
        {"type": "content_block_stop", "index": 0},
        {
            "type": "message_delta",
            "delta": {"stop_reason": "end_turn", "stop_sequence": None},
            "usage": {"output_tokens": len(deltas)},
        },
        {"type": "message_stop"},
    ]
    return b"".join(_named(event) for event in events), "".join(deltas)


async def messages_r9s(http: httpx.AsyncClient, openai: Any) -> str:
    async with rs.aconnect_message_stream(http, "POST", BASE_URL + "/messages", json={}) as stream:
        async for _ in stream:
            pass
        return stream.snapshot.text


_decode_message_event = msgspec.json.Decoder(
    messages.MessageStartEvent
    | messages.ContentBlockStartEvent
    | messages.ContentBlockDeltaEvent
    | messages.ContentBlockStopEvent
    | messages.MessageDeltaEvent
    | messages.MessageStopEvent
    | messages.PingEvent
    | messages.ErrorEvent
).decode


async def messages_limit(http: httpx.AsyncClient, openai: Any) -> str:
    texts: list[str] = []
    buffer = b""
    async with http.stream("POST", BASE_URL + "/messages", json={}) as response:
        async for data in response.aiter_bytes():
            buffer += data
            *blocks, buffer = buffer.split(b"\n\n")
            for block in blocks:
                event = _decode_message_event(block[block.index(b"data: ") + 6 :])
                if type(event) is messages.ContentBlockDeltaEvent and type(event.delta) is messages.TextDelta:
                    texts.append(event.delta.text)
    return "".join(texts)


async def messages_anthropic(http: httpx.AsyncClient, openai: Any) -> str:
    import anthropic
    import httpx2

    async def relay(request: httpx2.Request) -> httpx2.Response:
        response = await http.send(http.build_request("POST", BASE_URL + "/messages"), stream=True)
        return httpx2.Response(
            200, headers={"content-type": "text/event-stream"}, content=response.aiter_raw()
        )

    async with httpx2.AsyncClient(transport=httpx2.MockTransport(relay)) as relayed:
        client = anthropic.AsyncAnthropic(
            api_key="bench", base_url=BASE_URL.removesuffix("/v1"), http_client=relayed
        )
        async with client.messages.stream(model="claude-bench", max_tokens=8, messages=[]) as stream:
            async for _ in stream:
                pass
            final = await stream.get_final_message()
    return "".join(block.text for block in final.content if block.type == "text")


KINDS: dict[str, Kind] = {
    "responses": Kind(
        "/responses",
        responses_body,
        {
            "r9s": ("r9s_stream (iterate + rebuild)", responses_r9s),
            "limit": ("limit: split bytes + msgspec into the same types", responses_limit),
            "openai-helper": ("openai-python responses.stream()", responses_openai),
        },
    ),
    "completions": Kind(
        "/completions",
        completions_body,
        {
            "r9s": ("r9s_stream (iterate + rebuild)", completions_r9s),
            "limit": ("limit: split bytes + msgspec into the same types", completions_limit),
            "openai": ("openai-python completions.create(stream=True)", completions_openai),
        },
    ),
    "messages": Kind(
        "/messages",
        messages_body,
        {
            "r9s": ("r9s_stream (iterate + rebuild)", messages_r9s),
            "limit": ("limit: split bytes + msgspec into the same types", messages_limit),
            "anthropic": ("anthropic messages.stream()", messages_anthropic),
        },
    ),
}


# --- the runs --------------------------------------------------------------------------------


def _client(body: bytes, pieces: str) -> httpx.AsyncClient:
    reads = cut(body, pieces, 0)

    def answer(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, headers={"content-type": "text/event-stream"}, stream=PiecesStream(reads))

    return httpx.AsyncClient(transport=httpx.MockTransport(answer))


def inner(key: str, kind_name: str, pieces: str, n: int) -> None:
    """In the child: read one stream of ``n`` events, collecting instructions only around it."""
    kind = KINDS[kind_name]
    _, run = kind.contenders[key]

    def once(events: int) -> tuple[Awaitable[str], str]:
        body, text = kind.body(events)
        http = _client(body, pieces)
        openai = _openai_client(BASE_URL, http) if key.startswith("openai") else None
        return run(http, openai), text

    warm, text = once(200)
    if asyncio.run(warm) != text:  # type: ignore[arg-type]
        raise SystemExit(f"{key} rebuilt the wrong text")
    measured, text = once(n)
    # callgrind counts only inside _PyEval_CallTracing (--toggle-collect), i.e. this call.
    if sys.call_tracing(asyncio.run, (measured,)) != text:
        raise SystemExit(f"{key} rebuilt the wrong text")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--kind", default="all", help=f"one of {', '.join(KINDS)} or all")
    parser.add_argument("--only", default="", help="contenders (default: every one of the kind)")
    parser.add_argument("--pieces", choices=["event", "burst", "all"], default="all")
    parser.add_argument("--n", type=int, default=1000, help="events of the smaller stream (default 1000)")
    parser.add_argument("--jobs", type=int, default=1, help="callgrind runs at once (default 1)")
    parser.add_argument("--list", action="store_true", help="print each kind:contender and stop")
    parser.add_argument("--inner", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.list:
        print("\n".join(f"{name}:{key}" for name, kind in KINDS.items() for key in kind.contenders))
        return
    if args.inner:
        inner(args.inner, args.kind, args.pieces, args.n)
        return
    if shutil.which("valgrind") is None:
        raise SystemExit("valgrind is not installed")
    kinds = list(KINDS) if args.kind == "all" else [args.kind]
    regimes = ["event", "burst"] if args.pieces == "all" else [args.pieces]
    names = {"event": "one event per read", "burst": "1–4 KiB reads"}
    for kind_name in kinds:
        kind = KINDS[kind_name]
        keys = [k for k in (args.only.split(",") if args.only else kind.contenders) if k in kind.contenders]
        for peer in ("openai", "anthropic"):  # the peers are optional (the bench extra)
            try:
                __import__(peer)
            except ImportError:
                keys = [k for k in keys if not k.startswith(peer)]
        jobs = [(key, pieces) for key in keys for pieces in regimes]
        with ThreadPoolExecutor(max(1, args.jobs)) as pool:
            measured = pool.map(
                lambda job, kind=kind_name: per_chunk(
                    job[0], kind, job[1], args.n, script=__file__, slow=SLOW
                ),
                jobs,
            )
            counts = dict(zip(jobs, measured, strict=True))
        print(f"### {kind_name}: instructions per event (callgrind, memory, n={args.n} vs {3 * args.n})\n")
        print("| contender | " + " | ".join(names[p] for p in regimes) + " |")
        print("|---|" + "---:|" * len(regimes))
        for key in keys:
            cells = []
            for pieces in regimes:
                mine, limit = counts[key, pieces], counts.get(("limit", pieces))
                cells.append(f"{mine:,.0f}" + (f" ({mine / limit:.2f}× the limit)" if limit else ""))
            print(f"| {kind.contenders[key][0]} | " + " | ".join(cells) + " |")
        print()


if __name__ == "__main__":
    main()
