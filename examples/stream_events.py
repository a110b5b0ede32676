"""Stream events: reasoning and content as they come, each tool call the moment it is complete.

R9S_MODEL=parallel-tool-calls R9S_BASE_URL=http://127.0.0.1:8000/v1 python examples/stream_events.py
"""

from __future__ import annotations

import asyncio
import os

import r9s_stream as rs


async def main() -> None:
    model = os.environ.get("R9S_MODEL", "parallel-tool-calls")
    messages = [{"role": "user", "content": "What is the weather in Paris?"}]
    tools = [{"type": "function", "function": {"name": "get_weather", "parameters": {"type": "object"}}}]
    async with (
        rs.AsyncClient() as client,
        client.stream(model=model, messages=messages, tools=tools) as stream,
    ):
        async for event in stream.events():
            match event:
                case rs.ReasoningDone(reasoning=text):
                    print(f"thought: {text}")
                case rs.ContentDone(content=text):
                    print(f"said: {text}")
                case rs.ToolCallStart(index=index, name=name):
                    print(f"call {index} started: {name}")
                case rs.ToolCallDone(index=index, tool_call=call):
                    # Complete now: a tool could run while the model still streams the next call.
                    print(f"call {index} complete: {call.function.name}({call.function.arguments})")
                case rs.ChoiceDone(finish_reason=reason):
                    print(f"finish_reason: {reason}")
                case rs.UsageReceived(usage=usage):
                    print(f"completion tokens: {usage.completion_tokens}")


if __name__ == "__main__":
    asyncio.run(main())
