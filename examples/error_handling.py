"""Errors, and the partial completion every mid-stream error carries.

    R9S_MODEL=fault-disconnect R9S_BASE_URL=http://127.0.0.1:8000/v1 python examples/error_handling.py

(Against ``r9s-stream serve``, the ``fault-*`` and ``status-NNN`` models fail on purpose.)
"""

from __future__ import annotations

import asyncio
import os
import sys

import httpx

import r9s_stream as rs


async def main() -> int:
    model = os.environ.get("R9S_MODEL", "fault-disconnect")
    messages = [{"role": "user", "content": "one two three four five six"}]
    async with rs.AsyncClient(max_retries=1, idle_timeout=5.0) as client:
        try:
            completion = await client.complete(model=model, messages=messages)
        except rs.APIStatusError as error:  # a non-2xx answer, after the retries
            print(f"the server said no: HTTP {error.status_code}: {error.message}")
            return 1
        except rs.StreamError as error:  # the stream started, then broke or timed out
            partial = error.completion
            text = partial.choices[0].message.content if partial and partial.choices else None
            print(f"{type(error).__name__}: {error}")
            print(f"received before the failure: {text!r}")
            return 1
        except httpx.TransportError as error:  # could not connect (after the retries)
            print(f"cannot reach the server: {error!r}")
            return 1
    print(f"complete: {completion.choices[0].message.content!r}")
    return 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
