"""Security: the API key stays secret, redirects do not carry it to another origin, TLS is verified.

A hostile server (tests/_reliability_app.py) echoes the Authorization header it receives in
every place a client might show it: an HTTP error body and headers, an in-stream error, a
malformed payload, an HTML page, an ``event: error``. Every string the client produces —
``str``/``repr`` of errors and their attributes, tracebacks, log records, the CLI's output —
is searched for the key.
"""

from __future__ import annotations

import logging
import os
import secrets
import shutil
import ssl
import subprocess
import sys
import traceback
from collections.abc import Iterator
from pathlib import Path

import anyio
import httpx
import pytest

import r9s_stream as rs
from _loops import asyncio_and_trio  # noqa: F401  (the anyio_backend fixture: both loops)
from _reliability import IGNORE_HTTPCORE_BODY_GENERATOR, running_loopback_app
from _stacks import error_class, on_every_stack, rs_client
from r9s_stream import testing
from r9s_stream._cli import main as cli_main

pytestmark = IGNORE_HTTPCORE_BODY_GENERATOR

KEY = "sk-r9s-" + secrets.token_hex(20)
MESSAGES = [{"role": "user", "content": "hi"}]
BODY = {"model": "m", "messages": MESSAGES, "stream": True}
HOSTILE = ["status", "stream-error", "malformed", "html", "named-error"]


@pytest.fixture(scope="module")
def origins() -> Iterator[tuple[str, str]]:
    """Two hostile loopback servers on different ports: two origins."""
    with running_loopback_app() as first, running_loopback_app() as second:
        yield first, second


def _strings(value: object, depth: int = 0) -> Iterator[str]:
    """Every string reachable from an error: str, repr, attributes, causes, the traceback."""
    if depth > 4:
        return
    yield str(value)
    yield repr(value)
    if isinstance(value, BaseException):
        yield "".join(traceback.format_exception(type(value), value, value.__traceback__))
        for item in value.args:
            yield from _strings(item, depth + 1)
        for cause in (value.__cause__, value.__context__):
            if cause is not None:
                yield from _strings(cause, depth + 1)
    if isinstance(value, dict):
        for key, item in value.items():
            yield from _strings(key, depth + 1)
            yield from _strings(item, depth + 1)
    elif isinstance(value, (list, tuple)):
        for item in value:
            yield from _strings(item, depth + 1)
    elif hasattr(value, "__dict__") and not isinstance(value, type):
        for name, item in vars(value).items():
            if name != "completion":  # the data the server sent: the user's, not a message
                yield from _strings(item, depth + 1)


def _assert_no_key(*texts: str) -> None:
    for text in texts:
        assert KEY not in text, f"the API key leaked: …{text[max(0, text.find(KEY) - 80) : text.find(KEY)]}"


def _log_lines(caplog: pytest.LogCaptureFixture) -> list[str]:
    """Log lines a deployment would keep: ours at every level, everyone's from INFO up.

    httpcore's DEBUG trace prints the response headers verbatim; a server that echoes the key
    in a header is echoing it there too (see the threat model in the README).
    """
    return [
        f"{record.getMessage()} {record.args}"
        for record in caplog.records
        if record.name.startswith("r9s_stream") or record.levelno >= logging.INFO
    ]


# --- the key in repr, str, errors and logs ------------------------------------------------


def test_the_client_repr_hides_the_key(monkeypatch: pytest.MonkeyPatch) -> None:
    """repr() and str() of AsyncClient never show the key, given as an argument or from R9S_API_KEY."""
    monkeypatch.setenv("R9S_API_KEY", KEY)
    from_env = rs.AsyncClient()
    given = rs.AsyncClient(api_key=KEY)
    _assert_no_key(repr(from_env), str(from_env), repr(given), str(given))
    assert "hidden" in repr(given)


@pytest.mark.anyio
@pytest.mark.parametrize("route", HOSTILE)
@on_every_stack
async def test_errors_never_show_the_key_a_server_echoes(
    origins: tuple[str, str], route: str, caplog: pytest.LogCaptureFixture, stack: str
) -> None:
    """Whatever a hostile server echoes, the error, its attributes, traceback and logs hold no key."""
    caplog.set_level(logging.DEBUG)
    base_url = f"{origins[0]}/echo/{route}/v1"
    async with rs_client(stack, api_key=KEY, base_url=base_url, max_retries=0) as client:
        with anyio.fail_after(10), pytest.raises(rs.R9sStreamError) as caught:
            async with client.stream(model="m", messages=MESSAGES) as stream:
                await stream.until_done()
        with anyio.fail_after(10), pytest.raises(rs.R9sStreamError) as completed:
            await client.complete(model="m", messages=MESSAGES)
    _assert_no_key(*_strings(caught.value), *_strings(completed.value), *_log_lines(caplog))


@pytest.mark.anyio
@on_every_stack
async def test_a_retried_request_logs_no_key(caplog: pytest.LogCaptureFixture, stack: str) -> None:
    """The retry log line and httpx's own debug logs never hold the key."""
    caplog.set_level(logging.DEBUG)
    with testing.run_server() as base_url:
        async with rs_client(stack, api_key=KEY, base_url=base_url, max_retries=2) as client:
            with anyio.fail_after(10):
                completion = await client.complete(model="status-429-x1", messages=MESSAGES)
    assert completion.choices[0].message.content
    assert any("retrying" in record.getMessage() for record in caplog.records)
    _assert_no_key(*_log_lines(caplog))


@pytest.mark.parametrize("route", HOSTILE)
def test_the_cli_error_output_never_shows_the_key(
    origins: tuple[str, str], route: str, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """`r9s-stream chat` against a server echoing the key prints one error line and no key."""
    monkeypatch.setenv("R9S_API_KEY", KEY)
    status = cli_main(["chat", "--base-url", f"{origins[0]}/echo/{route}/v1", "--max-retries", "0", "hi"])
    out, err = capsys.readouterr()
    assert status == 1
    assert err.startswith("r9s-stream: error:")
    assert "Traceback" not in err
    _assert_no_key(out, err)


def test_the_cli_in_a_subprocess_never_shows_a_key_given_as_an_argument(origins: tuple[str, str]) -> None:
    """The real command, key passed with --api-key, against an echoing 401: exit 1, no key in any output."""
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "r9s_stream",
            "chat",
            "--api-key",
            KEY,
            "--base-url",
            f"{origins[0]}/echo/status/v1",
            "--max-retries",
            "0",
            "hi",
        ],
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, "NO_COLOR": "1"},
    )
    assert result.returncode == 1
    assert "401" in result.stderr
    _assert_no_key(result.stdout, result.stderr)


# --- redirects ----------------------------------------------------------------------------


@pytest.mark.anyio
async def test_a_same_origin_redirect_keeps_the_key(origins: tuple[str, str]) -> None:
    """Control: the echo server shows the Authorization header when a redirect stays on its origin."""
    first, _ = origins
    port = httpx.URL(first).port
    async with httpx.AsyncClient(follow_redirects=True) as http:
        url = f"{first}/to/{port}/v1/chat/completions"
        headers = {"Authorization": f"Bearer {KEY}"}
        async with rs.aconnect_chat_stream(http, "POST", url, json=BODY, headers=headers) as stream:
            completion = await stream.until_done()
    assert completion.choices[0].message.content == f"Bearer {KEY}"


@pytest.mark.anyio
async def test_a_cross_origin_redirect_drops_the_key_with_a_plain_httpx_client(
    origins: tuple[str, str],
) -> None:
    """aconnect_chat_stream on an httpx client that follows redirects sends no key to another port."""
    first, second = origins
    async with httpx.AsyncClient(follow_redirects=True) as http:
        url = f"{first}/to/{httpx.URL(second).port}/v1/chat/completions"
        headers = {"Authorization": f"Bearer {KEY}"}
        async with rs.aconnect_chat_stream(http, "POST", url, json=BODY, headers=headers) as stream:
            completion = await stream.until_done()
    assert completion.choices[0].message.content == "<none>"
    assert stream.response.url.port == httpx.URL(second).port


@pytest.mark.anyio
async def test_a_cross_origin_redirect_drops_the_key_with_the_client(origins: tuple[str, str]) -> None:
    """rs.AsyncClient over a redirect-following httpx client sends no key to another origin."""
    first, second = origins
    base_url = f"{first}/to/{httpx.URL(second).port}/v1"
    async with (
        httpx.AsyncClient(follow_redirects=True) as http,
        rs.AsyncClient(api_key=KEY, base_url=base_url, http_client=http) as client,
    ):
        completion = await client.complete(model="m", messages=MESSAGES)
    assert completion.choices[0].message.content == "<none>"


@pytest.mark.anyio
@on_every_stack
async def test_the_clients_own_http_client_does_not_follow_redirects(
    origins: tuple[str, str], stack: str
) -> None:
    """rs.AsyncClient's own httpx client reports a redirect as APIStatusError instead of following it."""
    first, second = origins
    base_url = f"{first}/to/{httpx.URL(second).port}/v1"
    async with rs_client(stack, api_key=KEY, base_url=base_url, max_retries=0) as client:
        with anyio.fail_after(10), pytest.raises(rs.APIStatusError) as caught:
            await client.complete(model="m", messages=MESSAGES)
    assert caught.value.status_code == 307
    _assert_no_key(*_strings(caught.value))


# --- TLS ----------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def self_signed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path]]:
    """An HTTPS echo server on loopback with a freshly made self-signed certificate."""
    openssl = shutil.which("openssl")
    if openssl is None:
        pytest.skip("openssl is needed to make a self-signed certificate")
    directory = tmp_path_factory.mktemp("tls")
    certificate, key = directory / "cert.pem", directory / "key.pem"
    subprocess.run(
        [
            openssl,
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "1",
            "-subj",
            "/CN=127.0.0.1",
            "-addext",
            "subjectAltName=IP:127.0.0.1",
            "-keyout",
            str(key),
            "-out",
            str(certificate),
        ],
        check=True,
        capture_output=True,
        timeout=60,
    )
    with running_loopback_app(tls=(certificate, key)) as url:
        yield url, certificate


@pytest.mark.anyio
@on_every_stack
async def test_tls_is_verified_by_default(self_signed: tuple[str, Path], stack: str) -> None:
    """rs.AsyncClient refuses a self-signed certificate; trusting it explicitly makes the same call work."""
    url, certificate = self_signed
    async with rs_client(stack, api_key=KEY, base_url=f"{url}/v1", max_retries=0) as client:
        with anyio.fail_after(10), pytest.raises(error_class(stack, "ConnectError")) as caught:
            await client.complete(model="m", messages=MESSAGES)
    assert any("CERTIFICATE_VERIFY_FAILED" in text for text in _strings(caught.value))
    trusting = ssl.create_default_context(cafile=str(certificate))
    async with (
        httpx.AsyncClient(verify=trusting) as http,
        rs.AsyncClient(api_key=KEY, base_url=f"{url}/v1", http_client=http) as client,
    ):
        completion = await client.complete(model="m", messages=MESSAGES)
    assert completion.choices[0].message.content == f"Bearer {KEY}"


def test_the_cli_refuses_a_self_signed_certificate(
    self_signed: tuple[str, Path], capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """`r9s-stream chat` against a self-signed server exits 1 with one line about the certificate."""
    monkeypatch.setenv("R9S_API_KEY", KEY)
    status = cli_main(["chat", "--base-url", f"{self_signed[0]}/v1", "--max-retries", "0", "hi"])
    out, err = capsys.readouterr()
    assert status == 1
    assert "certificate" in err.lower()
    assert "Traceback" not in err
    _assert_no_key(out, err)


def test_a_placeholder_key_does_not_garble_messages() -> None:
    """A short placeholder key ("ollama") is not blotted out of words and model names in errors."""
    from r9s_stream._http._redact import redact, redact_error

    error = rs.APIStatusError("model ollama/llama3 not found", status_code=404)
    redact_error(error, "ollama")
    assert error.message == "model ollama/llama3 not found"
    assert redact("first_token_timeout", "k") == "first_token_timeout"
    assert redact(f"echoed {KEY}", KEY) == "echoed [redacted]"
