"""The ``r9s-stream`` command: chat, replay, serve, demo, batch.

Exit status: 0 on success, 1 when the request or the stream failed (one line on stderr, no
traceback), 2 for a usage error, 130 after Ctrl-C (what was printed stays on screen).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import io
import os
import sys
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any, TextIO

import anyio
import httpx

from .._client import DEFAULT_BASE_URL, GATEWAY_DOMAIN, AsyncClient
from .._exceptions import APIStatusError, R9sStreamError, StreamError
from .._version import __version__
from ._api import Api, Printer, Prompt
from ._apis import APIS, DEFAULT_API
from ._batch import add_batch_command, run_batch_command
from ._kinds import Kind, detect_kind
from ._render import stats_line, use_color

if TYPE_CHECKING:
    from .._streaming._stream import Stream

__all__ = ["main"]

PROG = "r9s-stream"
DEFAULT_MODEL = "glm-5"
INTERRUPTED = 130


class _Failure(Exception):
    """An error already worded for the user: printed as one line, exit status 1."""


def _error_line(error: BaseException, secret: str | None) -> str:
    if isinstance(error, APIStatusError):
        text = str(error) + (f" (request id {error.request_id})" if error.request_id else "")
    elif isinstance(error, httpx.ConnectError):
        url = error.request.url
        port = url.port or (443 if url.scheme == "https" else 80)  # httpx leaves a default port None
        text = f"cannot connect to {url.host}:{port}: {error}"
    elif isinstance(error, OSError) and error.strerror:
        text = error.strerror
    elif isinstance(error, httpx.HTTPError):
        text = f"{type(error).__name__}: {error}"
    else:
        text = f"{type(error).__name__}: {error}" if isinstance(error, StreamError) else str(error)
    if secret:
        text = text.replace(secret, "[hidden]")
    return f"{PROG}: error: {text}"


async def _show_stream(stream: Stream[Any, Any], printer: Printer | None) -> Any:
    """Print a stream live (unless ``printer`` is ``None``: ``--json``); return the rebuilt object."""
    if printer is None:
        return await stream.until_done()
    try:
        async for event in stream:
            printer.event(event, stream)
    finally:
        printer.finish(stream)
    return stream.snapshot


async def _chat(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    spans = _ConsoleSpans(args.otel_console, err)
    try:
        return await _chat_with(args, out, err, spans.options)
    finally:
        spans.print()  # after the reply and its stats line, whatever happened


def _check_key(args: argparse.Namespace) -> None:
    """Refuse, before sending anything, to call the r9s gateway without a key (it would answer 401)."""
    if args.api_key or os.environ.get("R9S_API_KEY"):
        return
    base_url = args.base_url or os.environ.get("R9S_BASE_URL") or DEFAULT_BASE_URL
    if httpx.URL(base_url).host.endswith(GATEWAY_DOMAIN):
        raise _Failure(
            f"no API key is set for {base_url}: set R9S_API_KEY or pass --api-key "
            f"(or --base-url for a server that needs none, such as `{PROG} serve`)"
        )


async def _chat_with(args: argparse.Namespace, out: TextIO, err: TextIO, options: dict[str, Any]) -> int:
    _check_key(args)
    api = APIS[args.api]
    prompt = Prompt(model=args.model, text=args.prompt, system=args.system)
    color = use_color(out) and not args.json
    async with AsyncClient(
        api_key=args.api_key, base_url=args.base_url, max_retries=args.max_retries, **options
    ) as client:
        stream: Stream[Any, Any] | None = None
        try:
            async with api.open(client, prompt) as stream:
                answer = await _show_stream(stream, None if args.json else api.printer(out, color=color))
        except StreamError as error:
            if args.json and error.partial is not None:
                print(api.to_json(error.partial), file=out)
            raise
        except (asyncio.CancelledError, KeyboardInterrupt):
            if stream is not None:
                if args.json:
                    print(api.to_json(stream.snapshot), file=out)
                line = stats_line(
                    api.usage_text(stream.usage), stream.stats, color=use_color(err), unit=api.unit
                )
                print(line + " · interrupted", file=err)
            raise
    if args.json:
        print(api.to_json(answer), file=out)
    else:
        note = api.finish_note(answer, stream.done)
        line = stats_line(api.usage_text(stream.usage), stream.stats, color=use_color(err), unit=api.unit)
        print(line + note, file=err)
    return 0


async def _replay(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    from ..testing import sse_transport

    try:
        body = await anyio.Path(args.file).read_bytes()
    except OSError as error:
        raise _Failure(f"cannot read {args.file}: {error.strerror or error}") from None
    kind = detect_kind(body)
    api = _api_for_replay(kind, args.file)
    transport = sse_transport(body, piece_size=args.piece_size)
    failure: StreamError | None = None
    async with (
        httpx.AsyncClient(transport=transport) as http,
        api.connect(http, f"http://replay.invalid/v1{api.path}") as stream,
    ):
        try:
            answer = await stream.until_done()
        except StreamError as error:
            failure = error
            answer = error.partial if error.partial is not None else stream.snapshot
    if args.json:
        print(api.to_json(answer), file=out)
    else:
        print(api.describe(answer, color=use_color(out)), file=out)
        note = api.finish_note(answer, stream.done)
        events = f" · {stream.stats.chunks} {api.unit}"
        print(stats_line(api.usage_text(stream.usage), None) + events + note, file=out)
    if failure is not None:
        raise failure
    return 0


def _api_for_replay(kind: Kind, file: str) -> Api:
    """The kind a recording holds, or a clear refusal when this command cannot rebuild it."""
    api: Api | None = APIS.get(kind)
    if api is None:
        raise _Failure(f"{file} holds a {kind} stream, which replay cannot rebuild yet")
    return api


async def _demo(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    from ..testing import run_server

    color = use_color(out)
    with run_server(token_delay=args.token_delay) as base_url:
        print(
            f"Embedded OpenAI-compatible server on {base_url} (loopback only: no key, no network)\n", file=out
        )
        spans = _ConsoleSpans(args.otel_console, err)
        async with AsyncClient(api_key="local-demo-key", base_url=base_url, **spans.options) as client:
            for model, prompt in DEMO_CHATS:
                print(f"$ {PROG} chat --model {model} {prompt!r}", file=out)
                chat = APIS["chat"]
                async with chat.open(client, Prompt(model=model, text=prompt)) as stream:
                    await _show_stream(stream, chat.printer(out, color=color))
                print(stats_line(chat.usage_text(stream.usage), stream.stats, color=color) + "\n", file=out)
                spans.print()
    print("Stopped the server. Next: r9s-stream serve, then point any OpenAI client at it.", file=out)
    return 0


DEMO_CHATS = (
    (
        "reasoning",
        "Every word you read arrived as its own chunk over a real socket, decoded and rebuilt as it came.",
    ),
    ("tool-call", "What is the weather in Paris?"),
)


class _ConsoleSpans:
    """``--otel-console``: each request's span, kept until the reply is printed, then on stderr."""

    def __init__(self, enabled: bool, err: TextIO) -> None:
        self._err = err
        self._spans = io.StringIO()
        self.options: dict[str, Any] = {}
        if not enabled:
            return
        try:
            from opentelemetry.sdk.resources import Resource
            from opentelemetry.sdk.trace import TracerProvider
            from opentelemetry.sdk.trace.export import ConsoleSpanExporter, SimpleSpanProcessor
        except ImportError:
            raise _Failure(
                "--otel-console needs the OpenTelemetry SDK: pip install 'r9s-stream[otel]' opentelemetry-sdk"
            ) from None
        provider = TracerProvider(resource=Resource.create({"service.name": PROG}))
        provider.add_span_processor(SimpleSpanProcessor(ConsoleSpanExporter(out=self._spans)))
        self.options = {"tracer_provider": provider}

    def print(self) -> None:
        """Print the spans ended since the last call."""
        if self._spans.tell():
            print(self._spans.getvalue(), end="", file=self._err)
            self._spans.seek(0)
            self._spans.truncate()


def _serve(args: argparse.Namespace, out: TextIO) -> int:
    from .._server import MODELS, base_url_of, listen, serve_forever

    sock = listen(args.host, args.port)
    print(f"{PROG} local server: {base_url_of(sock)}  (Ctrl-C to stop)", file=out)
    print(f"models: {', '.join(MODELS)}, status-NNN[-xK]", file=out, flush=True)
    # uvicorn re-raises the Ctrl-C it shut down on: stopping is the normal end of `serve`.
    with contextlib.suppress(KeyboardInterrupt):
        serve_forever(
            sock, token_delay=args.token_delay, stall_seconds=args.stall, api_key=args.require_api_key
        )
    print(f"{PROG}: server stopped", file=out)
    return 0


def _count(minimum: int) -> Callable[[str], int]:
    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"not a whole number: {text!r}") from None
        if value < minimum:
            raise argparse.ArgumentTypeError(f"must be at least {minimum}, got {value}")
        return value

    return parse


def _seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number of seconds: {text!r}") from None
    if not value >= 0:
        raise argparse.ArgumentTypeError(f"must be 0 or more seconds, got {text}")
    return value


_OTEL_CONSOLE_HELP = "print each request's OpenTelemetry span to stderr (needs opentelemetry-sdk)"


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog=PROG, description="Stream OpenAI-compatible chat completions.")
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    chat = commands.add_parser("chat", help="stream a reply to the terminal")
    chat.add_argument("prompt", help="the user message")
    chat.add_argument(
        "--model",
        "-m",
        default=os.environ.get("R9S_MODEL", DEFAULT_MODEL),
        help=f"default: $R9S_MODEL, else {DEFAULT_MODEL}",
    )
    chat.add_argument(
        "--api",
        choices=list(APIS),
        default=DEFAULT_API,
        help=f"the endpoint and wire format to stream from (default {DEFAULT_API})",
    )
    chat.add_argument("--system", "-s", help="a system message sent first")
    chat.add_argument("--json", action="store_true", help="print the final answer (ChatCompletion …) as JSON")
    chat.add_argument("--base-url", help="default: $R9S_BASE_URL, else https://api.r9s.ai/v1")
    chat.add_argument("--api-key", help="default: $R9S_API_KEY")
    chat.add_argument(
        "--max-retries", type=_count(0), default=2, help="retries before the first byte (default 2)"
    )
    chat.add_argument("--otel-console", action="store_true", help=_OTEL_CONSOLE_HELP)

    replay = commands.add_parser("replay", help="decode a recorded .sse stream offline, of any kind")
    replay.add_argument("file", help="the recorded response body (raw SSE bytes); its kind is read from it")
    replay.add_argument("--json", action="store_true", help="print the rebuilt answer as JSON")
    replay.add_argument("--piece-size", type=_count(1), help="feed the bytes in pieces of this size")

    serve = commands.add_parser("serve", help="run the embedded OpenAI-compatible server")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=_count(0), default=8000)
    serve.add_argument("--token-delay", type=_seconds, default=0.01, help="seconds per chunk (default 0.01)")
    serve.add_argument("--stall", type=_seconds, default=30.0, help="seconds the fault-stall models stall")
    serve.add_argument("--require-api-key", help="answer 401 unless this key is sent")

    demo = commands.add_parser("demo", help="stream from the embedded server: no key, no network")
    demo.add_argument("--token-delay", type=_seconds, default=0.015, help="seconds per chunk (default 0.015)")
    demo.add_argument("--otel-console", action="store_true", help=_OTEL_CONSOLE_HELP)
    add_batch_command(commands, _count)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command; return its exit status."""
    args = _parser().parse_args(argv)
    out, err = sys.stdout, sys.stderr
    secret = getattr(args, "api_key", None) or os.environ.get("R9S_API_KEY")
    try:
        if args.command == "serve":
            return _serve(args, out)
        if args.command == "batch":
            return run_batch_command(args, argv, err)
        runner = {"chat": _chat, "replay": _replay, "demo": _demo}[args.command]
        return asyncio.run(runner(args, out, err))
    except KeyboardInterrupt:
        print(f"\n{PROG}: interrupted", file=err)
        return INTERRUPTED
    except BrokenPipeError:
        # The reader went away (`| head`): stop quietly, and keep Python from complaining
        # again when it flushes stdout on the way out.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 1
    except (_Failure, R9sStreamError, httpx.HTTPError, ImportError, OSError) as error:
        out.flush()
        print(_error_line(error, secret), file=err)
        return 1


if __name__ == "__main__":
    sys.exit(main())
