"""``r9s_stream.testing`` in your own tests: a scripted stream served by a MockTransport.

    python examples/fake_stream_in_tests.py

No server, no network: the scenario's bytes are what a real endpoint would send, cut into
random pieces, and a fault shows how your code copes with a stream that breaks.
"""

from __future__ import annotations

import asyncio

import httpx

import r9s_stream as rs
from r9s_stream import testing

URL = "https://api.example.test/v1/chat/completions"


async def rebuild(transport: httpx.MockTransport) -> rs.ChatCompletion:
    async with (
        httpx.AsyncClient(transport=transport) as http,
        rs.aconnect_chat_stream(http, "POST", URL, json={"model": "m", "messages": []}) as stream,
    ):
        return await stream.until_done()


async def main() -> None:
    scenario = testing.ChatScenario(
        reasoning="The user wants the weather.",
        text="Checking the weather in Paris.",
        tool_calls=[testing.ScriptedToolCall("get_weather", {"city": "Paris"})],
    )
    completion = await rebuild(scenario.transport(seed=1))
    assert completion == scenario.completion()
    message = completion.choices[0].message
    print(f"content: {message.content!r}")
    print(f"tool calls: {[call.function.name for call in message.tool_calls or []]}")
    print(f"usage: {completion.usage}")

    broken = scenario.replace(fault=testing.Disconnect(after=4))
    try:
        await rebuild(broken.transport())
    except rs.IncompleteStreamError as error:
        kept = error.completion.choices[0].message if error.completion else None
        print(f"broken stream kept: {kept.reasoning_content if kept else None!r}")


if __name__ == "__main__":
    asyncio.run(main())
