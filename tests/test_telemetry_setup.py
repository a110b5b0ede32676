"""OpenTelemetry set-up: content capture off unless asked, no key anywhere, global providers, no extra.

The global-provider and no-extra checks run in a subprocess each: OpenTelemetry's global
providers can be set only once per process, and hiding an installed package is only clean
in a fresh interpreter.
"""

from __future__ import annotations

import contextlib
import json
import secrets
import subprocess
import sys
import textwrap
from collections.abc import Iterator

import anyio
import msgspec
import pytest

import r9s_stream as rs
from _otel import Recorded, strings_of
from _reliability import IGNORE_HTTPCORE_BODY_GENERATOR, running_loopback_app
from r9s_stream import testing
from r9s_stream._telemetry import CAPTURE_CONTENT_VARIABLE
from r9s_stream._telemetry_content import input_messages
from r9s_stream._telemetry_request import provider_for_host

pytestmark = IGNORE_HTTPCORE_BODY_GENERATOR

PROMPT = "the quick brown fox"
MESSAGES = [{"role": "system", "content": "be brief"}, {"role": "user", "content": PROMPT}]


@pytest.fixture(params=["asyncio", "trio"])
def anyio_backend(request: pytest.FixtureRequest) -> str:
    """Every stream test runs on asyncio and on trio."""
    backend: str = request.param
    return backend


@pytest.fixture(scope="module")
def server_url() -> Iterator[str]:
    """The embedded server, no key asked."""
    with testing.run_server() as url:
        yield url


@pytest.fixture
def otel() -> Iterator[Recorded]:
    """Providers of the test's own."""
    recorded = Recorded()
    yield recorded
    recorded.shutdown()


async def _span_attributes(otel: Recorded, url: str, **options: object) -> dict[str, object]:
    async with rs.AsyncClient("sk-local", url, **otel.providers, **options) as client:  # type: ignore[arg-type]
        await client.complete(model="echo", messages=MESSAGES)
    return dict(otel.span().attributes or {})


# --- content capture ------------------------------------------------------------------------


@pytest.mark.anyio
async def test_content_is_not_captured_by_default(
    otel: Recorded, server_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Without the variable or the argument, neither prompt nor reply is on the span."""
    monkeypatch.delenv(CAPTURE_CONTENT_VARIABLE, raising=False)
    attributes = await _span_attributes(otel, server_url)
    assert "gen_ai.input.messages" not in attributes
    assert "gen_ai.output.messages" not in attributes
    assert PROMPT not in json.dumps({k: str(v) for k, v in attributes.items()})


@pytest.mark.anyio
@pytest.mark.parametrize("how", ["argument", "variable"])
async def test_content_is_captured_in_the_conventions_shape_when_asked(
    otel: Recorded, server_url: str, monkeypatch: pytest.MonkeyPatch, how: str
) -> None:
    """``capture_message_content=True`` or the variable: input and output messages as JSON parts."""
    if how == "variable":
        monkeypatch.setenv(CAPTURE_CONTENT_VARIABLE, "true")
        attributes = await _span_attributes(otel, server_url)
    else:
        monkeypatch.delenv(CAPTURE_CONTENT_VARIABLE, raising=False)
        attributes = await _span_attributes(otel, server_url, capture_message_content=True)
    assert msgspec.json.decode(str(attributes["gen_ai.input.messages"])) == [
        {"role": "system", "parts": [{"type": "text", "content": "be brief"}]},
        {"role": "user", "parts": [{"type": "text", "content": PROMPT}]},
    ]
    assert msgspec.json.decode(str(attributes["gen_ai.output.messages"])) == [
        {"role": "assistant", "parts": [{"type": "text", "content": PROMPT}], "finish_reason": "stop"}
    ]


@pytest.mark.anyio
async def test_the_argument_false_wins_over_the_variable(
    otel: Recorded, server_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A client told not to capture does not, whatever the environment says."""
    monkeypatch.setenv(CAPTURE_CONTENT_VARIABLE, "true")
    attributes = await _span_attributes(otel, server_url, capture_message_content=False)
    assert "gen_ai.input.messages" not in attributes


def test_tool_calls_and_their_results_become_tool_call_parts() -> None:
    """An assistant tool call and the tool's answer keep their id, name, parsed arguments and response."""
    messages = [
        {
            "role": "assistant",
            "content": None,
            "tool_calls": [
                {"id": "call_1", "type": "function", "function": {"name": "f", "arguments": '{"x": 1}'}}
            ],
        },
        {"role": "tool", "tool_call_id": "call_1", "content": "42"},
        {"role": "user", "content": [{"type": "image_url", "image_url": {"url": "https://i/x.png"}}]},
    ]
    assert msgspec.json.decode(input_messages(messages)) == [
        {
            "role": "assistant",
            "parts": [{"type": "tool_call", "id": "call_1", "name": "f", "arguments": {"x": 1}}],
        },
        {"role": "tool", "parts": [{"type": "tool_call_response", "id": "call_1", "response": "42"}]},
        {"role": "user", "parts": [{"type": "uri", "modality": "image", "uri": "https://i/x.png"}]},
    ]


# --- the API key ------------------------------------------------------------------------------

KEY = "sk-r9s-" + secrets.token_hex(20)


@pytest.fixture(scope="module")
def hostile() -> Iterator[str]:
    """tests/_reliability_app.py: a server that echoes the Authorization header everywhere."""
    with running_loopback_app() as url:
        yield url


@pytest.mark.anyio
@pytest.mark.parametrize("route", ["", "/echo/status", "/echo/stream-error", "/echo/malformed", "/echo/html"])
async def test_no_span_ever_holds_the_key_even_with_content_capture(
    otel: Recorded, hostile: str, route: str
) -> None:
    """The key a server echoes in a reply, an error or a status never reaches an attribute or event."""
    async with rs.AsyncClient(
        KEY, f"{hostile}{route}/v1", max_retries=0, capture_message_content=True, **otel.providers
    ) as client:
        with anyio.fail_after(10), contextlib.suppress(rs.R9sStreamError):
            await client.complete(model="m", messages=MESSAGES)
    span = otel.span()
    texts = list(strings_of(span))
    assert not [text for text in texts if KEY in text]
    if not route:  # the echo arrived as the reply: captured, blotted out
        assert "[redacted]" in str((span.attributes or {})["gen_ai.output.messages"])


# --- provider name ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("host", "provider"),
    [
        ("api.r9s.ai", "r9s"),
        ("api.openai.com", "openai"),
        ("my-resource.openai.azure.com", "azure.ai.openai"),
        ("api.deepseek.com", "deepseek"),
        ("generativelanguage.googleapis.com", "gcp.gemini"),
        ("openrouter.ai", "openrouter"),
        ("127.0.0.1", "openai"),
        ("vllm.internal", "openai"),
    ],
)
def test_the_provider_name_comes_from_the_host(host: str, provider: str) -> None:
    """Known hosts get the conventions' provider names; any other OpenAI-compatible server ``openai``."""
    assert provider_for_host(host) == provider


@pytest.mark.anyio
async def test_gen_ai_provider_overrides_the_name_from_the_host(otel: Recorded, server_url: str) -> None:
    """``gen_ai_provider=`` names the provider on the span and on every metric."""
    attributes = await _span_attributes(otel, server_url, gen_ai_provider="vllm")
    assert attributes["gen_ai.provider.name"] == "vllm"
    (duration,) = otel.points("gen_ai.client.operation.duration")
    assert (duration.attributes or {})["gen_ai.provider.name"] == "vllm"


# --- global providers, and no extra at all ------------------------------------------------------

_GLOBAL_PROVIDERS = """
import json, sys
import anyio, httpx
import r9s_stream as rs
from r9s_stream import testing
assert "opentelemetry" not in sys.modules, "imported with r9s_stream"
from opentelemetry import metrics, trace
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import InMemoryMetricReader
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

async def main():
    client = rs.AsyncClient("k", "http://mock/v1", http_client=httpx.AsyncClient(
        transport=testing.ChatScenario(text="one two").transport()))
    await client.complete(model="before", messages=[])  # no provider yet: nothing, no error
    exporter, reader = InMemorySpanExporter(), InMemoryMetricReader()
    tracer_provider = TracerProvider()
    tracer_provider.add_span_processor(SimpleSpanProcessor(exporter))
    trace.set_tracer_provider(tracer_provider)
    metrics.set_meter_provider(MeterProvider(metric_readers=[reader]))
    await client.complete(model="after", messages=[])
    names = sorted(m.name for r in reader.get_metrics_data().resource_metrics
                   for s in r.scope_metrics for m in s.metrics)
    print(json.dumps([[span.name for span in exporter.get_finished_spans()], names]))

anyio.run(main)
"""

_WITHOUT_OPENTELEMETRY = """
import sys
sys.modules["opentelemetry"] = None  # as if the extra were not installed: importing it fails
import anyio, httpx
import r9s_stream as rs
from r9s_stream import testing

async def main():
    transport = testing.ChatScenario(text="one two").transport()
    async with rs.AsyncClient("k", "http://mock/v1", http_client=httpx.AsyncClient(transport=transport)) as c:
        print((await c.complete(model="m", messages=[])).choices[0].message.content)
    async with httpx.AsyncClient(transport=transport) as http:
        async with rs.aconnect_chat_stream(http, "POST", "http://mock/v1/chat/completions", json={}) as s:
            print((await s.until_done()).choices[0].message.content)

anyio.run(main)
"""


def _run(script: str) -> str:
    done = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(script)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


def test_the_global_providers_are_used_once_set_and_opentelemetry_is_imported_only_when_used() -> None:
    """No import at ``import r9s_stream``; nothing before a global SDK is set, a span and metrics after."""
    assert json.loads(_run(_GLOBAL_PROVIDERS)) == [
        ["chat after"],
        [
            "gen_ai.client.operation.duration",
            "gen_ai.client.operation.time_per_output_chunk",
            "gen_ai.client.operation.time_to_first_chunk",
            "gen_ai.client.token.usage",
        ],
    ]


def test_without_the_extra_streams_work_as_before() -> None:
    """When ``opentelemetry`` cannot be imported, the client and ``aconnect_chat_stream`` just stream."""
    assert _run(_WITHOUT_OPENTELEMETRY).splitlines() == ["one two", "one two"]
