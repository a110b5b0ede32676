"""Stream an Anthropic Messages answer: ``client.messages.stream`` and ``rs.messages`` events.

    R9S_BASE_URL=http://127.0.0.1:8000/v1 R9S_MODEL=reasoning python examples/messages_stream.py "Hello there"

(``r9s-stream serve`` runs a local server at that address with ``POST /v1/messages``; the r9s
gateway and any Anthropic-compatible endpoint work too, with ``R9S_API_KEY`` and ``R9S_MODEL``
set for them.) Thinking is printed in brackets, the text as it arrives, then the stop reason
and usage; an error mid-stream still shows the text that had arrived.
"""

from __future__ import annotations

import asyncio
import os
import sys

import r9s_stream as rs
from r9s_stream import messages


async def main(prompt: str) -> int:
    model = os.environ.get("R9S_MODEL", "echo")
    async with rs.AsyncClient() as client:  # R9S_API_KEY, R9S_BASE_URL
        try:
            async with client.messages.stream(
                model=model, max_tokens=1024, messages=[{"role": "user", "content": prompt}]
            ) as stream:
                async for event in stream:
                    match event:
                        case messages.ContentBlockStartEvent(content_block=messages.ThinkingBlock()):
                            print("[", end="")
                        case messages.ContentBlockDeltaEvent(delta=messages.ThinkingDelta(thinking=text)):
                            print(text, end="", flush=True)
                        case messages.ContentBlockDeltaEvent(delta=messages.TextDelta(text=text)):
                            print(text, end="", flush=True)
                        case messages.ContentBlockStopEvent(index=index):
                            block = stream.snapshot.content[index]
                            if isinstance(block, messages.ThinkingBlock):
                                print("] ", end="")
                            elif isinstance(block, messages.ToolUseBlock):
                                print(f"tool call {block.name}({block.input})", end="")
                message = await stream.until_done()
        except rs.StreamError as error:
            print(f"\nstream failed ({type(error).__name__}: {error}); kept: {error.partial.text!r}")
            return 1
    print()
    usage = message.usage
    tokens = "no usage" if usage is None else f"{usage.input_tokens} in, {usage.output_tokens} out"
    print(f"stop_reason={message.stop_reason} ({tokens})")
    return 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main(" ".join(sys.argv[1:]) or "Hello from the Messages example")))
