"""Tool calls: their arguments stream in fragments; the rebuilt completion has them whole.

R9S_MODEL=tool-call R9S_BASE_URL=http://127.0.0.1:8000/v1 python examples/tool_calls.py
"""

from __future__ import annotations

import asyncio
import json
import os
from typing import Any

import r9s_stream as rs

TOOLS: list[dict[str, Any]] = [
    {
        "type": "function",
        "function": {
            "name": "get_weather",
            "description": "The current weather in a city.",
            "parameters": {
                "type": "object",
                "properties": {"city": {"type": "string"}},
                "required": ["city"],
            },
        },
    }
]


async def main() -> None:
    async with rs.AsyncClient() as client:
        completion = await client.complete(
            model=os.environ.get("R9S_MODEL", "tool-call"),
            messages=[{"role": "user", "content": "What is the weather in Paris?"}],
            tools=TOOLS,
        )
    choice = completion.choices[0]
    print(f"finish_reason: {choice.finish_reason}")
    for call in choice.message.tool_calls or []:
        arguments = json.loads(call.function.arguments)  # complete JSON once the stream is done
        print(f"{call.id}: {call.function.name}({arguments})")


if __name__ == "__main__":
    asyncio.run(main())
