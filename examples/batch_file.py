"""Run a file of OpenAI Batch requests into a results file with ``client.batch_file()``, then read it.

    R9S_BASE_URL=http://127.0.0.1:8000/v1 python examples/batch_file.py

(``r9s-stream serve`` runs a local server at that address.) The same job from the shell:
``r9s-stream batch requests.jsonl --output results.jsonl``; running it again resumes it.
"""

from __future__ import annotations

import asyncio
import json
import os
import tempfile
from pathlib import Path

import r9s_stream as rs

QUESTIONS = ["What is streaming?", "Why resume a batch?", "How fast is it?"]


async def main() -> None:
    base_url = os.environ.get("R9S_BASE_URL", "http://127.0.0.1:8000/v1")
    model = os.environ.get("R9S_MODEL", "echo")
    folder = Path(tempfile.mkdtemp())
    requests, results = folder / "requests.jsonl", folder / "results.jsonl"
    with requests.open("w") as file:
        for i, question in enumerate(QUESTIONS):
            body = {"model": model, "messages": [{"role": "user", "content": question}]}
            file.write(
                json.dumps(
                    {"custom_id": f"q{i}", "method": "POST", "url": "/v1/chat/completions", "body": body}
                )
                + "\n"
            )

    async with rs.AsyncClient(base_url=base_url) as client:
        summary = await client.batch_file(requests, results, concurrency=8, rpm=600, ordered=True)
    print(f"{summary.succeeded} succeeded, {summary.failed} failed")

    for line in results.read_text().splitlines():  # OpenAI's Batch output format, plus "stats"
        result = json.loads(line)
        if result["error"] is None:
            answer = result["response"]["body"]["choices"][0]["message"]["content"]
            print(f"{result['custom_id']}: {answer}  (ttft {result['stats']['time_to_first_token']:.3f}s)")
        else:
            print(f"{result['custom_id']}: failed: {result['error']['message']}")


if __name__ == "__main__":
    asyncio.run(main())
