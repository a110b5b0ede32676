"""r9s_stream: fast, correct async streaming of OpenAI-compatible chat completions."""

from ._accumulator import ChatCompletionAccumulator
from ._client import AsyncClient
from ._connect import ChatStreamConnection, aconnect_chat_stream
from ._decoder import DEFAULT_MAX_EVENT_SIZE, ChunkDecoder
from ._exceptions import (
    APIStatusError,
    EventTooLargeError,
    IncompleteStreamError,
    R9sStreamError,
    StreamAPIError,
    StreamDecodeError,
    StreamError,
    StreamTimeoutError,
    UnexpectedContentTypeError,
)
from ._models import (
    ChatCompletion,
    ChatCompletionChoice,
    ChatCompletionMessage,
    ChatCompletionStreamChoice,
    ChatCompletionStreamDelta,
    ChatCompletionStreamEvent,
    ChoiceLogprobs,
    CompletionTokensDetails,
    FunctionCall,
    FunctionDelta,
    PromptTokensDetails,
    TokenLogprob,
    ToolCall,
    ToolCallDelta,
    TopLogprob,
    Usage,
)
from ._stats import StreamStats
from ._stream import ChatCompletionStream, TextDeltas
from ._version import __version__

__all__ = [
    "DEFAULT_MAX_EVENT_SIZE",
    "APIStatusError",
    "AsyncClient",
    "ChatCompletion",
    "ChatCompletionAccumulator",
    "ChatCompletionChoice",
    "ChatCompletionMessage",
    "ChatCompletionStream",
    "ChatCompletionStreamChoice",
    "ChatCompletionStreamDelta",
    "ChatCompletionStreamEvent",
    "ChatStreamConnection",
    "ChoiceLogprobs",
    "ChunkDecoder",
    "CompletionTokensDetails",
    "EventTooLargeError",
    "FunctionCall",
    "FunctionDelta",
    "IncompleteStreamError",
    "PromptTokensDetails",
    "R9sStreamError",
    "StreamAPIError",
    "StreamDecodeError",
    "StreamError",
    "StreamStats",
    "StreamTimeoutError",
    "TextDeltas",
    "TokenLogprob",
    "ToolCall",
    "ToolCallDelta",
    "TopLogprob",
    "UnexpectedContentTypeError",
    "Usage",
    "__version__",
    "aconnect_chat_stream",
]
