"""``r9s-stream batch`` and ``client.batch_file``: files in and out, validation, resume, kills."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import msgspec
import pytest

import r9s_stream as rs
from _loops import asyncio_and_trio  # noqa: F401  (the anyio_backend fixture: both loops)
from r9s_stream import testing
from r9s_stream._cli import main as cli_main

pytestmark = pytest.mark.anyio


@pytest.fixture
def server_url() -> Iterator[str]:
    """A server of its own: the ``-xK`` fault counts are per server."""
    with testing.run_server(retry_after=0.05) as url:
        yield url


def request_line(custom_id: str, model: str = "echo", prompt: str | None = None) -> dict[str, Any]:
    """An OpenAI Batch input line asking ``model`` to echo a prompt naming ``custom_id``."""
    text = prompt if prompt is not None else f"answer for {custom_id}"
    return {"custom_id": custom_id, "body": {"model": model, "messages": [{"role": "user", "content": text}]}}


def write_input(path: Path, lines: list[dict[str, Any]]) -> Path:
    """Write the input file, one JSON object a line."""
    path.write_bytes(b"".join(msgspec.json.encode(line) + b"\n" for line in lines))
    return path


def read_output(path: Path) -> list[dict[str, Any]]:
    """Every line of a results file, decoded."""
    return [msgspec.json.decode(line) for line in path.read_bytes().splitlines()]


def content_of(line: dict[str, Any]) -> str:
    """The answer's text in a result line."""
    return str(line["response"]["body"]["choices"][0]["message"]["content"])


def test_every_request_gets_one_result_line_in_openai_batch_format(
    server_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Exit 0; one line per custom_id with the rebuilt chat.completion, its request id and stats."""
    source = write_input(tmp_path / "requests.jsonl", [request_line(f"r{i}") for i in range(30)])
    output = tmp_path / "results.jsonl"
    status = cli_main(
        ["batch", str(source), "--output", str(output), "--base-url", server_url, "--concurrency", "8"]
    )
    err = capsys.readouterr().err
    assert status == 0, err
    lines = read_output(output)
    assert sorted(line["custom_id"] for line in lines) == sorted(f"r{i}" for i in range(30))
    for line in lines:
        assert line["id"].startswith("batch_req_")
        assert line["error"] is None
        assert line["response"]["status_code"] == 200
        assert line["response"]["request_id"].startswith("req_r9s_")
        body = line["response"]["body"]
        assert body["object"] == "chat.completion"
        assert "parsed" not in body["choices"][0]["message"]
        assert content_of(line) == f"answer for {line['custom_id']}"
        assert body["usage"]["completion_tokens"] == 3
        assert line["stats"]["attempts"] == 1
        assert line["stats"]["duration"] > 0
    assert "succeeded" in err
    assert "30" in err


def test_bad_lines_are_named_with_their_numbers_and_nothing_is_sent(
    server_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Not JSON, no body, a repeated custom_id, an unknown endpoint: exit 2, no output file."""
    source = tmp_path / "requests.jsonl"
    good = msgspec.json.encode(request_line("a")).decode()
    source.write_text(
        "\n".join(
            [
                good,
                "{not json",
                '{"custom_id": "b"}',
                good,
                '{"custom_id": "c", "url": "/v1/embeddings", "body": {}}',
                '{"custom_id": "d", "method": "GET", "body": {}}',
                "",
            ]
        )
    )
    output = tmp_path / "results.jsonl"
    status = cli_main(["batch", str(source), "--output", str(output), "--base-url", server_url])
    err = capsys.readouterr().err
    assert status == 2
    assert f"{source}:2: not JSON" in err
    assert f"{source}:3: no body" in err
    assert f"{source}:4: custom_id 'a' was used before" in err
    assert f"{source}:5: unknown endpoint '/v1/embeddings'" in err
    assert f"{source}:6: method 'GET'" in err
    assert f"{source}:1:" not in err
    assert "nothing was sent" in err
    assert not output.exists()


def test_failures_keep_what_arrived_and_the_exit_status_says_so(
    server_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A 400 keeps the server's error body, a stream cut at every attempt its partial answer; exit 1."""
    lines = [
        request_line("bad", "status-400"),
        request_line("cut", "fault-disconnect", prompt="one two three four five six"),
        request_line("retried", "status-503-x1@retried"),
        request_line("fine"),
    ]
    source = write_input(tmp_path / "requests.jsonl", lines)
    output = tmp_path / "results.jsonl"
    argv = ["batch", str(source), "-o", str(output), "--base-url", server_url, "--max-retries", "1"]
    status = cli_main(argv)
    err = capsys.readouterr().err
    assert status == 1
    by_id = {line["custom_id"]: line for line in read_output(output)}
    assert by_id["bad"]["response"]["status_code"] == 400
    assert by_id["bad"]["response"]["body"]["error"]["code"] == "simulated_400"
    assert by_id["bad"]["error"]["code"] == "simulated_400"
    assert by_id["cut"]["response"]["status_code"] == 200
    assert content_of(by_id["cut"]) == "one two"
    assert by_id["cut"]["error"]["code"] == "stream_incomplete"
    assert by_id["cut"]["stats"]["attempts"] == 2
    assert by_id["retried"]["error"] is None
    assert by_id["retried"]["stats"]["attempts"] == 2
    assert by_id["fine"]["error"] is None
    assert "2 request(s) failed" in err
    assert str(output) in err
    assert "503: 1" in err  # retries by cause


def test_a_refused_connection_leaves_response_null(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Nothing answered: ``response`` is null and the error says the connection failed."""
    with testing.run_server() as url:
        pass
    source = write_input(tmp_path / "requests.jsonl", [request_line("a")])
    output = tmp_path / "results.jsonl"
    status = cli_main(["batch", str(source), "-o", str(output), "--base-url", url, "--max-retries", "0"])
    assert status == 1
    (line,) = read_output(output)
    assert line["response"] is None
    assert line["error"]["code"] == "connection_error"
    capsys.readouterr()


def test_a_rerun_keeps_answers_retries_failures_and_repairs_a_torn_line(
    server_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """2xx lines stay as they were, failed and missing ones are sent, foreign ones kept, one line each."""
    source = write_input(tmp_path / "requests.jsonl", [request_line(c) for c in "abcd"])
    output = tmp_path / "results.jsonl"
    kept = {
        "id": "batch_req_kept",
        "custom_id": "a",
        "response": {"status_code": 200, "request_id": "old", "body": {"object": "chat.completion"}},
        "error": None,
    }
    failed = {
        "id": "batch_req_failed",
        "custom_id": "b",
        "response": {"status_code": 500, "request_id": "old", "body": {"error": {}}},
        "error": {"code": "server_error", "message": "boom"},
    }
    foreign = {
        "id": "batch_req_foreign",
        "custom_id": "zz",
        "response": None,
        "error": {"code": "x", "message": "y"},
    }
    torn = b'{"id": "batch_req_torn", "custom_id": "c", "resp'
    output.write_bytes(b"".join(msgspec.json.encode(v) + b"\n" for v in (kept, failed, foreign)) + torn)
    status = cli_main(["batch", str(source), "-o", str(output), "--base-url", server_url])
    err = capsys.readouterr().err
    assert status == 0, err
    lines = read_output(output)
    assert sorted(line["custom_id"] for line in lines) == ["a", "b", "c", "d", "zz"]
    by_id = {line["custom_id"]: line for line in lines}
    assert by_id["a"] == kept  # not sent again
    assert by_id["b"]["error"] is None
    assert content_of(by_id["b"]) == "answer for b"
    assert content_of(by_id["c"]) == "answer for c"
    assert by_id["zz"] == foreign
    assert "not in the input" in err
    assert "cut short" in err
    assert "answered before" in err


def test_ordered_output_follows_the_input_even_after_a_resume(
    server_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """``--ordered``: the final file is in input order, whatever order the runs answered in."""
    ids = [f"r{i:02d}" for i in range(20)]
    source = write_input(tmp_path / "requests.jsonl", [request_line(c) for c in ids])
    output = tmp_path / "results.jsonl"
    late = {
        "id": "batch_req_late",
        "custom_id": "r15",
        "response": {"status_code": 200, "request_id": "x", "body": {}},
        "error": None,
    }
    output.write_bytes(msgspec.json.encode(late) + b"\n")
    status = cli_main(
        ["batch", str(source), "-o", str(output), "--base-url", server_url, "--ordered", "--concurrency", "4"]
    )
    assert status == 0, capsys.readouterr().err
    assert [line["custom_id"] for line in read_output(output)] == ids


async def test_batch_file_runs_on_both_loops(server_url: str, tmp_path: Path) -> None:
    """``client.batch_file`` writes the results and returns the summary, on asyncio and trio."""
    source = write_input(tmp_path / "requests.jsonl", [request_line(f"r{i}") for i in range(10)])
    output = tmp_path / "results.jsonl"
    async with rs.AsyncClient(base_url=server_url) as client:
        summary = await client.batch_file(source, output, concurrency=3)
    assert summary.total == 10
    assert summary.succeeded == 10
    assert summary.failed == 0
    assert summary.completion_tokens == 30
    assert summary.time_to_first_token(50) is not None
    assert len(read_output(output)) == 10


def _start(source: Path, output: Path, url: str) -> subprocess.Popen[bytes]:
    argv = [sys.executable, "-m", "r9s_stream", "batch", str(source), "-o", str(output), "--base-url", url]
    return subprocess.Popen([*argv, "--concurrency", "4"], stderr=subprocess.PIPE, stdout=subprocess.DEVNULL)


def _communicate(process: subprocess.Popen[bytes], timeout: float) -> tuple[bytes, bytes]:
    """``process.communicate(timeout)``, killing the process if it has not ended by then.

    A run left behind would outlive its test and fail a later one with its unclosed pipes.
    """
    try:
        return process.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        process.communicate()
        raise


def _wait_for_lines(output: Path, count: int, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if output.exists() and output.read_bytes().count(b"\n") >= count:
            return
        assert process.poll() is None, "the batch ended before it could be interrupted"
        time.sleep(0.05)
    raise AssertionError("the batch wrote no lines")


@pytest.mark.parametrize("how", [signal.SIGKILL, signal.SIGINT], ids=["SIGKILL", "SIGINT"])
def test_a_killed_run_is_finished_by_the_next_one(tmp_path: Path, how: signal.Signals) -> None:
    """Killed mid-run, the output keeps what finished; the rerun sends only the rest, one line each."""
    ids = [f"r{i:03d}" for i in range(60)]
    source = write_input(tmp_path / "requests.jsonl", [request_line(c) for c in ids])
    output = tmp_path / "results.jsonl"
    with testing.run_server(token_delay=0.05) as url:
        process = _start(source, output, url)
        _wait_for_lines(output, 8, process)
        process.send_signal(how)
        _, err = _communicate(process, 20)
        if how == signal.SIGINT:
            assert process.returncode == 130, err
            assert b"run the same command again" in err
        else:
            assert process.returncode == -signal.SIGKILL
        before = read_output(output) if how == signal.SIGINT else _whole_lines(output)
        assert 8 <= len(before) < 60
        rerun = _start(source, output, url)
        _, err = _communicate(rerun, 60)
        assert rerun.returncode == 0, err
    after = read_output(output)
    assert sorted(line["custom_id"] for line in after) == ids
    assert all(line["error"] is None for line in after)
    final_ids = {line["id"] for line in after}
    assert {line["id"] for line in before if line["error"] is None} <= final_ids  # kept, not resent


def _whole_lines(path: Path) -> list[dict[str, Any]]:
    """The complete lines of a file a kill may have left torn at its end."""
    data = path.read_bytes()
    return [msgspec.json.decode(line) for line in data[: data.rfind(b"\n") + 1].splitlines()]


def test_an_interrupt_does_not_wait_for_the_requests_in_flight(tmp_path: Path) -> None:
    """Ctrl-C on a run whose requests stall: the process ends at once (not after the stall), exit 130."""
    source = write_input(
        tmp_path / "requests.jsonl", [request_line(f"s{i}", "fault-stall") for i in range(8)]
    )
    output = tmp_path / "results.jsonl"
    with testing.run_server(stall_seconds=60) as url:
        process = _start(source, output, url)
        assert process.stderr is not None
        assert b"results in" in process.stderr.readline()  # the run has started
        time.sleep(0.5)  # its requests are sent, and stall
        assert process.poll() is None
        process.send_signal(signal.SIGINT)
        # far sooner than the 60 s stall: the requests in flight are dropped, not waited for
        _, err = _communicate(process, 20)
    assert process.returncode == 130, err
    assert b"interrupted" in err
    assert output.read_bytes() == b""  # nothing finished, nothing written
