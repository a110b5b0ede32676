"""OpenTelemetry content capture: off unless asked, the conventions' message shape, never the key.

Each test hands the client its own SDK providers with in-memory exporters (tests/_otel.py).
On asyncio and trio.
"""

from __future__ import annotations

import contextlib
import json
import secrets
from collections.abc import Iterator
from typing import Any

import anyio
import msgspec
import pytest

import r9s_stream as rs
from _loops import asyncio_and_trio  # noqa: F401  (the anyio_backend fixture: both loops)
from _otel import Recorded, strings_of
from _reliability import IGNORE_HTTPCORE_BODY_GENERATOR, running_loopback_app
from r9s_stream import testing
from r9s_stream._telemetry._call import CAPTURE_CONTENT_VARIABLE

pytestmark = IGNORE_HTTPCORE_BODY_GENERATOR

PROMPT = "the quick brown fox"
MESSAGES = [{"role": "system", "content": "be brief"}, {"role": "user", "content": PROMPT}]


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


async def _span_attributes(otel: Recorded, url: str, **options: Any) -> dict[str, object]:
    async with rs.AsyncClient("sk-local", url, **otel.providers, **options) as client:
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


@pytest.mark.anyio
async def test_gen_ai_provider_overrides_the_name_from_the_host(otel: Recorded, server_url: str) -> None:
    """``gen_ai_provider=`` names the provider on the span and on every metric."""
    attributes = await _span_attributes(otel, server_url, gen_ai_provider="vllm")
    assert attributes["gen_ai.provider.name"] == "vllm"
    (duration,) = otel.points("gen_ai.client.operation.duration")
    assert (duration.attributes or {})["gen_ai.provider.name"] == "vllm"
