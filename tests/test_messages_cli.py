"""`r9s-stream chat --api messages` and `replay` of Messages recordings, run as a user would."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import msgspec
import pytest

from r9s_stream import testing

FIXTURES = Path(__file__).parent / "fixtures" / "messages"
PROMPT = "tell me four words"


@pytest.fixture(scope="module")
def base_url() -> Iterator[str]:
    """An embedded server for these tests, with no token delay."""
    with testing.run_server(token_delay=0.0) as url:
        yield url


def run(*args: str) -> subprocess.CompletedProcess[str]:
    """The command with the user's R9S_* variables cleared, without colours."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("R9S_")}
    env["NO_COLOR"] = ""
    command = [sys.executable, "-m", "r9s_stream", *args]
    return subprocess.run(command, capture_output=True, text=True, timeout=30, env=env)


def chat(base_url: str, *args: str) -> subprocess.CompletedProcess[str]:
    return run("chat", PROMPT, "--api", "messages", "--base-url", base_url, "--max-retries", "0", *args)


def test_chat_api_messages_streams_thinking_text_and_usage(base_url: str) -> None:
    """`--api messages` streams /v1/messages: thinking, then the text; usage on stderr; --json a Message."""
    result = chat(base_url, "--model", "reasoning")
    assert result.returncode == 0, result.stderr
    assert result.stdout == "The user said 4 words; I will repeat them back.\n" + PROMPT + "\n"
    assert "7 prompt + " in result.stderr
    as_json = msgspec.json.decode(chat(base_url, "--model", "echo", "--json").stdout)
    assert as_json["type"] == "message"
    assert [(block["type"], block["text"]) for block in as_json["content"]] == [("text", PROMPT)]
    assert as_json["stop_reason"] == "end_turn"


def test_chat_api_messages_shows_tool_calls_and_errors(base_url: str) -> None:
    """A tool_use block is shown once whole; an error event is one error line after the text so far."""
    tool = chat(base_url, "--model", "tool-call")
    assert tool.returncode == 0, tool.stderr
    assert tool.stdout.startswith('→ tool call get_weather({"query":"tell me four words"})')
    broken = chat(base_url, "--model", "fault-error")
    assert broken.returncode == 1
    assert broken.stdout.startswith("tell me four")
    assert "StreamAPIError" in broken.stderr
    assert "Overloaded" in broken.stderr


def test_replay_tells_a_messages_recording_and_rebuilds_it() -> None:
    """A Messages recording is recognised and rebuilt: thinking, text, stop reason, usage."""
    path = str(FIXTURES / "pydantic-ai_messages_thinking-signature.sse")
    result = run("replay", path, "--piece-size", "5")
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0].startswith("[thinking] This is a straightforward question about pedestrian safety.")
    assert lines[-2] == "stop reason: end_turn"
    assert lines[-1] == "── 43 prompt + 282 completion = 325 tokens · 117 events"
    as_json = msgspec.json.decode(run("replay", path, "--json").stdout)
    assert as_json["content"][0]["type"] == "thinking"
    assert as_json["usage"]["output_tokens"] == 282


def test_replay_of_the_gateway_form_and_of_an_error() -> None:
    """The gateway's data-only form replays whole; a recording ending in an error event shows it."""
    whole = run("replay", str(FIXTURES / "messages_openai_upstream_ok.body"))
    assert whole.returncode == 0, whole.stderr
    assert whole.stdout.splitlines()[:2] == ["Hello world", "stop reason: end_turn"]
    failed = run("replay", str(FIXTURES / "SYNTHETIC_messages_midstream-overloaded-error.sse"))
    assert failed.returncode == 1
    assert failed.stdout.startswith("Hello! I\n")
    assert "StreamAPIError: Overloaded" in failed.stderr
