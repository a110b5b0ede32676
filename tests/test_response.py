"""Checks before streaming: the status first, then the content type, with the server's error message."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import msgspec
import pytest

import r9s_stream as rs
from r9s_stream._http._checks import check_response, error_fields


class _Body(httpx.AsyncByteStream):
    def __init__(self, *parts: bytes | Exception) -> None:
        self.parts = parts
        self.closed = False
        self.read = 0

    async def __aiter__(self) -> AsyncIterator[bytes]:
        for part in self.parts:
            if isinstance(part, Exception):
                raise part
            self.read += len(part)
            yield part

    async def aclose(self) -> None:
        self.closed = True


def response(status: int, *parts: bytes | Exception, **headers: str) -> tuple[httpx.Response, _Body]:
    """A streaming response with the given status, body pieces and headers (underscores become dashes)."""
    body = _Body(*parts)
    request = httpx.Request("POST", "https://response.test/v1/chat/completions")
    headers = {k.replace("_", "-"): v for k, v in headers.items()}
    return httpx.Response(status, headers=headers, stream=body, request=request), body


@pytest.mark.parametrize(
    ("body", "message", "error_type", "code"),
    [
        (b'{"error": {"message": "bad key", "type": "auth", "code": "invalid_api_key"}}', "bad key", "auth",
         "invalid_api_key"),
        (b'{"error": "model \'x\' not found"}', "model 'x' not found", None, None),
        (b'{"object": "error", "message": "too long", "type": "BadRequestError", "code": 400}', "too long",
         "BadRequestError", "400"),
        (b'{"detail": "Not Found"}', "Not Found", None, None),
        (b'{"error": {"msg": "quota", "code": 429}}', "quota", None, "429"),
        (b"<html>502 Bad Gateway</html>", "<html>502 Bad Gateway</html>", None, None),
        (b"[1, 2]", "[1, 2]", None, None),
    ],
)  # fmt: skip
def test_error_fields_in_the_shapes_servers_use(
    body: bytes, message: str, error_type: str | None, code: str | None
) -> None:
    """OpenAI, Ollama, vLLM, FastAPI and plain-text error bodies all give a readable message."""
    try:
        parsed: object = msgspec.json.decode(body)
    except msgspec.DecodeError:
        parsed = None
    assert error_fields(parsed, body) == (message, error_type, code)


@pytest.mark.anyio
async def test_status_error_fields_and_closing() -> None:
    """A 401 JSON body gives APIStatusError with every field, and the response is closed."""
    resp, body = response(
        401,
        b'{"error": {"message": "Incorrect API key", "type": "invalid_request_error",'
        b' "code": "invalid_api_key"}}',
        content_type="application/json",
        x_request_id="req_abc",
    )
    with pytest.raises(rs.APIStatusError) as caught:
        await check_response(resp)
    error = caught.value
    assert (error.status_code, error.message, error.type, error.code, error.request_id) == (
        401,
        "Incorrect API key",
        "invalid_request_error",
        "invalid_api_key",
        "req_abc",
    )
    assert error.body == {
        "error": {"message": "Incorrect API key", "type": "invalid_request_error", "code": "invalid_api_key"}
    }
    assert resp.is_closed
    assert body.closed


@pytest.mark.anyio
async def test_request_id_header_variant() -> None:
    """Servers that send `request-id` instead of `x-request-id` still give a request id."""
    resp, _ = response(500, b"oops", request_id="r-9")
    with pytest.raises(rs.APIStatusError) as caught:
        await check_response(resp)
    assert caught.value.request_id == "r-9"


@pytest.mark.anyio
async def test_status_checked_before_content_type() -> None:
    """A 502 labelled text/event-stream is a status error, not a stream."""
    resp, _ = response(502, b"data: nothing\n\n", content_type="text/event-stream")
    with pytest.raises(rs.APIStatusError) as caught:
        await check_response(resp)
    assert caught.value.status_code == 502


@pytest.mark.anyio
async def test_huge_error_body_is_read_only_in_part() -> None:
    """An endless error body is read only up to a bound, and still gives an error."""
    piece = b"x" * 65536
    resp, body = response(500, *([piece] * 100))
    with pytest.raises(rs.APIStatusError) as caught:
        await check_response(resp)
    assert body.read < len(piece) * 100
    assert caught.value.status_code == 500
    assert body.closed


@pytest.mark.anyio
async def test_error_body_cut_by_a_transport_error() -> None:
    """A status error whose body breaks midway still raises APIStatusError with what was read."""
    resp, _ = response(503, b"overloaded, ", httpx.ReadError("reset"))
    with pytest.raises(rs.APIStatusError) as caught:
        await check_response(resp)
    assert caught.value.message == "overloaded, "


@pytest.mark.anyio
@pytest.mark.parametrize("status", [200, 201, 299])
async def test_any_2xx_event_stream_passes(status: int) -> None:
    """Any 2xx text/event-stream answer is accepted and its body left unread."""
    resp, body = response(status, b"data: [DONE]\n\n", content_type="text/event-stream")
    await check_response(resp)
    assert body.read == 0
    assert not resp.is_closed
    await resp.aclose()


@pytest.mark.anyio
async def test_non_streaming_json_answer_is_handed_back_whole() -> None:
    """A 2xx JSON object that is no error comes back read whole: whether it is an answer is the kind's."""
    body = b'{"id": "c", "object": "chat.completion", "choices": []}'
    resp, _ = response(200, body, content_type="application/json")
    assert await check_response(resp) == body
    assert resp.is_closed


@pytest.mark.anyio
async def test_an_event_stream_is_not_read() -> None:
    """An event stream passes the check with nothing read: ``None``."""
    resp, _ = response(200, b'data: {"id":"c"}\n\n', content_type="text/event-stream")
    assert await check_response(resp) is None
    assert not resp.is_closed


@pytest.mark.anyio
async def test_json_that_is_no_object_is_an_unexpected_content_type() -> None:
    """A JSON list (or other non-object) in a 2xx answer gets a clear content-type error."""
    resp, _ = response(200, b"[1, 2]", content_type="application/json")
    with pytest.raises(rs.UnexpectedContentTypeError) as caught:
        await check_response(resp)
    assert caught.value.content_type == "application/json"
    assert caught.value.body_start == "[1, 2]"


@pytest.mark.anyio
async def test_json_with_a_null_error_is_not_a_stream_api_error() -> None:
    """`{"error": null}` in a 200 JSON body is no server error: it comes back for the kind to judge."""
    resp, _ = response(200, b'{"error": null}', content_type="application/json")
    assert await check_response(resp) == b'{"error": null}'


@pytest.mark.anyio
async def test_200_json_error_is_a_stream_api_error() -> None:
    """A 200 JSON `{"error": "..."}` body raises StreamAPIError with that message."""
    resp, _ = response(200, b'{"error": "no such model"}', content_type="application/json")
    with pytest.raises(rs.StreamAPIError) as caught:
        await check_response(resp)
    assert caught.value.message == "no such model"
    assert resp.is_closed


@pytest.mark.anyio
async def test_unexpected_content_type_shows_only_the_start_of_a_long_body() -> None:
    """The error shows the first 200 characters of the body, decoded leniently."""
    resp, _ = response(200, b"\xff" + b"a" * 5000, content_type="text/plain")
    with pytest.raises(rs.UnexpectedContentTypeError) as caught:
        await check_response(resp)
    assert caught.value.body_start == "\ufffd" + "a" * 199
    assert "text/plain" in str(caught.value)
