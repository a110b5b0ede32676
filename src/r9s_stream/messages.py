"""The Anthropic Messages kind (``POST /v1/messages``): its wire events and the rebuilt ``Message``.

```python
import r9s_stream as rs

async with client.messages.stream(model="claude-x", max_tokens=512, messages=msgs) as stream:
    async for event in stream:
        match event:
            case rs.messages.ContentBlockDeltaEvent(delta=rs.messages.TextDelta(text=text)):
                print(text, end="")
    message = await stream.until_done()   # rs.messages.Message
```

Events are a msgspec tagged union on the JSON ``type`` (``MessageStreamEvent``); each class
has a readable ``type`` equal to the wire's. Unknown events come as ``UnknownEvent``, unknown
content blocks and deltas as ``UnknownBlock`` / ``UnknownDelta`` (the server's JSON kept).
"""

from ._connect._messages import aconnect_message_stream
from ._messages._decoder import MessageDecoder
from ._messages._events import (
    ContentBlockDeltaEvent,
    ContentBlockStartEvent,
    ContentBlockStopEvent,
    ErrorDetail,
    ErrorEvent,
    MessageDelta,
    MessageDeltaEvent,
    MessageStartEvent,
    MessageStopEvent,
    MessageStreamEvent,
    PingEvent,
    UnknownEvent,
)
from ._messages._fold import MessageFold
from ._messages._models import (
    BashCodeExecutionToolResultBlock,
    CacheCreation,
    CitationsDelta,
    CodeExecutionToolResultBlock,
    ContentBlock,
    Delta,
    InputJSONDelta,
    Message,
    RedactedThinkingBlock,
    ServerToolUsage,
    ServerToolUseBlock,
    SignatureDelta,
    TextBlock,
    TextDelta,
    TextEditorCodeExecutionToolResultBlock,
    ThinkingBlock,
    ThinkingDelta,
    ToolUseBlock,
    UnknownBlock,
    UnknownDelta,
    Usage,
    WebFetchToolResultBlock,
    WebSearchToolResultBlock,
)
from ._streaming._message_connection import MessageStreamConnection
from ._streaming._message_stream import MessageStream

__all__ = [
    "BashCodeExecutionToolResultBlock",
    "CacheCreation",
    "CitationsDelta",
    "CodeExecutionToolResultBlock",
    "ContentBlock",
    "ContentBlockDeltaEvent",
    "ContentBlockStartEvent",
    "ContentBlockStopEvent",
    "Delta",
    "ErrorDetail",
    "ErrorEvent",
    "InputJSONDelta",
    "Message",
    "MessageDecoder",
    "MessageDelta",
    "MessageDeltaEvent",
    "MessageFold",
    "MessageStartEvent",
    "MessageStopEvent",
    "MessageStream",
    "MessageStreamConnection",
    "MessageStreamEvent",
    "PingEvent",
    "RedactedThinkingBlock",
    "ServerToolUsage",
    "ServerToolUseBlock",
    "SignatureDelta",
    "TextBlock",
    "TextDelta",
    "TextEditorCodeExecutionToolResultBlock",
    "ThinkingBlock",
    "ThinkingDelta",
    "ToolUseBlock",
    "UnknownBlock",
    "UnknownDelta",
    "UnknownEvent",
    "Usage",
    "WebFetchToolResultBlock",
    "WebSearchToolResultBlock",
    "aconnect_message_stream",
]
