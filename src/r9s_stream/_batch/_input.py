"""A batch's input file: checked whole before anything is sent, then read again lazily to send it.

The check decodes each line's fields but not its body (``msgspec.Raw``), so it is quick and
holds nothing but the ``custom_id``s, which the resume and the final rewrite need anyway.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Container, Iterator

import msgspec

from .._exceptions import BatchInputError
from ._requests import BatchRequest, check_fields, parse_request_line

__all__ = ["MAX_REPORTED_ERRORS", "check_input_file", "read_requests"]

# A file with more bad lines than this is named by its first ones (and the count).
MAX_REPORTED_ERRORS = 50


class _Fields(msgspec.Struct):
    """An input line's fields; the body is kept as raw JSON, not decoded."""

    custom_id: object = None
    method: object = "POST"
    url: object = "/v1/chat/completions"
    body: msgspec.Raw = msgspec.Raw(b"")  # a union with Raw cannot be decoded


_decoder = msgspec.json.Decoder(_Fields)


def check_input_file(
    path: str | os.PathLike[str], report: Callable[[BatchInputError], None] | None = None
) -> dict[str, int]:
    """Check every line of ``path``; return its ``custom_id``s in input order (each mapped to 0).

    Blank lines are skipped. Each bad line (not JSON, no ``custom_id`` or ``body``, another
    method, an unknown endpoint, a ``custom_id`` seen before: the later line is named) is
    handed to ``report``; if there was any, ``BatchInputError`` is raised at the end, its
    ``errors`` holding the first ``MAX_REPORTED_ERRORS``.
    """
    ids: dict[str, int] = {}
    errors: list[BatchInputError] = []
    bad = 0
    with open(path, "rb") as file:
        for number, data in enumerate(file, start=1):
            if not data.strip():
                continue
            try:
                custom_id = _check_line(data, number)
                if custom_id in ids:
                    raise BatchInputError(
                        f"custom_id {custom_id!r} was used before", line=number, custom_id=custom_id
                    )
            except BatchInputError as error:
                bad += 1
                if len(errors) < MAX_REPORTED_ERRORS:
                    errors.append(error)
                if report is not None:
                    report(error)
                continue
            ids[custom_id] = 0
    if errors:
        plural = "s" if bad != 1 else ""
        failure = BatchInputError(
            f"{bad} line{plural} of {os.fspath(path)} cannot be sent (the first: {errors[0]})"
        )
        failure.errors = tuple(errors)
        raise failure
    return ids


def _check_line(data: bytes, number: int) -> str:
    try:
        fields = _decoder.decode(data)
    except msgspec.ValidationError as error:
        message = str(error)
        reason = (
            "not a JSON object" if message.startswith("Expected `object`") else f"not a request ({message})"
        )
        raise BatchInputError(reason, line=number) from None
    except msgspec.DecodeError as error:
        raise BatchInputError(f"not JSON ({error})", line=number) from None
    body = fields.body
    custom_id, _ = check_fields(fields.custom_id, fields.method, fields.url, line=number)
    if not bytes(body).lstrip().startswith(b"{"):
        raise BatchInputError("no body (a JSON object)", line=number, custom_id=custom_id)
    return custom_id


def read_requests(path: str | os.PathLike[str], skip: Container[str]) -> Iterator[BatchRequest]:
    """The requests of a checked file, one line at a time, leaving out the ``custom_id``s in ``skip``."""
    with open(path, "rb") as file:
        for number, data in enumerate(file, start=1):
            if not data.strip():
                continue
            request = parse_request_line(data, number)
            if request.custom_id not in skip:
                yield request
