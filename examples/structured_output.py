"""Structured output: answers and tool arguments parsed into your own msgspec Structs.

    python examples/structured_output.py                      # against R9S_BASE_URL
    R9S_MODEL=gpt-4o R9S_TOOL_MODEL=gpt-4o python examples/structured_output.py

With the embedded server (``r9s-stream serve``) the models ``structured-output`` and
``schema-tool-calls`` answer from the schemas the request carries, so this runs offline.
"""

from __future__ import annotations

import asyncio
import os
from typing import Literal

import anyio
import msgspec

import r9s_stream as rs


class Location(msgspec.Struct):
    city: str
    temperature: float
    units: Literal["c", "f"]


class GetWeather(msgspec.Struct):
    """Get the current weather for a city."""

    city: str
    country: str | None = None


MESSAGES = [{"role": "user", "content": "What is the weather in Paris?"}]


async def run_tool(arguments: GetWeather) -> None:
    print(f"tool call: GetWeather -> {arguments!r}")


async def main() -> None:
    model = os.environ.get("R9S_MODEL", "structured-output")
    tool_model = os.environ.get("R9S_TOOL_MODEL", "schema-tool-calls")
    async with rs.AsyncClient() as client:
        # response_format=Location sends a strict JSON schema and parses the answer into it.
        async with client.stream(model=model, messages=MESSAGES, response_format=Location) as stream:
            async for event in stream.events():
                match event:
                    case rs.ContentDelta(delta=text):
                        print(text, end="", flush=True)  # the JSON streams in pieces
                    case rs.ContentDone(parsed=location):  # a Location
                        print(f"\nparsed: {location!r}")
        # The same value is stream.completion.choices[0].message.parsed (typed Location | None).

        # tools=[GetWeather]: each call is handed out as soon as it is complete, parsed.
        async with (
            client.stream(model=tool_model, messages=MESSAGES, tools=[GetWeather]) as tool_stream,
            anyio.create_task_group() as tasks,
        ):
            async for call in tool_stream.tool_calls():
                tasks.start_soon(run_tool, call.parsed)

        # Cut off by max_tokens, the JSON cannot be parsed: a typed error, with what came.
        try:
            await client.complete(model=model, messages=MESSAGES, response_format=Location, max_tokens=2)
        except rs.LengthFinishReasonError as error:
            received = error.completion  # everything that arrived
            if received is not None:
                print(f"cut off: {received.choices[0].message.content!r}")


if __name__ == "__main__":
    asyncio.run(main())
