"""``ChunkDecoder`` case by case: bytes in, typed chunks, the end, or a typed error out. No event loop."""

from __future__ import annotations

import msgspec
import pytest

import r9s_stream as rs


def chunk(content: str | None = "X", *, id: str = "c1", index: int = 0) -> bytes:
    """The JSON of a one-choice content chunk."""
    delta = {} if content is None else {"content": content}
    return msgspec.json.encode(
        {
            "id": id,
            "object": "chat.completion.chunk",
            "created": 1,
            "model": "m",
            "choices": [{"index": index, "delta": delta, "finish_reason": None}],
        }
    )


C = chunk()
DONE = b"data: [DONE]\n\n"


def decode(*feeds: bytes, finish: bool = True, **options: int) -> tuple[list[str | None], rs.ChunkDecoder]:
    """Feed the pieces in order (then finish); return each chunk's content and the decoder."""
    decoder = rs.ChunkDecoder(**options)
    events: list[rs.ChatCompletionStreamEvent] = []
    for data in feeds:
        events += decoder.feed(data)
    if finish:
        events += decoder.finish()
    contents = [e.choices[0].delta.content if e.choices and e.choices[0].delta else None for e in events]
    return contents, decoder


# --- the end -----------------------------------------------------------------------------


def test_done_ends_the_stream() -> None:
    """`data: [DONE]` sets done and leaves no error."""
    contents, decoder = decode(b"data: " + C + b"\n\n" + DONE)
    assert contents == ["X"]
    assert decoder.done
    assert decoder.error is None
    assert decoder.stopped


@pytest.mark.parametrize("line", [b"data:  [DONE]  ", b"data:\t[DONE]\t", b"data: [DONE] ", b"data:[DONE]"])
def test_done_with_surrounding_whitespace(line: bytes) -> None:
    """Whitespace around [DONE] (Azure sends `[DONE] `) still ends the stream."""
    contents, decoder = decode(b"data: " + C + b"\n\n" + line + b"\n\n")
    assert contents == ["X"]
    assert decoder.done


def test_nothing_after_done_is_decoded() -> None:
    """Events and garbage after [DONE] — in the same read or later ones — are neither returned nor errors."""
    contents, decoder = decode(DONE + b"data: " + C + b"\n\ndata: {bad\n\n", b"data: " + C + b"\n\n")
    assert contents == []
    assert decoder.done
    assert decoder.error is None
    assert decoder.feed(b"data: " + C + b"\n\n") == []


def test_done_prefix_is_not_done() -> None:
    """`[DONE]x` is not the end marker (no startswith sentinel): it is an invalid chunk."""
    _, decoder = decode(b"data: [DONE]x\n\n")
    assert not decoder.done
    assert isinstance(decoder.error, rs.StreamDecodeError)


def test_unterminated_done_at_end_of_input() -> None:
    """`data: [DONE]` without its blank line, then end of input, still ends the stream cleanly."""
    contents, decoder = decode(b"data: " + C + b"\n\ndata: [DONE]")
    assert contents == ["X"]
    assert decoder.done


# --- what produces nothing ---------------------------------------------------------------


@pytest.mark.parametrize(
    "noise",
    [
        b": keep-alive\n\n",
        b": OPENROUTER PROCESSING\n\n",
        b": ping - 2025-01-01 00:00:00.000000+00:00\n\n",
        b"retry: 3000\n\n",
        b"id: 42\n\n",
        b"data:\n\n",
        b"data: \n\n",
        b'event: ping\ndata: {"type": "ping"}\n\n',
        b"event: message_start\ndata: {}\n\n",
        b"id: 7\n: comment\n\n",
        b"\n\n\n",
        b"... \n\n",
    ],
)
def test_noise_produces_nothing(noise: bytes) -> None:
    """Comments, retry:/id: lines, empty data, named events and stray lines yield no chunk and no error."""
    contents, decoder = decode(noise + b"data: " + C + b"\n\n" + noise + DONE)
    assert contents == ["X"]
    assert decoder.done
    assert decoder.error is None


def test_id_then_comment_then_blank_line_has_no_phantom_event() -> None:
    """`id:` then a comment then a blank line dispatches nothing (the httpx-sse / openai-python bug)."""
    contents, decoder = decode(b"id: 1\n: hello\n\n", b"data: " + C + b"\n\n", DONE)
    assert contents == ["X"]
    assert decoder.events_seen == 2  # the chunk and [DONE]; no empty event in between
    assert decoder.error is None


def test_id_field_and_comment_inside_a_data_event() -> None:
    """An event with id:, a comment and data: is decoded as its data."""
    contents, _ = decode(b"id: 9\n: note\ndata: " + C + b"\n\n" + DONE)
    assert contents == ["X"]


# --- errors the server sends -------------------------------------------------------------


def test_error_object_in_data_is_a_stream_api_error() -> None:
    """`data: {"error": {...}}` becomes StreamAPIError with message, type, code, param and the raw body."""
    body = b'{"error": {"message": "Rate limit", "type": "rate_limit_error", "code": "rl", "param": "model"}}'
    contents, decoder = decode(b"data: " + C + b"\n\ndata: " + body + b"\n\n" + b"data: " + C + b"\n\n")
    assert contents == ["X"]
    error = decoder.error
    assert isinstance(error, rs.StreamAPIError)
    assert error.message == "Rate limit"
    assert error.type == "rate_limit_error"
    assert error.code == "rl"
    assert error.param == "model"
    assert error.body == body.decode()
    assert not decoder.done


def test_error_numeric_code_becomes_text() -> None:
    """A numeric error code (OpenRouter sends 429) is kept as the string "429"."""
    _, decoder = decode(b'data: {"error": {"message": "slow down", "code": 429}}\n\n')
    assert isinstance(decoder.error, rs.StreamAPIError)
    assert decoder.error.code == "429"
    assert decoder.error.message == "slow down"


def test_error_as_a_plain_string() -> None:
    """`{"error": "overloaded"}` gives a StreamAPIError whose message is that string."""
    _, decoder = decode(b'data: {"error": "overloaded"}\n\n')
    assert isinstance(decoder.error, rs.StreamAPIError)
    assert decoder.error.message == "overloaded"


def test_named_error_event_with_json() -> None:
    """`event: error` with a JSON body becomes StreamAPIError with the server's fields."""
    body = b'{"message": "model crashed", "type": "server_error", "code": "E1"}'
    contents, decoder = decode(b"data: " + C + b"\n\nevent: error\ndata: " + body + b"\n\n")
    assert contents == ["X"]
    error = decoder.error
    assert isinstance(error, rs.StreamAPIError)
    assert (error.message, error.type, error.code) == ("model crashed", "server_error", "E1")
    assert error.body == body.decode()


def test_named_error_event_with_wrapped_json() -> None:
    """`event: error` whose data is `{"error": {...}}` takes the inner object's message."""
    _, decoder = decode(b'event: error\ndata: {"error": {"message": "inner", "type": "t"}}\n\n')
    assert isinstance(decoder.error, rs.StreamAPIError)
    assert (decoder.error.message, decoder.error.type) == ("inner", "t")


def test_named_error_event_with_text_or_nothing() -> None:
    """`event: error` with plain text or no data is still a StreamAPIError, never silently ignored."""
    _, text = decode(b"event: error\ndata: upstream overloaded\n\n")
    assert isinstance(text.error, rs.StreamAPIError)
    assert text.error.message == "upstream overloaded"
    _, empty = decode(b"event: error\ndata:\n\n")
    assert isinstance(empty.error, rs.StreamAPIError)


def test_error_word_inside_content_is_not_an_error() -> None:
    """Content that mentions `"error": …` is an ordinary chunk."""
    text = 'the JSON was {"error": 1}'
    contents, decoder = decode(b"data: " + chunk(text) + b"\n\n" + DONE)
    assert contents == [text]
    assert decoder.error is None


def test_null_error_key_in_a_chunk_is_not_an_error() -> None:
    """A chunk with `"error": null` alongside its choices is an ordinary chunk."""
    payload = b'{"error": null, "choices": [{"index": 0, "delta": {"content": "E"}}]}'
    contents, decoder = decode(b"data: " + payload + b"\n\n" + DONE)
    assert contents == ["E"]
    assert decoder.error is None


def test_nested_error_in_an_extension_is_not_a_stream_error() -> None:
    """Azure's `content_filter_results.error` inside a chunk does not end the stream."""
    payload = (
        b'{"id": "c", "choices": [{"index": 0, "delta": {"content": "ok"}, '
        b'"content_filter_results": {"error": {"code": "x", "message": "filter down"}}}]}'
    )
    contents, decoder = decode(b"data: " + payload + b"\n\n" + DONE)
    assert contents == ["ok"]
    assert decoder.done


# --- payloads that are not chunks --------------------------------------------------------


@pytest.mark.parametrize(
    "payload",
    [
        b"{bad json",
        b"[1, 2]",
        b'"a string"',
        b"42",
        b"null",
        b'{"choices": "not a list"}',
        b'{"created": "yesterday"}',
        b'{"id": 5}',
        b'{"choices": [{"index": "zero"}]}',
        b'{"choices": [{"delta": {"content": 3}}]}',
        b'{"choices": [{"delta": {"tool_calls": [{"index": 0, "function": "f"}]}}]}',
        b'{"usage": {"prompt_tokens": "many"}}',
    ],
)
def test_invalid_payload_is_a_decode_error_with_data_and_position(payload: bytes) -> None:
    """Invalid JSON or the wrong shape raises StreamDecodeError naming the raw data and its position."""
    contents, decoder = decode(
        b"data: " + C + b"\n\n: c\n\ndata: " + C + b"\n\ndata: " + payload + b"\n\n" + DONE
    )
    assert contents == ["X", "X"]
    error = decoder.error
    assert isinstance(error, rs.StreamDecodeError)
    assert error.data == payload.decode()
    assert error.position == 2
    assert not decoder.done
    assert payload.decode()[:20] in str(error)


def test_events_before_a_bad_one_in_the_same_read_are_returned() -> None:
    """With good, good, bad, good in one read: the first two are returned, the last is not."""
    contents, decoder = decode(
        b"data: "
        + chunk("a")
        + b"\n\ndata: "
        + chunk("b")
        + b"\n\ndata: {oops\n\ndata: "
        + chunk("c")
        + b"\n\n"
    )
    assert contents == ["a", "b"]
    assert isinstance(decoder.error, rs.StreamDecodeError)
    assert decoder.error.position == 2
    assert decoder.feed(b"data: " + chunk("d") + b"\n\n") == []


def test_unknown_fields_are_ignored() -> None:
    """Extension fields (x_groq, obfuscation, prompt_filter_results) do not break decoding."""
    payload = (
        b'{"id": "g", "x_groq": {"id": "r"}, "obfuscation": "zz", '
        b'"choices": [{"index": 0, "delta": {"content": "hi", "annotations": []}}]}'
    )
    contents, _ = decode(b"data: " + payload + b"\n\n" + DONE)
    assert contents == ["hi"]


# --- line endings, BOM, encodings --------------------------------------------------------


@pytest.mark.parametrize("eol", [b"\n", b"\r", b"\r\n"])
def test_line_endings(eol: bytes) -> None:
    """LF, CR and CRLF line endings (with comments and multi-line events) decode the same."""
    body = (b": c" + eol + eol + b"id: 1" + eol + b"data: " + C + eol + eol) * 2 + b"data: [DONE]" + eol + eol
    contents, decoder = decode(body)
    assert contents == ["X", "X"]
    assert decoder.done


@pytest.mark.parametrize("eol", [b"\r", b"\r\n"])
def test_line_endings_fed_one_byte_at_a_time(eol: bytes) -> None:
    """CR and CRLF line endings split across every read give the same events."""
    body = (b"data: " + C + eol + eol) * 3 + b"data: [DONE]" + eol + eol
    contents, decoder = decode(*[body[i : i + 1] for i in range(len(body))])
    assert contents == ["X", "X", "X"]
    assert decoder.done


def test_crlf_pair_split_between_reads() -> None:
    """A CR at the end of one read and its LF at the start of the next are one line ending."""
    contents, decoder = decode(b"data: " + C + b"\r", b"\n\r", b"\ndata: " + C + b"\r\n\r", b"\n" + DONE)
    assert contents == ["X", "X"]
    assert decoder.done


def test_cr_then_cr_split_between_reads_is_a_blank_line() -> None:
    """Two CRs in separate reads end the event (CR alone is a line ending)."""
    contents, _ = decode(b"data: " + C + b"\r", b"\r", finish=False)
    assert contents == ["X"]


def test_leading_bom_is_dropped() -> None:
    """A UTF-8 BOM before the first event is ignored."""
    contents, decoder = decode(b"\xef\xbb\xbfdata: " + C + b"\n\n" + DONE)
    assert contents == ["X"]
    assert decoder.done


@pytest.mark.parametrize("cut", [1, 2, 3, 4])
def test_bom_split_across_reads(cut: int) -> None:
    """A BOM cut anywhere across reads is still dropped."""
    body = b"\xef\xbb\xbfdata: " + C + b"\n\n" + DONE
    contents, decoder = decode(body[:cut], body[cut:])
    assert contents == ["X"]
    assert decoder.done


def test_bom_bytes_one_at_a_time() -> None:
    """The three BOM bytes in three reads, then the event, decode normally."""
    contents, decoder = decode(b"\xef", b"\xbb", b"\xbf", b"data: " + C + b"\n\n", DONE)
    assert contents == ["X"]
    assert decoder.done


def test_multibyte_character_split_across_reads() -> None:
    """A UTF-8 character cut between reads arrives whole."""
    body = b"data: " + chunk("h\u20acllo \U0001f600") + b"\n\n" + DONE
    for cut in range(len(body)):
        contents, _ = decode(body[:cut], body[cut:])
        assert contents == ["h\u20acllo \U0001f600"]


def test_line_separator_inside_json() -> None:
    """U+2028 and U+2029, raw inside a JSON string, are content, not line breaks."""
    contents, _ = decode(
        b'data: {"choices":[{"delta":{"content":"a\xe2\x80\xa8b\xe2\x80\xa9c"}}]}\n\n' + DONE
    )
    assert contents == ["a\u2028b\u2029c"]


def test_invalid_utf8_inside_a_string_becomes_replacement_characters() -> None:
    """Invalid UTF-8 in content decodes with U+FFFD, never a bare UnicodeDecodeError."""
    bad = b'data: {"choices":[{"delta":{"content":"a\xffb\xc3"}}]}\n\n'
    contents, decoder = decode(bad + DONE)
    assert contents == ["a\ufffdb\ufffd"]
    assert decoder.done


def test_invalid_utf8_next_to_good_chunks_in_one_read() -> None:
    """A chunk with invalid UTF-8 among valid ones in the same read does not lose its neighbours."""
    bad = b'data: {"choices":[{"delta":{"content":"\xfe"}}]}\n\n'
    contents, _ = decode(b"data: " + C + b"\n\n" + bad + b"data: " + C + b"\n\n" + DONE)
    assert contents == ["X", "\ufffd", "X"]


def test_invalid_utf8_outside_strings_is_a_decode_error() -> None:
    """Invalid UTF-8 outside a JSON string is a StreamDecodeError, not a UnicodeDecodeError."""
    _, decoder = decode(b'data: {"choices":[]}\xff\n\n')
    assert isinstance(decoder.error, rs.StreamDecodeError)
    assert "\ufffd" in decoder.error.data


# --- SSE field syntax --------------------------------------------------------------------


def test_multi_line_data_is_joined_with_newlines() -> None:
    """Several data: lines in one event are joined with LF (valid JSON here)."""
    contents, _ = decode(b'data: {"choices":[{"delta":\ndata: {"content":"ML"}}]}\n\n' + DONE)
    assert contents == ["ML"]


def test_data_without_a_space_after_the_colon() -> None:
    """`data:{...}` is the same as `data: {...}`."""
    contents, decoder = decode(b"data:" + C + b"\n\ndata:[DONE]\n\n")
    assert contents == ["X"]
    assert decoder.done


def test_data_with_two_spaces_after_the_colon() -> None:
    """Only one space after `data:` is syntax; JSON tolerates the second."""
    contents, _ = decode(b"data:  " + C + b"\n\n" + DONE)
    assert contents == ["X"]


def test_unterminated_final_event_is_delivered_at_end_of_input() -> None:
    """A complete final event without its blank line is delivered by finish()."""
    contents, decoder = decode(b"data: " + chunk("a") + b"\n\ndata: " + chunk("b"))
    assert contents == ["a", "b"]
    assert not decoder.done
    assert decoder.error is None


def test_truncated_final_event_is_dropped_without_a_decode_error() -> None:
    """A final event cut mid-JSON at end of input is dropped: the stream is incomplete, not malformed."""
    contents, decoder = decode(b"data: " + chunk("a") + b'\n\ndata: {"id": "c1", "cho')
    assert contents == ["a"]
    assert decoder.error is None
    assert not decoder.done


def test_events_are_held_until_their_blank_line() -> None:
    """An event is returned only once its closing blank line has arrived."""
    decoder = rs.ChunkDecoder()
    assert decoder.feed(b"data: " + C) == []
    assert decoder.feed(b"\n") == []
    assert len(decoder.feed(b"\n")) == 1


# --- size limit --------------------------------------------------------------------------


def test_event_too_large() -> None:
    """An unfinished event past max_event_size raises EventTooLargeError with the limit and its start."""
    contents, decoder = decode(
        b"data: " + C + b"\n\n", b'data: {"id": "' + b"x" * 300, finish=False, max_event_size=200
    )
    assert contents == ["X"]
    error = decoder.error
    assert isinstance(error, rs.EventTooLargeError)
    assert isinstance(error, rs.StreamDecodeError)
    assert error.limit == 200
    assert error.position == 1
    assert error.data.startswith('data: {"id": "xxx')
    assert decoder.feed(b'"}\n\n') == []


def test_event_too_large_whatever_the_reads() -> None:
    """An oversized event is refused whether it arrives whole in one read or in many."""
    big = b'data: {"id": "' + b"x" * 500 + b'", "choices": []}\n\n'
    body = b"data: " + C + b"\n\n" + big + b"data: " + C + b"\n\n" + DONE
    for size in (1, 7, 64, len(body)):
        contents, decoder = decode(
            *[body[i : i + size] for i in range(0, len(body), size)], max_event_size=200
        )
        assert contents == ["X"], size
        assert isinstance(decoder.error, rs.EventTooLargeError), size
        assert decoder.error.position == 1


def test_events_under_the_limit_pass() -> None:
    """Many events that together exceed max_event_size are fine: the limit is per event."""
    body = (b"data: " + C + b"\n\n") * 50 + DONE
    contents, decoder = decode(body, max_event_size=len(C) + 20)
    assert contents == ["X"] * 50
    assert decoder.done


# --- the fast path and the careful path agree --------------------------------------------


def _varied_chunks() -> list[bytes]:
    return [
        chunk("plain"),
        chunk(""),
        chunk(None),
        chunk('line\nbreak \u2028 \U0001f600 "quoted" \\ back', id="c2", index=1),
        msgspec.json.encode(
            {
                "id": "c3",
                "choices": [
                    {
                        "index": 0,
                        "delta": {
                            "tool_calls": [
                                {"index": 0, "id": "t", "function": {"name": "f", "arguments": "{"}}
                            ]
                        },
                    }
                ],
                "usage": {"prompt_tokens": 1, "completion_tokens": 2, "total_tokens": 3},
            }
        ),
        b'{"choices": []}',
    ]


def test_fast_and_careful_paths_give_identical_events() -> None:
    """Plain `data:` events and the same events with a comment in each give the same chunks."""
    payloads = _varied_chunks() * 3
    plain = b"".join(b"data: " + p + b"\n\n" for p in payloads) + DONE
    careful = b"".join(b": c\ndata: " + p + b"\n\n" for p in payloads) + b": c\n" + DONE
    for body in (plain, careful):
        assert b"\n\n\n" not in body
    fast_decoder = rs.ChunkDecoder()
    fast = fast_decoder.feed(plain)
    careful_decoder = rs.ChunkDecoder()
    slow = careful_decoder.feed(careful)
    assert fast == slow
    assert len(fast) == len(payloads)
    assert fast_decoder.done
    assert careful_decoder.done
    assert fast_decoder.events_seen == careful_decoder.events_seen == len(payloads) + 1


def test_fast_and_careful_paths_agree_on_the_bad_event() -> None:
    """A bad event among plain ones and among commented ones gives the same chunks and error."""
    payloads = [*_varied_chunks(), b'{"choices": 1}', chunk("after")]
    plain = b"".join(b"data: " + p + b"\n\n" for p in payloads)
    careful = b"".join(b"id: 1\ndata: " + p + b"\n\n" for p in payloads)
    results = []
    for body in (plain, careful):
        decoder = rs.ChunkDecoder()
        events = decoder.feed(body)
        assert isinstance(decoder.error, rs.StreamDecodeError)
        results.append((events, decoder.error.data, decoder.error.position))
    assert results[0] == results[1]
    assert len(results[0][0]) == len(_varied_chunks())


def test_decoder_never_raises_from_feed() -> None:
    """feed() reports bad input through ``error`` rather than raising."""
    decoder = rs.ChunkDecoder()
    assert decoder.feed(b"data: {\n\n") == []
    assert isinstance(decoder.error, rs.StreamDecodeError)
    assert decoder.stopped


def test_event_of_exactly_max_event_size_passes_at_any_split() -> None:
    """An event of exactly max_event_size bytes is allowed, one byte more is not, however it is read."""
    event = b"data: " + C
    body = event + b"\n\n" + DONE
    for limit, allowed in ((len(event), True), (len(event) - 1, False)):
        for size in (1, 2, 7, len(body)):
            contents, decoder = decode(
                *[body[i : i + size] for i in range(0, len(body), size)], max_event_size=limit
            )
            assert (contents == ["X"]) is allowed, (limit, size)
            assert isinstance(decoder.error, rs.EventTooLargeError) is not allowed, (limit, size)


def test_openrouter_mid_stream_error_chunk() -> None:
    """OpenRouter's error chunk (error beside choices with finish_reason "error") is a StreamAPIError."""
    payload = (
        b'{"id": "gen-1", "object": "chat.completion.chunk", "created": 1, "model": "m",'
        b' "error": {"code": 502, "message": "Provider returned error"},'
        b' "choices": [{"index": 0, "delta": {"content": ""}, "finish_reason": "error"}]}'
    )
    contents, decoder = decode(b"data: " + C + b"\n\ndata: " + payload + b"\n\n" + DONE)
    assert contents == ["X"]
    error = decoder.error
    assert isinstance(error, rs.StreamAPIError)
    assert (error.message, error.code) == ("Provider returned error", "502")
    assert error.body == payload.decode()
    assert not decoder.done


@pytest.mark.parametrize("eol", [b"\r\n", b"\r", b"\n"])
def test_multi_line_events_survive_every_split(eol: bytes) -> None:
    """Named events and multi-line data keep their lines together when any line ending is cut across reads."""
    body = (
        b"event: ping" + eol + b"data: " + chunk("ignored") + eol + eol
        + b'data: {"choices": [{"delta":' + eol + b'data: {"content": "joined"}}]}' + eol + eol
        + b"event: error" + eol + b'data: {"message": "late failure"}' + eol + eol
    )  # fmt: skip
    for cut in range(1, len(body)):
        contents, decoder = decode(body[:cut], body[cut:])
        assert contents == ["joined"], cut
        assert isinstance(decoder.error, rs.StreamAPIError), cut
        assert decoder.error.message == "late failure", cut
    contents, decoder = decode(*[body[i : i + 1] for i in range(len(body))])
    assert contents == ["joined"]
    assert isinstance(decoder.error, rs.StreamAPIError)


# --- one event per read (the live-server shape, decoded on a short path) ----------------------


def test_one_event_per_read_gives_the_same_chunks_as_one_read() -> None:
    """Reads of one event each (what a server flushing every token sends) decode as the whole body does."""
    events = [b"data: " + chunk(str(n)) + b"\n\n" for n in range(5)] + [DONE]
    assert decode(*events)[0] == decode(b"".join(events))[0]
    contents, decoder = decode(*events)
    assert contents == ["0", "1", "2", "3", "4"]
    assert decoder.done
    assert decoder.events_seen == 6


@pytest.mark.parametrize("line_break", [b"\r", b"\n", b"\r\n"])
def test_a_line_break_inside_a_one_event_read_ends_the_data_line(line_break: bytes) -> None:
    """JSON may hold a raw line break as whitespace, SSE may not: the data line ends there."""
    good = b"data: " + chunk("ok") + b"\n\n"
    broken = b'data: {"choices":[],' + line_break + b'"id":"c2"}\n\n'
    contents, decoder = decode(good, broken)
    assert contents == ["ok"]
    assert isinstance(decoder.error, rs.StreamDecodeError)
    assert decoder.error.data == '{"choices":[],'


@pytest.mark.parametrize("field", [b"id: 1 ", b"event:", b": com "])
def test_a_one_event_read_that_is_not_data_dispatches_no_chunk(field: bytes) -> None:
    """A field or comment whose value happens to hold JSON after six bytes is not a `data:` event."""
    good = b"data: " + chunk("ok") + b"\n\n"
    contents, decoder = decode(good, field + chunk("no") + b"\n\n", DONE)
    assert contents == ["ok"]
    assert decoder.done
    assert decoder.error is None


def test_a_one_event_read_after_an_unended_event_continues_it() -> None:
    """A read that looks like one whole event, after an event not yet ended, is that event's next line."""
    first_line = b"data: " + chunk("a") + b"\n"
    contents, decoder = decode(first_line, b"data: " + chunk("b") + b"\n\n", DONE)
    assert contents == []
    assert isinstance(decoder.error, rs.StreamDecodeError)
    assert decoder.error.data == (chunk("a") + b"\n" + chunk("b")).decode()


def test_a_stream_of_another_kind_is_named_at_its_end() -> None:
    """A body of named events only (a Responses stream) ends with a message naming what it sent."""
    body = (
        b'event: response.created\ndata: {"type":"response.created"}\n\n'
        b'event: response.output_text.delta\ndata: {"type":"response.output_text.delta","delta":"Hi"}\n\n'
        b'event: response.completed\ndata: {"type":"response.completed"}\n\n'
    )
    contents, decoder = decode(body)
    assert contents == []
    message = decoder.missing_end(0)
    assert "`event: response.created`" in message
    assert "not a chat-completions stream" in message


def test_a_chat_stream_cut_short_is_not_called_another_kind() -> None:
    """Chunks then a cut: the end's message counts the chunks and names no other kind."""
    contents, decoder = decode(b"event: ping\ndata: {}\n\n", b"data: " + C + b"\n\n")
    assert contents == ["X"]
    assert decoder.missing_end(1) == "the stream ended without data: [DONE] after 1 chunks"
