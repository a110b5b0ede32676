"""Every script in examples/ runs against the embedded server (or offline) and says what it should."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from r9s_stream import testing

EXAMPLES = Path(__file__).parent.parent / "examples"


@pytest.fixture(scope="module")
def base_url() -> Iterator[str]:
    """The embedded server the examples talk to."""
    with testing.run_server() as url:
        yield url


def run_example(name: str, base_url: str, model: str, *args: str) -> subprocess.CompletedProcess[str]:
    """Run one example as a user would, configured through the R9S_* variables."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("R9S_")}
    env.update(R9S_BASE_URL=base_url, R9S_API_KEY="sk-example", R9S_MODEL=model)
    return subprocess.run(
        [sys.executable, str(EXAMPLES / name), *args], capture_output=True, text=True, timeout=30, env=env
    )


def test_every_example_is_tested() -> None:
    """Each script in examples/ has a test here, so none can rot unnoticed."""
    tested = {"basic_stream.py", "client_usage.py", "tool_calls.py", "replay_recording.py"}
    tested |= {"error_handling.py", "fake_stream_in_tests.py", "stream_events.py", "structured_output.py"}
    tested |= {"messages_stream.py", "completions_stream.py", "responses_stream.py"}
    tested |= {"batch_file.py"}
    assert {path.name for path in EXAMPLES.glob("*.py")} == tested


def test_basic_stream(base_url: str) -> None:
    """basic_stream.py prints the streamed reply and its finish reason."""
    result = run_example("basic_stream.py", base_url, "echo", "hello from the example")
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == ["hello from the example", "finish_reason=stop"]


def test_completions_stream(base_url: str) -> None:
    """completions_stream.py streams the legacy text, then its finish reason and usage, then complete()."""
    result = run_example("completions_stream.py", base_url, "echo", "once upon a time")
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == [
        "once upon a time",
        "finish_reason=stop · 7 prompt + 4 completion tokens",
        "complete(): 'once upon a time'",
    ]


def test_completions_stream_keeps_the_partial_text(base_url: str) -> None:
    """On a stream that breaks, completions_stream.py prints the error and the text that had arrived."""
    result = run_example("completions_stream.py", base_url, "fault-error", "once upon a time there")
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[-1] == (
        "stream failed (StreamAPIError: The server had an error while processing your request.); "
        "kept: 'once upon a'"
    )


def test_responses_stream(base_url: str) -> None:
    """responses_stream.py prints the reasoning summary, then the answer, then status and usage."""
    result = run_example("responses_stream.py", base_url, "reasoning", "two plus two")
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == [
        "thinking: The user said 3 words; I will repeat them back.",
        "two plus two",
        "status=completed · 6 input + 13 output tokens",
    ]


def test_responses_stream_keeps_the_partial_response(base_url: str) -> None:
    """On a stream that breaks, responses_stream.py prints the error and the text that had arrived."""
    result = run_example("responses_stream.py", base_url, "fault-error", "once upon a time there")
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[-1].startswith(
        "stream failed (StreamAPIError: The server had an error while processing your request.); kept: "
    )


def test_client_usage(base_url: str) -> None:
    """client_usage.py streams through AsyncClient and prints usage, timing and complete()."""
    result = run_example("client_usage.py", base_url, "echo", "four words right here")
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0] == "four words right here"
    assert lines[1].endswith("+ 4 completion tokens")
    assert lines[2].startswith("time to first token: ")
    assert lines[-1] == "complete(): 'four words right here'"


def test_tool_calls(base_url: str) -> None:
    """tool_calls.py gets the call of the tool it declared, arguments parsed as JSON."""
    result = run_example("tool_calls.py", base_url, "tool-call")
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == [
        "finish_reason: tool_calls",
        "call_r9s_0: get_weather({'query': 'What is the weather in Paris?'})",
    ]


def test_stream_events(base_url: str) -> None:
    """stream_events.py sees each tool call start and complete, in order, then the finish."""
    result = run_example("stream_events.py", base_url, "parallel-tool-calls")
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[:4] == [
        "call 0 started: get_weather",
        'call 0 complete: get_weather({"query":"What is the weather in Paris?"})',
        "call 1 started: get_time",
        'call 1 complete: get_time({"timezone":"UTC"})',
    ]
    assert lines[4:5] == ["finish_reason: tool_calls"]
    assert lines[5].startswith("completion tokens: ")


def test_stream_events_reasoning(base_url: str) -> None:
    """stream_events.py prints the reasoning once it is done, then the content."""
    result = run_example("stream_events.py", base_url, "reasoning")
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0].startswith("thought: The user said")
    assert lines[1].startswith("said: ")
    assert lines[2] == "finish_reason: stop"


def test_structured_output(base_url: str) -> None:
    """structured_output.py gets a parsed Location, a parsed GetWeather call, and the length error."""
    result = run_example("structured_output.py", base_url, "structured-output")
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == [
        '{"city":"Paris","temperature":21.5,"units":"c"}',
        "parsed: Location(city='Paris', temperature=21.5, units='c')",
        "tool call: GetWeather -> GetWeather(city='Paris', country='Paris')",
        'cut off: \'{"city":"Paris",\'',
    ]


def test_replay_recording(base_url: str) -> None:
    """replay_recording.py rebuilds the recorded parallel tool calls without any network."""
    result = run_example("replay_recording.py", base_url, "unused")
    assert result.returncode == 0, result.stderr
    assert "  tool call GetWeatherArgs: " in result.stdout
    assert "  tool call get_stock_price: " in result.stdout
    assert "chunks: 25, ended with [DONE]: True" in result.stdout


@pytest.mark.parametrize(
    ("model", "expected"),
    [
        ("fault-disconnect", "received before the failure: 'one two'"),
        ("fault-error", "StreamAPIError: The server had an error"),
        ("status-503", "the server said no: HTTP 503: Simulated HTTP 503"),
    ],
)
def test_error_handling(base_url: str, model: str, expected: str) -> None:
    """error_handling.py reports each failure and what was received before it."""
    result = run_example("error_handling.py", base_url, model)
    assert result.returncode == 1, result.stderr
    assert expected in result.stdout
    assert "Traceback" not in result.stderr


def test_error_handling_success(base_url: str) -> None:
    """error_handling.py prints the whole reply when nothing fails."""
    result = run_example("error_handling.py", base_url, "echo")
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "complete: 'one two three four five six'"


def test_fake_stream_in_tests(base_url: str) -> None:
    """fake_stream_in_tests.py rebuilds its scenario and keeps the start of a broken one."""
    result = run_example("fake_stream_in_tests.py", base_url, "unused")
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == [
        "content: 'Checking the weather in Paris.'",
        "tool calls: ['get_weather']",
        "usage: Usage(prompt_tokens=8, completion_tokens=14, total_tokens=22)",
        "broken stream kept: 'The user wants'",
    ]


def test_messages_stream(base_url: str) -> None:
    """messages_stream.py prints the thinking in brackets, the text, then stop reason and usage."""
    result = run_example("messages_stream.py", base_url, "reasoning", "two words")
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == [
        "[The user said 2 words; I will repeat them back.] two words",
        "stop_reason=end_turn (5 in, 13 out)",
    ]


def test_messages_stream_error(base_url: str) -> None:
    """messages_stream.py reports an error event and the text that had arrived."""
    result = run_example("messages_stream.py", base_url, "fault-error", "four little words here")
    assert result.returncode == 1
    assert "StreamAPIError: Overloaded" in result.stdout
    assert result.stdout.rstrip().endswith("kept: 'four little words'")


def test_batch_file(base_url: str) -> None:
    """batch_file.py runs its three requests into a results file and prints each answer in input order."""
    result = run_example("batch_file.py", base_url, "echo")
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0] == "3 succeeded, 0 failed"
    assert lines[1].startswith("q0: What is streaming?  (ttft ")
    assert lines[2].startswith("q1: Why resume a batch?")
    assert lines[3].startswith("q2: How fast is it?")
