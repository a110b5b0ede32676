"""Stream a chat completion with any httpx client: ``rs.aconnect_chat_stream``.

    R9S_BASE_URL=http://127.0.0.1:8000/v1 python examples/basic_stream.py "Hello there"

(``r9s-stream serve`` runs a local server at that address; any OpenAI-compatible URL works,
with ``R9S_API_KEY`` and ``R9S_MODEL`` set for it.)
"""

from __future__ import annotations

import asyncio
import os
import sys

import httpx

import r9s_stream as rs


async def main(prompt: str) -> None:
    base_url = os.environ.get("R9S_BASE_URL", "http://127.0.0.1:8000/v1")
    headers = {"Authorization": f"Bearer {os.environ.get('R9S_API_KEY', 'none')}"}
    body = {
        "model": os.environ.get("R9S_MODEL", "echo"),
        "messages": [{"role": "user", "content": prompt}],
        "stream": True,
    }
    async with (
        httpx.AsyncClient(timeout=60) as http,
        rs.aconnect_chat_stream(
            http, "POST", f"{base_url}/chat/completions", json=body, headers=headers
        ) as stream,
    ):
        async for text in stream.text_deltas():
            print(text, end="", flush=True)
    print()
    print(f"finish_reason={stream.completion.choices[0].finish_reason}")


if __name__ == "__main__":
    asyncio.run(main(" ".join(sys.argv[1:]) or "Say hello in five words"))
