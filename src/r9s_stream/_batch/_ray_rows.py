"""Rows of a Ray dataset in and out of a batch: requests from input rows, output rows from results.

An input row is an OpenAI Batch line as Ray Data reads it: ``custom_id``, ``body`` (a struct
or JSON text) and optionally ``method`` and ``url``. ``read_json`` gives every line's body
one Arrow struct type, so a key that only some lines have comes back as ``null`` in the
others; a struct body's null-valued keys are dropped before sending (JSON text is sent as
written). An output row has exactly the columns of ``OUTPUT_COLUMNS``, every value JSON text
or a number, so any Ray writer takes it.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import msgspec

from .._exceptions import BatchInputError
from ._requests import BatchRequest, parse_request
from ._results import BatchResult

__all__ = ["OUTPUT_COLUMNS", "drop_nulls", "input_error_row", "request_of_row", "result_row"]

OUTPUT_COLUMNS = (
    "custom_id",
    "status_code",
    "body",
    "error",
    "prompt_tokens",
    "completion_tokens",
    "time_to_first_token",
    "duration",
)

_decoder = msgspec.json.Decoder()


def drop_nulls(value: Any) -> Any:
    """``value`` with every null-valued key of every object in it left out (list items stay)."""
    if isinstance(value, Mapping):
        return {key: drop_nulls(item) for key, item in value.items() if item is not None}
    if isinstance(value, list):
        return [drop_nulls(item) for item in value]
    return value


def request_of_row(row: Mapping[str, Any]) -> BatchRequest:
    """The request of one input row; ``BatchInputError`` says what is wrong with it."""
    body = row.get("body")
    if isinstance(body, str | bytes):
        try:
            body = _decoder.decode(body)
        except msgspec.DecodeError as error:
            custom_id = row.get("custom_id")
            raise BatchInputError(
                f"body is not JSON: {error}", custom_id=custom_id if isinstance(custom_id, str) else None
            ) from None
    elif body is not None:
        body = drop_nulls(body)
    line = {key: value for key, value in row.items() if value is not None and key != "body"}
    if body is not None:
        line["body"] = body
    return parse_request(line)


def result_row(result: BatchResult) -> dict[str, Any]:
    """The output row of one request's result."""
    stats = result.stats
    return {
        "custom_id": result.custom_id,
        "status_code": result.status_code,
        "body": result.body_json(),
        "error": result.error_json(),
        "prompt_tokens": stats.prompt_tokens,
        "completion_tokens": stats.completion_tokens,
        "time_to_first_token": stats.time_to_first_token,
        "duration": stats.duration,
    }


def input_error_row(row: Mapping[str, Any], error: BatchInputError) -> dict[str, Any]:
    """The output row of an input row that could not be sent: nothing answered, the reason as error."""
    custom_id = row.get("custom_id")
    return {
        "custom_id": custom_id if isinstance(custom_id, str) else error.custom_id,
        "status_code": None,
        "body": None,
        "error": msgspec.json.encode({"code": "invalid_request", "message": error.reason}).decode(),
        "prompt_tokens": None,
        "completion_tokens": None,
        "time_to_first_token": None,
        "duration": None,
    }
