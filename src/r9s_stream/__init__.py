"""r9s_stream: fast, correct async streaming of chat, Responses, Anthropic Messages and Completions."""

from . import completions as completions  # the module: rs.completions.Completion …
from . import messages as messages  # the public module rs.messages
from . import responses as responses  # the public module rs.responses
from ._batch._job import BatchProgress
from ._batch._limits import Limiter, LocalLimiter
from ._batch._requests import BatchRequest
from ._batch._results import BatchResult, BatchStats
from ._batch._run import BatchRun
from ._batch._summary import BatchSummary
from ._chat._accumulator import ChatCompletionAccumulator
from ._chat._decoder import ChunkDecoder
from ._chat._events import (
    ChoiceDone,
    ContentDelta,
    ContentDone,
    LogprobsDelta,
    LogprobsDone,
    ReasoningDelta,
    ReasoningDone,
    RefusalDelta,
    RefusalDone,
    StreamEvent,
    ToolCallArgumentsDelta,
    ToolCallDone,
    ToolCallStart,
    UsageReceived,
)
from ._chat._models import (
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
from ._client import AsyncClient
from ._connect._chat import aconnect_chat_stream
from ._connect._completions import aconnect_completion_stream
from ._connect._messages import aconnect_message_stream
from ._connect._responses import aconnect_response_stream
from ._exceptions import (
    APIStatusError,
    BatchInputError,
    ContentFilterFinishReasonError,
    EventTooLargeError,
    IncompleteStreamError,
    LengthFinishReasonError,
    OutputValidationError,
    R9sStreamError,
    StreamAPIError,
    StreamDecodeError,
    StreamError,
    StreamTimeoutError,
    UnexpectedContentTypeError,
)
from ._output._schema import response_format, tool
from ._output._spec import OutputSpec
from ._sse._framing import DEFAULT_MAX_EVENT_SIZE
from ._streaming._chat_connection import ChatStreamConnection
from ._streaming._chat_stream import ChatCompletionStream
from ._streaming._completion_stream import CompletionStream
from ._streaming._message_connection import MessageStreamConnection
from ._streaming._message_stream import MessageStream
from ._streaming._response_connection import ResponseStreamConnection
from ._streaming._response_stream import ResponseStream
from ._streaming._stats import StreamStats
from ._streaming._text_deltas import TextDeltas
from ._version import __version__

__all__ = [
    "DEFAULT_MAX_EVENT_SIZE",
    "APIStatusError",
    "AsyncClient",
    "BatchInputError",
    "BatchProgress",
    "BatchRequest",
    "BatchResult",
    "BatchRun",
    "BatchStats",
    "BatchSummary",
    "ChatCompletion",
    "ChatCompletionAccumulator",
    "ChatCompletionChoice",
    "ChatCompletionMessage",
    "ChatCompletionStream",
    "ChatCompletionStreamChoice",
    "ChatCompletionStreamDelta",
    "ChatCompletionStreamEvent",
    "ChatStreamConnection",
    "ChoiceDone",
    "ChoiceLogprobs",
    "ChunkDecoder",
    "CompletionStream",
    "CompletionTokensDetails",
    "ContentDelta",
    "ContentDone",
    "ContentFilterFinishReasonError",
    "EventTooLargeError",
    "FunctionCall",
    "FunctionDelta",
    "IncompleteStreamError",
    "LengthFinishReasonError",
    "Limiter",
    "LocalLimiter",
    "LogprobsDelta",
    "LogprobsDone",
    "MessageStream",
    "MessageStreamConnection",
    "OutputSpec",
    "OutputValidationError",
    "PromptTokensDetails",
    "R9sStreamError",
    "ReasoningDelta",
    "ReasoningDone",
    "RefusalDelta",
    "RefusalDone",
    "ResponseStream",
    "ResponseStreamConnection",
    "StreamAPIError",
    "StreamDecodeError",
    "StreamError",
    "StreamEvent",
    "StreamStats",
    "StreamTimeoutError",
    "TextDeltas",
    "TokenLogprob",
    "ToolCall",
    "ToolCallArgumentsDelta",
    "ToolCallDelta",
    "ToolCallDone",
    "ToolCallStart",
    "TopLogprob",
    "UnexpectedContentTypeError",
    "Usage",
    "UsageReceived",
    "__version__",
    "aconnect_chat_stream",
    "aconnect_completion_stream",
    "aconnect_message_stream",
    "aconnect_response_stream",
    "response_format",
    "tool",
]
