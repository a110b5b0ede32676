"""Stream a legacy completion (``POST /v1/completions``): ``client.completions``.

    R9S_BASE_URL=http://127.0.0.1:8000/v1 python examples/completions_stream.py "Once upon a time"

(``r9s-stream serve`` runs a local server at that address; any OpenAI-compatible URL works,
with ``R9S_API_KEY`` and ``R9S_MODEL`` set for it.) A broken stream still gives the text that
arrived: every ``rs.StreamError`` carries it as ``partial``.
"""

from __future__ import annotations

import asyncio
import os
import sys

import r9s_stream as rs


async def main(prompt: str) -> None:
    model = os.environ.get("R9S_MODEL", "echo")
    async with rs.AsyncClient(base_url=os.environ.get("R9S_BASE_URL", "http://127.0.0.1:8000/v1")) as client:
        try:
            async with client.completions.stream(model=model, prompt=prompt, max_tokens=64) as stream:
                async for chunk in stream:  # rs.completions.CompletionChunk
                    for choice in chunk.choices:
                        print(choice.text, end="", flush=True)
                completion = await stream.until_done()  # rs.completions.Completion
        except rs.StreamError as error:
            print(f"\nstream failed ({type(error).__name__}: {error}); kept: {error.partial.text!r}")
            return
        print()
        usage = completion.usage
        tokens = (
            f"{usage.prompt_tokens} prompt + {usage.completion_tokens} completion" if usage else "no usage"
        )
        print(f"finish_reason={completion.choices[0].finish_reason} · {tokens} tokens")
        whole = await client.completions.complete(model=model, prompt=prompt)
        print(f"complete(): {whole.text!r}")


if __name__ == "__main__":
    asyncio.run(main(" ".join(sys.argv[1:]) or "Once upon a time"))
