"""The `r9s-stream` command, run as a subprocess against the embedded server and recordings."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import msgspec
import pytest

from r9s_stream import __version__, testing

FIXTURES = Path(__file__).parent / "fixtures"
PROMPT = "tell me four words"
COMMAND = [sys.executable, "-m", "r9s_stream"]


@pytest.fixture(scope="module")
def base_url() -> Iterator[str]:
    """An embedded server shared by the chat tests, with no token delay."""
    with testing.run_server() as url:
        yield url


def run(*args: str, timeout: float = 20) -> subprocess.CompletedProcess[str]:
    """Run the command with the user's R9S_* variables cleared, so nothing leaks in."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("R9S_")}
    env["NO_COLOR"] = ""
    return subprocess.run([*COMMAND, *args], capture_output=True, text=True, timeout=timeout, env=env)


def chat(base_url: str, *args: str) -> subprocess.CompletedProcess[str]:
    return run("chat", PROMPT, "--base-url", base_url, "--max-retries", "0", *args)


def assert_one_error_line(result: subprocess.CompletedProcess[str], *expected: str) -> None:
    """Exit status 1, and stderr is one line naming the problem, without a traceback."""
    assert result.returncode == 1, result.stderr
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("r9s-stream: error: ")
    for text in expected:
        assert text in lines[0]


# --- chat ------------------------------------------------------------------------------------


def test_chat_streams_the_reply_then_a_stats_line(base_url: str) -> None:
    """`chat` prints the reply on stdout and usage, first-token time and tokens/s on stderr."""
    result = chat(base_url, "--model", "echo")
    assert result.returncode == 0, result.stderr
    assert result.stdout == PROMPT + "\n"
    stats = result.stderr.strip()
    assert "prompt + 4 completion" in stats
    assert "first token" in stats
    assert "tokens/s" in stats


def test_chat_api_chat_is_the_default_and_unknown_apis_are_refused(base_url: str) -> None:
    """`--api chat` streams what no `--api` streams; a kind the command does not speak is a usage error."""
    result = chat(base_url, "--model", "echo", "--api", "chat")
    assert result.returncode == 0, result.stderr
    assert result.stdout == PROMPT + "\n"
    refused = chat(base_url, "--api", "nonsense")
    assert refused.returncode == 2
    assert "--api" in refused.stderr


def test_chat_api_completions_streams_the_legacy_endpoint(base_url: str) -> None:
    """`--api completions` streams /v1/completions: the text, then usage; `--json` prints the Completion."""
    result = chat(base_url, "--model", "echo", "--api", "completions")
    assert result.returncode == 0, result.stderr
    assert result.stdout == PROMPT + "\n"
    assert "prompt + 4 completion" in result.stderr
    as_json = msgspec.json.decode(chat(base_url, "--model", "echo", "--api", "completions", "--json").stdout)
    assert as_json["object"] == "text_completion"
    assert as_json["choices"][0]["text"] == PROMPT
    broken = chat(base_url, "--model", "fault-error", "--api", "completions")
    assert broken.stdout.startswith("tell me")
    assert_one_error_line(broken, "StreamAPIError")


def test_chat_api_responses_streams_the_responses_endpoint(base_url: str) -> None:
    """`--api responses` streams /v1/responses: the text, then usage; `--json` prints the Response."""
    result = chat(base_url, "--model", "echo", "--api", "responses")
    assert result.returncode == 0, result.stderr
    assert result.stdout == PROMPT + "\n"
    assert "prompt + 4 completion" in result.stderr
    as_json = msgspec.json.decode(chat(base_url, "--model", "echo", "--api", "responses", "--json").stdout)
    assert as_json["object"] == "response"
    assert as_json["status"] == "completed"
    broken = chat(base_url, "--model", "fault-error", "--api", "responses")
    assert broken.stdout.startswith("tell me")
    assert_one_error_line(broken, "StreamAPIError")


def test_chat_shows_reasoning_first_and_tool_calls(base_url: str) -> None:
    """Reasoning comes before the answer (no colour codes off a terminal); tool calls are shown."""
    reasoning = chat(base_url, "--model", "reasoning")
    assert reasoning.returncode == 0, reasoning.stderr
    thought, answer = reasoning.stdout.rstrip("\n").split("\n\n")
    assert "words" in thought
    assert answer == PROMPT
    assert "\x1b[" not in reasoning.stdout
    tools = chat(base_url, "--model", "parallel-tool-calls")
    assert tools.returncode == 0, tools.stderr
    assert tools.stdout.splitlines() == [
        '→ tool call get_weather({"query":"tell me four words"})  [call_r9s_0]',
        '→ tool call get_time({"timezone":"UTC"})  [call_r9s_1]',
    ]


def test_chat_json_prints_the_completion_with_the_system_message_sent(base_url: str) -> None:
    """`--json` prints only the final ChatCompletion; `--system` is sent before the prompt."""
    result = chat(base_url, "--model", "inspect-request", "--system", "be brief", "--json")
    assert result.returncode == 0, result.stderr
    completion = msgspec.json.decode(result.stdout)
    assert completion["object"] == "chat.completion"
    assert completion["usage"]["total_tokens"] > 0
    request = msgspec.json.decode(completion["choices"][0]["message"]["content"])
    assert request["body"]["messages"] == [
        {"role": "system", "content": "be brief"},
        {"role": "user", "content": PROMPT},
    ]
    assert request["body"]["stream"] is True
    assert "parsed" not in completion["choices"][0]["message"]  # the CLI parses nothing


def test_chat_json_of_tool_calls_has_no_parsed_field(base_url: str) -> None:
    """`--json` of a tool-call answer: the calls as a non-streaming response has them, no `parsed: null`."""
    result = chat(base_url, "--model", "parallel-tool-calls", "--json")
    assert result.returncode == 0, result.stderr
    message = msgspec.json.decode(result.stdout)["choices"][0]["message"]
    assert len(message["tool_calls"]) == 2
    assert all(set(call["function"]) == {"name", "arguments"} for call in message["tool_calls"])
    assert "parsed" not in message


def test_chat_status_error_is_one_line(base_url: str) -> None:
    """An HTTP error prints its status and the server's message on one line, exit status 1."""
    assert_one_error_line(chat(base_url, "--model", "status-429"), "HTTP 429", "Simulated HTTP 429")


def test_chat_broken_stream_keeps_the_partial_reply(base_url: str) -> None:
    """A stream cut mid-way leaves the words received on stdout and names the failure."""
    result = chat(base_url, "--model", "fault-disconnect")
    assert result.stdout == "tell me\n"
    assert_one_error_line(result, "IncompleteStreamError")


def test_chat_cannot_connect_is_one_line() -> None:
    """A refused connection prints `cannot connect` with the address."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    result = chat(f"http://127.0.0.1:{port}/v1")
    assert_one_error_line(result, "cannot connect", f"127.0.0.1:{port}")


def test_chat_with_a_default_port_names_it() -> None:
    """A refused connection to a URL without a port names the scheme's port, never `None`."""
    result = run("chat", PROMPT, "--base-url", "http://127.0.0.1/v1", "--max-retries", "0")
    assert_one_error_line(result, "cannot connect", "127.0.0.1:80")
    assert "None" not in result.stderr


def test_chat_to_the_gateway_without_a_key_says_so_before_sending() -> None:
    """With no key set, `chat` to the r9s gateway asks for one instead of trying to connect."""
    result = run("chat", PROMPT)
    assert_one_error_line(result, "no API key is set", "R9S_API_KEY", "--api-key")
    assert "cannot connect" not in result.stderr


def test_chat_without_a_key_to_another_server_is_sent(base_url: str) -> None:
    """A local server needs no key: `chat` without one streams from it as usual."""
    result = chat(base_url, "--model", "echo")
    assert result.returncode == 0, result.stderr


def test_chat_never_prints_the_api_key() -> None:
    """A rejected key is reported as a 401 without the key appearing anywhere."""
    secret = "sk-cli-secret-4242"
    with testing.run_server(api_key="sk-other") as url:
        result = chat(url, "--model", "echo", "--api-key", secret)
    assert_one_error_line(result, "HTTP 401")
    assert secret not in result.stdout + result.stderr


def test_chat_ctrl_c_stops_cleanly_keeping_the_output() -> None:
    """SIGINT mid-stream exits 130 without a traceback; the words already printed stay."""
    with testing.run_server(token_delay=0.01) as url:
        env = {k: v for k, v in os.environ.items() if not k.startswith("R9S_")}
        process = subprocess.Popen(
            [*COMMAND, "chat", "go", "--model", "long", "--base-url", url],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env=env,
        )
        assert process.stdout is not None
        first = process.stdout.read(40)  # blocks until 40 bytes of reply have been printed
        process.send_signal(signal.SIGINT)
        try:
            rest, err = process.communicate(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()  # not left to fail a later test with its open pipes
            process.communicate()
            raise
    assert process.returncode == 130
    assert b"Traceback" not in err
    assert b"interrupted" in err
    printed = (first + rest).decode()
    assert printed.startswith("streams arrive as many small chunks")
    assert 40 <= len(printed) < 6000  # stopped early: the whole reply is about 7,000 characters


# --- replay ----------------------------------------------------------------------------------


def test_replay_prints_message_and_usage() -> None:
    """`replay` rebuilds a recorded tool-call stream and prints its calls and usage."""
    result = run("replay", str(FIXTURES / "openai-python_parallel-tool-calls.sse"))
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0].startswith("→ tool call GetWeatherArgs(")
    assert lines[1].startswith("→ tool call get_stock_price(")
    assert "[finish_reason: tool_calls]" in lines
    assert lines[-1].startswith("── 149 prompt + 60 completion = 209 tokens")


def test_replay_json_and_piece_size_agree() -> None:
    """`replay --json` gives the same completion whatever piece size the bytes are fed in."""
    path = str(FIXTURES / "openai-python_n3-multiple-choices-interleaved.sse")
    whole, pieces = run("replay", path, "--json"), run("replay", path, "--json", "--piece-size", "3")
    assert whole.returncode == pieces.returncode == 0
    assert whole.stdout == pieces.stdout
    assert len(msgspec.json.decode(whole.stdout)["choices"]) == 3


def test_replay_of_a_broken_capture_prints_what_arrived_and_the_error() -> None:
    """A truncated capture prints the partial message, then the error, exit status 1."""
    result = run("replay", str(FIXTURES / "llmock_fault_truncate.sse"))
    assert result.stdout.startswith("Simulated")
    assert_one_error_line(result, "IncompleteStreamError", "without data: [DONE]")


def test_replay_without_a_finish_reason_says_the_answer_may_be_cut() -> None:
    """A converted stream that ended with [DONE] but no finish reason is flagged on the stats line."""
    result = run("replay", str(FIXTURES / "gateway" / "chat_claude_upstream_error_event.body"))
    assert result.returncode == 0, result.stderr
    assert "no finish reason: the answer may have been cut upstream" in result.stdout


def test_replay_of_a_finished_answer_has_no_such_warning() -> None:
    """A stream whose choices all finished gets no finish-reason warning."""
    result = run("replay", str(FIXTURES / "gateway" / "chat_openai_ok.body"))
    assert result.returncode == 0, result.stderr
    assert "no finish reason" not in result.stdout


def test_replay_tells_a_completions_recording_and_rebuilds_it() -> None:
    """A legacy Completions recording is recognised and rebuilt: its text, finish reason and usage."""
    path = str(FIXTURES / "completions" / "vercel-ai_completions_text.sse")
    result = run("replay", path, "--piece-size", "5")
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == [
        'The holiday is called "Gratitude Day" and it is a day dedicated to',
        "[finish_reason: length]",
        "── 14 prompt + 16 completion = 30 tokens · 17 chunks",
    ]
    assert msgspec.json.decode(run("replay", path, "--json").stdout)["usage"]["total_tokens"] == 30


def test_replay_tells_a_responses_recording_and_rebuilds_it() -> None:
    """A Responses recording is recognised and rebuilt (function call, status, usage); an error is named."""
    path = str(FIXTURES / "responses" / "pydantic-ai_responses_function-call.sse")
    result = run("replay", path, "--piece-size", "5")
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == [
        '→ get_capital({"country":"France"})  [call_kL0PCQV7M2WMoVX8V8OtYSAL]',
        "[status: completed]",
        "── 255 prompt + 16 completion = 271 tokens · 11 events",
    ]
    failed = run("replay", str(FIXTURES / "responses" / "vercel-ai_responses_error-failed.sse"))
    assert_one_error_line(failed, "StreamAPIError", "You exceeded your current quota")


def test_replay_missing_file() -> None:
    """A file that does not exist is one error line."""
    assert_one_error_line(run("replay", "no/such/capture.sse"), "cannot read no/such/capture.sse")


# --- serve, demo, the installed script -------------------------------------------------------


def test_serve_answers_until_interrupted() -> None:
    """`serve` listens on the given port, answers OpenAI requests, and stops on SIGINT."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    process = subprocess.Popen(
        [*COMMAND, "serve", "--port", str(port), "--token-delay", "0"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 10
        while True:
            try:
                models = httpx.get(f"http://127.0.0.1:{port}/v1/models")
                break
            except httpx.ConnectError:
                assert time.monotonic() < deadline, "serve did not start"
                time.sleep(0.02)
        assert models.status_code == 200
        body = {"model": "echo", "messages": [{"role": "user", "content": "hi there"}]}
        answer = httpx.post(f"http://127.0.0.1:{port}/v1/chat/completions", json=body).json()
        assert answer["choices"][0]["message"]["content"] == "hi there"
    finally:
        process.send_signal(signal.SIGINT)
        out, err = process.communicate(timeout=10)
    assert process.returncode == 0
    assert f"http://127.0.0.1:{port}/v1" in out
    assert "Traceback" not in err


def test_serve_on_a_busy_port_is_one_error_line() -> None:
    """`serve` on a port already taken says so in one line and exits 1."""
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        result = run("serve", "--port", str(port))
    assert_one_error_line(result, f"cannot listen on 127.0.0.1:{port}")


def test_demo_streams_from_the_embedded_server() -> None:
    """`demo` starts the server, streams two chats with usage and stops it (speed is a benchmark's job)."""
    result = run("demo")
    assert result.returncode == 0, result.stderr
    assert "Every word you read arrived as its own chunk" in result.stdout
    assert "→ tool call get_weather(" in result.stdout
    assert result.stdout.count(" completion = ") == 2
    assert "Stopped the server" in result.stdout


def test_installed_script_reports_its_version() -> None:
    """The `r9s-stream` script installed next to the interpreter runs and knows its version."""
    script = Path(sys.executable).parent / "r9s-stream"
    if not script.exists():
        pytest.skip("the package is not installed with its scripts")
    result = subprocess.run([str(script), "--version"], capture_output=True, text=True, timeout=20)
    assert result.stdout.strip() == f"r9s-stream {__version__}"
