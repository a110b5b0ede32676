"""r9s_stream.ray.complete on a local Ray (2 CPUs): two jobs, each checked from several sides.

The first job reads a JSONL file with ``ray.data.read_json`` (struct bodies, nulls where a line
lacks a key) and sends it through 2 workers to the embedded server, whose model names pick
each request's fate: answered, a 429 then an answer, a 500 then an answer, a 400, a stream
cut every time, and a row without a body. The second sends JSON-text bodies through 2
workers sharing rpm=600 to a loopback server that notes when each request arrived.
"""

from __future__ import annotations

import logging
import warnings
from collections.abc import Iterator
from typing import Any

import msgspec
import pytest

pytest.importorskip("ray")

import ray.data

import r9s_stream.ray
from _chat_server import Reply, ScriptedServer, reply_text
from r9s_stream import testing

# Every Ray test is in this module: make test runs a module in one worker (--dist loadfile),
# so one local Ray starts for the test session, and it stops when this module is done rather
# than at the session's end (its threads would slow the timing-sensitive tests run after it).
pytestmark = pytest.mark.usefixtures("local_ray")


@pytest.fixture(scope="module")
def local_ray() -> Iterator[None]:
    """One local Ray (2 CPUs) for the Ray tests (its start costs seconds), stopped after them."""
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False, logging_level=logging.WARNING)
    with warnings.catch_warnings():
        # ray 2.60's DataContext() warns about its own defaults for its deprecated fields; the
        # context is made once per process, here, so the tests' other warnings stay errors.
        warnings.filterwarnings("ignore", category=DeprecationWarning, module="ray.data.context")
        ray.data.DataContext.get_current().enable_progress_bars = False
    try:
        yield
    finally:
        ray.shutdown()


Row = dict[str, Any]


def line(custom_id: str, model: str, text: str, **extra: Any) -> Row:
    return {
        "custom_id": custom_id,
        "body": {"model": model, "messages": [{"role": "user", "content": text}], **extra},
    }


@pytest.fixture(scope="module")
def outcomes(tmp_path_factory: pytest.TempPathFactory, local_ray: None) -> dict[str, Row]:
    """The first job's output rows by custom_id."""
    lines = [line(f"ok-{n}", "echo", f"hello {n}", max_tokens=50) for n in range(8)]
    lines += [
        line("inspect", "inspect-request", "show me"),  # lacks max_tokens: Arrow fills in null
        line("limited", "status-429-x1", "after a pause"),
        line("flaky", "status-500-x1", "after a retry"),
        line("refused", "status-400", "never"),
        line("cut", "fault-disconnect", "one two three four five six"),
        {"custom_id": "no-body", "url": "/v1/chat/completions"},
    ]
    path = tmp_path_factory.mktemp("ray") / "requests.jsonl"
    path.write_bytes(b"\n".join(msgspec.json.encode(value) for value in lines) + b"\n")
    with testing.run_server(retry_after=0.05) as url:
        out = r9s_stream.ray.complete(
            ray.data.read_json(str(path)),
            base_url=url,
            api_key="sk-ray",
            workers=2,
            streams_per_worker=4,
            max_retries=1,
        )
        rows = out.take_all()
    assert len(rows) == len(lines)
    return {row["custom_id"]: row for row in rows}


def test_every_row_has_exactly_the_output_columns(outcomes: dict[str, Row]) -> None:
    """Each output row has the eight documented columns, no more and no fewer."""
    for row in outcomes.values():
        assert tuple(row) == r9s_stream.ray.OUTPUT_COLUMNS


def test_answered_requests_have_the_rebuilt_completion_and_figures(outcomes: dict[str, Row]) -> None:
    """A request that went well has status 200, the completion as JSON text, its tokens and its times."""
    for number in range(8):
        row = outcomes[f"ok-{number}"]
        assert row["status_code"] == 200
        assert row["error"] is None
        body = msgspec.json.decode(row["body"])
        assert body["object"] == "chat.completion"
        assert body["choices"][0]["message"]["content"] == f"hello {number}"
        assert row["completion_tokens"] == 2
        assert row["prompt_tokens"] > 0
        assert 0 <= row["time_to_first_token"] <= row["duration"]


def test_null_keys_from_arrow_are_not_sent(outcomes: dict[str, Row]) -> None:
    """The server receives the body as the line wrote it: no `"max_tokens": null` for a line without it."""
    row = outcomes["inspect"]
    received = msgspec.json.decode(msgspec.json.decode(row["body"])["choices"][0]["message"]["content"])
    body = received["body"]
    assert "max_tokens" not in body
    assert body["messages"] == [{"role": "user", "content": "show me"}]
    assert received["headers"]["authorization"] == "Bearer sk-ray"


def test_a_429_and_a_500_are_retried_to_an_answer(outcomes: dict[str, Row]) -> None:
    """A 429 with Retry-After and a passing 500 are sent again and end answered."""
    for custom_id, text in (("limited", "after a pause"), ("flaky", "after a retry")):
        row = outcomes[custom_id]
        assert row["status_code"] == 200
        assert row["error"] is None
        assert msgspec.json.decode(row["body"])["choices"][0]["message"]["content"] == text


def test_failures_are_rows_with_their_error_and_the_job_goes_on(outcomes: dict[str, Row]) -> None:
    """A 400, a stream cut on every attempt and a row without a body each give a row with its error."""
    refused = outcomes["refused"]
    assert refused["status_code"] == 400
    assert msgspec.json.decode(refused["body"])["error"]["code"] == "simulated_400"
    assert msgspec.json.decode(refused["error"])["code"] == "simulated_400"

    cut = outcomes["cut"]
    assert cut["status_code"] == 200
    assert msgspec.json.decode(cut["error"])["code"] == "stream_incomplete"
    partial = msgspec.json.decode(cut["body"])["choices"][0]["message"]["content"]
    assert partial
    assert "one two three four five six".startswith(partial)

    missing = outcomes["no-body"]
    assert missing["status_code"] is None
    assert missing["body"] is None
    assert msgspec.json.decode(missing["error"])["code"] == "invalid_request"


@pytest.fixture
def limited_run(server: ScriptedServer, local_ray: None) -> tuple[ScriptedServer, list[Row]]:
    """The second job: 30 JSON-text bodies, 2 workers sharing rpm=600, against the scripted server."""
    count = 30
    server.script.extend(Reply(pieces=reply_text("fine")) for _ in range(count))
    rows = [
        {
            "custom_id": f"t-{n}",
            "body": msgspec.json.encode(
                {"model": "m", "messages": [{"role": "user", "content": "hi"}]}
            ).decode(),
        }
        for n in range(count)
    ]
    dataset = ray.data.from_items(rows, override_num_blocks=6)
    out = r9s_stream.ray.complete(dataset, base_url=server.url, api_key="k", workers=2, rpm=600)
    return server, out.take_all()


def test_json_text_bodies_and_one_rate_limit_for_all_workers(
    limited_run: tuple[ScriptedServer, list[Row]],
) -> None:
    """Text bodies are sent; rpm=600 across 2 workers lets 10 through at once, then about 10 a second."""
    server, rows = limited_run
    assert sorted(row["custom_id"] for row in rows) == sorted(f"t-{n}" for n in range(30))
    assert all(row["status_code"] == 200 and row["error"] is None for row in rows)
    assert all(request.body["messages"] == [{"role": "user", "content": "hi"}] for request in server.received)
    arrivals = sorted(request.at for request in server.received)
    assert len(arrivals) == 30
    assert arrivals[-1] - arrivals[0] >= 1.6  # 10 at once, then 20 more at 10 a second
    first = arrivals[0]
    assert sum(1 for at in arrivals if at - first < 0.5) <= 16


def test_complete_checks_its_arguments_before_anything_runs() -> None:
    """A wrong count, limit or client option is a ValueError or TypeError on the driver, at once."""
    dataset = ray.data.from_items([{"custom_id": "a", "body": "{}"}])
    with pytest.raises(ValueError, match="workers"):
        r9s_stream.ray.complete(dataset, workers=0)
    with pytest.raises(ValueError, match="rpm"):
        r9s_stream.ray.complete(dataset, rpm=0)
    with pytest.raises(TypeError):
        r9s_stream.ray.complete(dataset, no_such_option=1)
