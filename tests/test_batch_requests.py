"""Batch input lines: what is accepted, what is refused and how the token estimate is made."""

from __future__ import annotations

import pytest

import r9s_stream as rs
from r9s_stream._batch._requests import parse_request_line


def test_a_full_line_and_a_minimal_line_are_both_chat_requests() -> None:
    """``method`` and ``url`` may be left out; ``/chat/completions`` is chat like ``/v1/…``."""
    full = parse_request_line(
        b'{"custom_id":"a","method":"POST","url":"/v1/chat/completions","body":{"model":"m"}}', 1
    )
    assert full == rs.BatchRequest("a", {"model": "m"}, "chat")
    assert parse_request_line('{"custom_id":"b","body":{}}', 2) == rs.BatchRequest("b", {}, "chat")
    short = parse_request_line('{"custom_id":"c","url":"/chat/completions","body":{}}', 3)
    assert short.kind == "chat"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("{not json", "line 7: not JSON"),
        ("[1, 2]", "line 7: not a JSON object"),
        ('{"body": {}}', "line 7: no custom_id"),
        ('{"custom_id": "", "body": {}}', "line 7: no custom_id"),
        ('{"custom_id": 5, "body": {}}', "line 7: no custom_id"),
        ('{"custom_id": "a"}', "line 7: no body"),
        ('{"custom_id": "a", "body": "text"}', "line 7: no body"),
        ('{"custom_id": "a", "method": "GET", "body": {}}', "line 7: method 'GET'"),
        ('{"custom_id": "a", "url": "/v1/embeddings", "body": {}}', "line 7: unknown endpoint '/v1/embe"),
    ],
)
def test_a_line_that_cannot_be_sent_is_named_with_its_number(text: str, message: str) -> None:
    """Each refusal says its line number and what is wrong."""
    with pytest.raises(rs.BatchInputError) as caught:
        parse_request_line(text, 7)
    assert str(caught.value).startswith(message)
    assert caught.value.line == 7


def test_the_estimate_is_prompt_characters_over_four_plus_the_answers_cap() -> None:
    """Text and text parts count; ``max_completion_tokens`` or ``max_tokens`` caps, else the default."""
    body = {
        "messages": [
            {"role": "system", "content": "x" * 40},
            {"role": "user", "content": [{"type": "text", "text": "y" * 60}, {"type": "image_url"}]},
        ],
        "max_tokens": 7,
    }
    assert rs.BatchRequest("a", body).estimated_tokens(1024) == 25 + 7
    assert rs.BatchRequest("a", {**body, "max_completion_tokens": 9}).estimated_tokens(1024) == 25 + 9
    assert rs.BatchRequest("a", {"messages": []}).estimated_tokens(1024) == 1024
    assert rs.BatchRequest("a", {"max_tokens": True}).estimated_tokens(50) == 50
