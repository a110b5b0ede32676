"""The legacy Completions kind (``POST /v1/completions``): its chunks, the rebuilt ``Completion``, its stream.

```python
import r9s_stream as rs

async with rs.AsyncClient() as client:
    async with client.completions.stream(model="m", prompt="Once") as stream:
        async for chunk in stream:                  # rs.completions.CompletionChunk
            print(chunk.choices[0].text if chunk.choices else "", end="")
        completion = await stream.until_done()      # rs.completions.Completion
    print(completion.text, completion.usage)
```
``CompletionDecoder`` and ``CompletionFold`` are the pure parts (bytes → chunks → the
``Completion``), usable without an event loop.
"""

from ._completions._decoder import CompletionDecoder
from ._completions._fold import CompletionFold
from ._completions._models import (
    Completion,
    CompletionChoice,
    CompletionChunk,
    CompletionLogprobs,
    CompletionTokensDetails,
    CompletionUsage,
    PromptTokensDetails,
)
from ._connect._completions import aconnect_completion_stream
from ._streaming._completion_stream import CompletionStream, CompletionStreamConnection

__all__ = [
    "Completion",
    "CompletionChoice",
    "CompletionChunk",
    "CompletionDecoder",
    "CompletionFold",
    "CompletionLogprobs",
    "CompletionStream",
    "CompletionStreamConnection",
    "CompletionTokensDetails",
    "CompletionUsage",
    "PromptTokensDetails",
    "aconnect_completion_stream",
]
