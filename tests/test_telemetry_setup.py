"""OpenTelemetry set-up: provider names, message shapes, global providers, and no extra at all.

The global-provider and no-extra checks run in a subprocess each: OpenTelemetry's global
providers can be set only once per process, and hiding an installed package is only clean
in a fresh interpreter.
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap

import msgspec
import pytest

from r9s_stream import testing
from r9s_stream._telemetry._content import input_messages
from r9s_stream._telemetry._request import provider_for_host


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
    assert msgspec.json.decode(input_messages({"messages": messages})) == [
        {
            "role": "assistant",
            "parts": [{"type": "tool_call", "id": "call_1", "name": "f", "arguments": {"x": 1}}],
        },
        {"role": "tool", "parts": [{"type": "tool_call_response", "id": "call_1", "response": "42"}]},
        {"role": "user", "parts": [{"type": "uri", "modality": "image", "uri": "https://i/x.png"}]},
    ]


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


# --- global providers, and no extra at all ------------------------------------------------------

_GLOBAL_PROVIDERS = """
import json, sys
import anyio, httpx
import r9s_stream as rs
from r9s_stream import testing

async def main():
    assert "opentelemetry" not in sys.modules, "imported with r9s_stream"
    client = rs.AsyncClient("k", "http://mock/v1", http_client=httpx.AsyncClient(
        transport=testing.ChatScenario(text="one two").transport()))
    await client.complete(model="before", messages=[])  # nothing set up: nothing recorded
    assert "opentelemetry" not in sys.modules, "imported with nothing set up"
    from opentelemetry import metrics, trace
    from opentelemetry.sdk.metrics import MeterProvider
    from opentelemetry.sdk.metrics.export import InMemoryMetricReader
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import SimpleSpanProcessor
    from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

    await client.complete(model="imported", messages=[])  # imported, no provider: no error
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
    """Not imported until the process uses OpenTelemetry; nothing before a global SDK is set, all after."""
    pytest.importorskip(
        "opentelemetry.sdk", reason="the OpenTelemetry SDK (a dev dependency) is not installed"
    )
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


# --- the command's --otel-console ---------------------------------------------------------------


def _cli(*args: str, hide_sdk: bool = False) -> subprocess.CompletedProcess[str]:
    prelude = "import sys; sys.modules['opentelemetry.sdk'] = None; " if hide_sdk else "import sys; "
    code = prelude + f"from r9s_stream._cli import main; sys.exit(main({list(args)!r}))"
    env = {"PATH": "/usr/bin:/bin", "NO_COLOR": "1"}
    return subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=False, env=env
    )


def test_otel_console_prints_the_span_to_stderr_after_the_reply() -> None:
    """``chat --otel-console``: the reply alone on stdout; the span, as JSON, after the stats line."""
    pytest.importorskip(
        "opentelemetry.sdk", reason="the OpenTelemetry SDK (a dev dependency) is not installed"
    )
    with testing.run_server() as url:
        done = _cli("chat", "four little words here", "--base-url", url, "--model", "echo", "--otel-console")
    assert done.returncode == 0, done.stderr
    assert done.stdout == "four little words here\n"
    stats, _, spans = done.stderr.partition("\n")
    assert "tokens" in stats
    span = json.loads(spans)
    assert span["name"] == "chat echo"
    assert span["kind"] == "SpanKind.CLIENT"
    assert span["attributes"]["gen_ai.usage.output_tokens"] == 4
    assert span["resource"]["attributes"]["service.name"] == "r9s-stream"


def test_otel_console_without_the_sdk_is_one_clear_error_line() -> None:
    """Without the SDK the flag says what to install, on one line, exit status 1, before any request."""
    done = _cli("chat", "hi", "--base-url", "http://127.0.0.1:9/v1", "--otel-console", hide_sdk=True)
    assert done.returncode == 1
    assert done.stderr.strip().splitlines() == [
        "r9s-stream: error: --otel-console needs the OpenTelemetry SDK: "
        "pip install 'r9s-stream[otel]' opentelemetry-sdk"
    ]


def test_input_messages_of_every_wire_kind() -> None:
    """Responses' instructions and input, Messages' system, Completions' prompt become GenAI messages."""
    text = {"type": "text", "content": "hi"}
    assert msgspec.json.decode(input_messages({"instructions": "be brief", "input": "hi"})) == [
        {"role": "system", "parts": [{"type": "text", "content": "be brief"}]},
        {"role": "user", "parts": [text]},
    ]
    messages_body = {
        "system": "be brief",
        "messages": [{"role": "user", "content": [{"type": "text", "text": "hi"}]}],
    }
    assert msgspec.json.decode(input_messages(messages_body))[1] == {"role": "user", "parts": [text]}
    assert msgspec.json.decode(input_messages({"prompt": ["hi", "ho"]})) == [
        {"role": "user", "parts": [text]},
        {"role": "user", "parts": [{"type": "text", "content": "ho"}]},
    ]


def test_summary_reads_each_kinds_names() -> None:
    """Token counts and finish reasons are read under each kind's names (input_tokens, stop_reason …)."""
    from types import SimpleNamespace

    from r9s_stream._telemetry._summary import summarize

    message = SimpleNamespace(id="msg_1", model="claude", stop_reason="end_turn")
    usage = SimpleNamespace(input_tokens=10, output_tokens=3, cache_read_input_tokens=4)
    summary = summarize(message, usage)
    assert (summary.response_id, summary.finish_reasons) == ("msg_1", ["end_turn"])
    assert (summary.input_tokens, summary.output_tokens, summary.cached_input_tokens) == (10, 3, 4)
    response = SimpleNamespace(
        id="resp_1",
        model="gpt",
        status="incomplete",
        incomplete_details=SimpleNamespace(reason="max_output_tokens"),
    )
    assert summarize(response, None).finish_reasons == ["max_output_tokens"]
