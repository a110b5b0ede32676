"""Stream an answer from the Responses API (``POST /v1/responses``): ``client.responses``.

    R9S_BASE_URL=http://127.0.0.1:8000/v1 python examples/responses_stream.py "What is 2 + 2?"

(``r9s-stream serve`` runs a local server at that address; any Responses-compatible URL works,
with ``R9S_API_KEY`` and ``R9S_MODEL`` set for it.) Events are typed (``rs.responses.*``) and
``match`` on their classes; a broken stream still gives the response that arrived: every
``rs.StreamError`` carries it as ``partial``.
"""

from __future__ import annotations

import asyncio
import os
import sys

import r9s_stream as rs
from r9s_stream.responses import ResponseReasoningSummaryTextDeltaEvent, ResponseTextDeltaEvent


async def main(question: str) -> None:
    model = os.environ.get("R9S_MODEL", "reasoning")
    async with rs.AsyncClient(base_url=os.environ.get("R9S_BASE_URL", "http://127.0.0.1:8000/v1")) as client:
        try:
            async with client.responses.stream(model=model, input=question) as stream:
                section = ""
                async for event in stream:
                    match event:
                        case ResponseReasoningSummaryTextDeltaEvent(delta=thought):
                            if section != "thinking":
                                section = "thinking"
                                print("thinking:", end=" ")
                            print(thought, end="", flush=True)
                        case ResponseTextDeltaEvent(delta=text):
                            if section == "thinking":
                                print()
                            section = "answer"
                            print(text, end="", flush=True)
                response = await stream.until_done()  # rs.responses.Response
        except rs.StreamError as error:
            print(f"\nstream failed ({type(error).__name__}: {error}); kept: {error.partial.output_text!r}")
            return
        print()
        usage = response.usage
        tokens = f"{usage.input_tokens} input + {usage.output_tokens} output" if usage else "no usage"
        print(f"status={response.status} · {tokens} tokens")


if __name__ == "__main__":
    asyncio.run(main(" ".join(sys.argv[1:]) or "What is 2 + 2?"))
