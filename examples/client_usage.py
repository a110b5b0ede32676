"""``rs.AsyncClient``: stream a reply, then read the token usage and the timing stats.

    R9S_API_KEY=... python examples/client_usage.py "Explain SSE in one sentence"

The key and base URL come from ``R9S_API_KEY`` / ``R9S_BASE_URL`` (default: the r9s gateway).
"""

from __future__ import annotations

import asyncio
import os
import sys

import r9s_stream as rs


async def main(prompt: str) -> None:
    async with rs.AsyncClient() as client:
        messages = [{"role": "user", "content": prompt}]
        async with client.stream(model=os.environ.get("R9S_MODEL", "echo"), messages=messages) as stream:
            async for event in stream:
                for choice in event.choices:
                    if choice.delta is not None and choice.delta.content:
                        print(choice.delta.content, end="", flush=True)
        print()

        usage = stream.usage  # from the stream's final usage chunk
        if usage is not None:
            print(f"usage: {usage.prompt_tokens} prompt + {usage.completion_tokens} completion tokens")
        stats = stream.stats
        if stats.time_to_first_token is not None:
            print(f"time to first token: {stats.time_to_first_token * 1000:.0f} ms")
        print(f"chunks: {stats.chunks}")

        # Or in one call: stream to the end and get the whole ChatCompletion.
        completion = await client.complete(model=os.environ.get("R9S_MODEL", "echo"), messages=messages)
        print(f"complete(): {completion.choices[0].message.content!r}")


if __name__ == "__main__":
    asyncio.run(main(" ".join(sys.argv[1:]) or "Say hello in five words"))
