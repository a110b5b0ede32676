"""What r9s_stream.ray's workers do, without Ray: rows to requests, results to rows, one batch fed by many.

The embedded server answers; the rows are shaped as Ray Data hands them over (``read_json``
fills a key some lines lack with null; a body may be JSON text).
"""

from __future__ import annotations

from collections.abc import Iterator

import anyio
import msgspec
import pytest

import r9s_stream as rs
from _loops import asyncio_and_trio  # noqa: F401  (the anyio_backend fixture: both loops)
from r9s_stream import testing
from r9s_stream._batch._feed import BatchFeed
from r9s_stream._batch._ray_rows import (
    OUTPUT_COLUMNS,
    drop_nulls,
    input_error_row,
    request_of_row,
    result_row,
)

pytestmark = pytest.mark.anyio


def user(text: str, model: str = "echo") -> dict[str, object]:
    return {"model": model, "messages": [{"role": "user", "content": text}]}


@pytest.fixture(scope="module")
def url() -> Iterator[str]:
    """One embedded server for the module."""
    with testing.run_server() as base_url:
        yield base_url


def test_null_keys_that_arrow_filled_in_are_dropped_at_every_depth() -> None:
    """A struct body's null-valued keys are left out, in nested objects and in objects inside lists."""
    row = {
        "custom_id": "a",
        "method": None,
        "url": None,
        "body": {
            "model": "m",
            "max_tokens": None,
            "messages": [{"role": "user", "content": "hi", "name": None}],
            "stop": ["x", None],
        },
    }
    request = request_of_row(row)
    assert request.custom_id == "a"
    assert request.body == {
        "model": "m",
        "messages": [{"role": "user", "content": "hi"}],
        "stop": ["x", None],
    }
    assert drop_nulls({"a": {"b": None}}) == {"a": {}}


def test_a_json_text_body_is_sent_as_written() -> None:
    """A body given as JSON text is decoded and kept whole, its nulls included."""
    text = '{"model": "m", "messages": [{"role": "user", "content": "hi"}], "seed": null}'
    request = request_of_row({"custom_id": "t", "body": text, "url": "/v1/chat/completions"})
    assert request.body == {"model": "m", "messages": [{"role": "user", "content": "hi"}], "seed": None}


@pytest.mark.parametrize(
    ("row", "reason"),
    [
        ({"custom_id": "a", "body": "{not json"}, "body is not JSON"),
        ({"custom_id": "a", "body": None}, "no body"),
        ({"custom_id": None, "body": {"model": "m"}}, "no custom_id"),
        ({"custom_id": "a", "body": {"model": "m"}, "url": "/v1/embeddings"}, "unknown endpoint"),
        ({"custom_id": "a", "body": {"model": "m"}, "method": "GET"}, "only POST"),
    ],
)
def test_a_row_that_cannot_be_sent_becomes_an_error_row(row: dict[str, object], reason: str) -> None:
    """A row that is not a valid request gives an output row saying why, with nothing answered."""
    with pytest.raises(rs.BatchInputError) as caught:
        request_of_row(row)
    out = input_error_row(row, caught.value)
    assert tuple(out) == OUTPUT_COLUMNS
    assert out["status_code"] is None
    assert out["body"] is None
    error = msgspec.json.decode(out["error"])
    assert error["code"] == "invalid_request"
    assert reason in error["message"]
    assert out["custom_id"] == row["custom_id"]


async def test_callers_sharing_one_batch_get_their_own_results_in_their_order(url: str) -> None:
    """Two batches fed to one run at once, with the same custom_ids, each get their own answers back."""
    first = [request_of_row({"custom_id": f"r{i}", "body": user(f"first {i}")}) for i in range(6)]
    second = [request_of_row({"custom_id": f"r{i}", "body": user(f"second {i}")}) for i in range(6)]
    results: dict[str, list[rs.BatchResult]] = {}
    client = rs.AsyncClient("key", url)
    async with client, BatchFeed(lambda requests: client.batch(requests, concurrency=4)) as feed:

        async def run(name: str, requests: list[rs.BatchRequest]) -> None:
            results[name] = await feed.run(requests)

        async with anyio.create_task_group() as group:
            group.start_soon(run, "first", first)
            group.start_soon(run, "second", second)
    for name in ("first", "second"):
        rows = [result_row(result) for result in results[name]]
        assert [row["custom_id"] for row in rows] == [f"r{i}" for i in range(6)]
        for number, row in enumerate(rows):
            assert tuple(row) == OUTPUT_COLUMNS
            assert row["status_code"] == 200
            assert row["error"] is None
            body = msgspec.json.decode(row["body"])
            assert body["object"] == "chat.completion"
            assert body["choices"][0]["message"]["content"] == f"{name} {number}"
            assert row["prompt_tokens"] > 0
            assert row["completion_tokens"] == 2
            assert 0 <= row["time_to_first_token"] <= row["duration"]


async def test_a_failed_request_is_a_result_and_the_feed_goes_on(url: str) -> None:
    """A request the server refuses comes back as an error result, and the next call is served as usual."""
    client = rs.AsyncClient("key", url)
    async with client, BatchFeed(lambda requests: client.batch(requests, max_retries=0)) as feed:
        [refused] = await feed.run([request_of_row({"custom_id": "bad", "body": user("x", "status-400")})])
        [fine] = await feed.run([request_of_row({"custom_id": "ok", "body": user("fine")})])
    row = result_row(refused)
    assert row["custom_id"] == "bad"
    assert row["status_code"] == 400
    assert msgspec.json.decode(row["error"])["message"].startswith("Simulated HTTP 400")
    assert msgspec.json.decode(row["body"])["error"]["code"] == "simulated_400"
    assert result_row(fine)["status_code"] == 200


async def test_a_feed_that_is_not_running_says_so() -> None:
    """Handing requests to a feed outside its `async with` block is an error, not a wait forever."""
    feed = BatchFeed(lambda requests: rs.AsyncClient("k", "http://127.0.0.1:9").batch(requests))
    with pytest.raises(RuntimeError, match="not running"):
        await feed.run([request_of_row({"custom_id": "a", "body": user("x")})])
