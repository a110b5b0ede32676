"""The decoder and the accumulator on their own: rebuild a recorded stream, no network.

    python examples/replay_recording.py tests/fixtures/openai-python_parallel-tool-calls.sse

Both are plain synchronous classes: feed bytes in any pieces, get typed chunks, fold them in.
"""

from __future__ import annotations

import sys
from pathlib import Path

import r9s_stream as rs

DEFAULT = Path(__file__).parent.parent / "tests" / "fixtures" / "openai-python_parallel-tool-calls.sse"


def main(path: Path) -> int:
    body = path.read_bytes()
    decoder = rs.ChunkDecoder()
    accumulator = rs.ChatCompletionAccumulator()
    for start in range(0, len(body), 64):  # as if it came in 64-byte network reads
        accumulator.add_many(decoder.feed(body[start : start + 64]))
    accumulator.add_many(decoder.finish())

    completion = accumulator.completion
    for choice in completion.choices:
        message = choice.message
        print(f"choice {choice.index}: content={message.content!r} finish_reason={choice.finish_reason}")
        for call in message.tool_calls or []:
            print(f"  tool call {call.function.name}: {call.function.arguments}")
    print(f"usage: {completion.usage}")
    print(f"chunks: {accumulator.chunks}, ended with [DONE]: {decoder.done}")
    if decoder.error is not None:
        print(f"error: {decoder.error}")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(Path(sys.argv[1]) if len(sys.argv) > 1 else DEFAULT))
