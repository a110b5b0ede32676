"""Anthropic Messages values: the message, its usage, its content blocks and their deltas.

Blocks and deltas are msgspec tagged unions on the JSON ``type``; each class declares a
readable ``type`` (a ``ClassVar``: a msgspec tag alone is no attribute), so both
``block.type == "text"`` and ``match block: case TextBlock(text=t)`` work. A block or delta
of a type this version does not know is kept whole as ``UnknownBlock`` / ``UnknownDelta``
(its ``data`` is the server's JSON object); unknown fields are skipped, and open-ended values
(``stop_reason``, ``role``, ``service_tier`` …) are plain strings, so a new value never fails.
"""

from __future__ import annotations

from typing import Any, ClassVar, Literal, TypeAlias

import msgspec

__all__ = [
    "BashCodeExecutionToolResultBlock",
    "CacheCreation",
    "CitationsDelta",
    "CodeExecutionToolResultBlock",
    "ContentBlock",
    "Delta",
    "InputJSONDelta",
    "Message",
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
    "Usage",
    "WebFetchToolResultBlock",
    "WebSearchToolResultBlock",
]

# The tag an unknown block or delta is given when the decoder rebuilds it (never a wire type).
UNKNOWN_TAG = "unknown"


class _Tagged(msgspec.Struct, kw_only=True, tag_field="type", repr_omit_defaults=True):
    """Blocks and deltas: tagged on ``type``."""


# --- content blocks --------------------------------------------------------------------


class TextBlock(_Tagged, tag="text"):
    """Text the model wrote; ``citations`` are the sources it cites (each kept as sent)."""

    type: ClassVar[Literal["text"]] = "text"
    text: str = ""
    citations: list[dict[str, Any]] | None = None


class ThinkingBlock(_Tagged, tag="thinking"):
    """Extended thinking; ``signature`` lets the block be sent back on the next turn."""

    type: ClassVar[Literal["thinking"]] = "thinking"
    thinking: str = ""
    signature: str = ""


class RedactedThinkingBlock(_Tagged, tag="redacted_thinking"):
    """Thinking the server encrypted: ``data`` is sent back as it is."""

    type: ClassVar[Literal["redacted_thinking"]] = "redacted_thinking"
    data: str = ""


class ToolUseBlock(_Tagged, tag="tool_use"):
    """A call of one of the request's tools.

    ``partial_json`` is the raw JSON of the input as it streamed (the ``input_json_delta``
    pieces joined); ``input`` is its parse — or, for JSON the stream cut short (a
    ``max_tokens`` stop), the parse of as much as arrived (jiter's partial mode).
    """

    type: ClassVar[Literal["tool_use"]] = "tool_use"
    id: str = ""
    name: str = ""
    input: Any = msgspec.field(default_factory=dict)
    partial_json: str = ""


class ServerToolUseBlock(_Tagged, tag="server_tool_use"):
    """A call of a tool the server runs itself (web search, code execution …), as ``ToolUseBlock``."""

    type: ClassVar[Literal["server_tool_use"]] = "server_tool_use"
    id: str = ""
    name: str = ""
    input: Any = msgspec.field(default_factory=dict)
    partial_json: str = ""


class _ToolResult(_Tagged):
    tool_use_id: str = ""
    content: Any = None


class WebSearchToolResultBlock(_ToolResult, tag="web_search_tool_result"):
    """The results of a server-run web search (``content`` as the server sent it)."""

    type: ClassVar[Literal["web_search_tool_result"]] = "web_search_tool_result"


class WebFetchToolResultBlock(_ToolResult, tag="web_fetch_tool_result"):
    """The page a server-run web fetch read (``content`` as the server sent it)."""

    type: ClassVar[Literal["web_fetch_tool_result"]] = "web_fetch_tool_result"


class CodeExecutionToolResultBlock(_ToolResult, tag="code_execution_tool_result"):
    """The output of server-run code (``content`` as the server sent it)."""

    type: ClassVar[Literal["code_execution_tool_result"]] = "code_execution_tool_result"


class BashCodeExecutionToolResultBlock(_ToolResult, tag="bash_code_execution_tool_result"):
    """The output of a server-run shell command (``content`` as the server sent it)."""

    type: ClassVar[Literal["bash_code_execution_tool_result"]] = "bash_code_execution_tool_result"


class TextEditorCodeExecutionToolResultBlock(_ToolResult, tag="text_editor_code_execution_tool_result"):
    """The result of a server-run file edit (``content`` as the server sent it)."""

    type: ClassVar[Literal["text_editor_code_execution_tool_result"]] = (
        "text_editor_code_execution_tool_result"
    )


class UnknownBlock(_Tagged, tag=UNKNOWN_TAG):
    """A block of a type this version does not know: ``data`` is the block as the server sent it."""

    data: dict[str, Any] = msgspec.field(default_factory=dict)

    @property
    def type(self) -> str:
        """The block's ``type`` on the wire."""
        return str(self.data.get("type", ""))


ContentBlock: TypeAlias = (
    TextBlock
    | ThinkingBlock
    | RedactedThinkingBlock
    | ToolUseBlock
    | ServerToolUseBlock
    | WebSearchToolResultBlock
    | WebFetchToolResultBlock
    | CodeExecutionToolResultBlock
    | BashCodeExecutionToolResultBlock
    | TextEditorCodeExecutionToolResultBlock
    | UnknownBlock
)
"""One block of a message's ``content``."""

CONTENT_BLOCK_TYPES = frozenset(
    block.type
    for block in (
        TextBlock,
        ThinkingBlock,
        RedactedThinkingBlock,
        ToolUseBlock,
        ServerToolUseBlock,
        WebSearchToolResultBlock,
        WebFetchToolResultBlock,
        CodeExecutionToolResultBlock,
        BashCodeExecutionToolResultBlock,
        TextEditorCodeExecutionToolResultBlock,
    )
)

# --- deltas --------------------------------------------------------------------------


class _Delta(_Tagged, gc=False):
    """Deltas hold strings only: no cycles, so the garbage collector need not track them."""


class TextDelta(_Delta, tag="text_delta"):
    """More text for a ``text`` block."""

    type: ClassVar[Literal["text_delta"]] = "text_delta"
    text: str = ""


class InputJSONDelta(_Delta, tag="input_json_delta"):
    """More of a tool call's input JSON (a piece of it, not valid JSON on its own)."""

    type: ClassVar[Literal["input_json_delta"]] = "input_json_delta"
    partial_json: str = ""


class ThinkingDelta(_Delta, tag="thinking_delta"):
    """More text for a ``thinking`` block."""

    type: ClassVar[Literal["thinking_delta"]] = "thinking_delta"
    thinking: str = ""


class SignatureDelta(_Delta, tag="signature_delta"):
    """A ``thinking`` block's signature (it replaces the one the block had)."""

    type: ClassVar[Literal["signature_delta"]] = "signature_delta"
    signature: str = ""


class CitationsDelta(_Tagged, tag="citations_delta"):
    """One more citation for a ``text`` block (kept as the server sent it)."""

    type: ClassVar[Literal["citations_delta"]] = "citations_delta"
    citation: dict[str, Any] = msgspec.field(default_factory=dict)


class UnknownDelta(_Tagged, tag=UNKNOWN_TAG):
    """A delta of a type this version does not know: ``data`` is the delta as the server sent it."""

    data: dict[str, Any] = msgspec.field(default_factory=dict)

    @property
    def type(self) -> str:
        """The delta's ``type`` on the wire."""
        return str(self.data.get("type", ""))


Delta: TypeAlias = TextDelta | InputJSONDelta | ThinkingDelta | SignatureDelta | CitationsDelta | UnknownDelta
"""What a ``content_block_delta`` adds to its block."""

DELTA_TYPES = frozenset(
    delta.type for delta in (TextDelta, InputJSONDelta, ThinkingDelta, SignatureDelta, CitationsDelta)
)

# --- the message ------------------------------------------------------------------------


class CacheCreation(msgspec.Struct, kw_only=True, repr_omit_defaults=True, omit_defaults=True):
    """Input tokens written to the prompt cache, by how long they stay."""

    ephemeral_5m_input_tokens: int | None = None
    ephemeral_1h_input_tokens: int | None = None


class ServerToolUsage(msgspec.Struct, kw_only=True, repr_omit_defaults=True, omit_defaults=True):
    """How many times the server ran its own tools."""

    web_search_requests: int | None = None
    web_fetch_requests: int | None = None


class Usage(msgspec.Struct, kw_only=True, repr_omit_defaults=True, omit_defaults=True):
    """Token usage, as ``message_start`` reports it and each ``message_delta`` updates it.

    A field is ``None`` when no event of the stream reported it.
    """

    input_tokens: int | None = None
    output_tokens: int | None = None
    cache_creation_input_tokens: int | None = None
    cache_read_input_tokens: int | None = None
    cache_creation: CacheCreation | None = None
    server_tool_use: ServerToolUsage | None = None
    service_tier: str | None = None
    inference_geo: str | None = None


class Message(msgspec.Struct, kw_only=True, repr_omit_defaults=True):
    """One assistant message: what ``message_start`` announces, rebuilt from every event after it.

    A stream without ``message_start`` (the r9s gateway's form from a chat upstream) leaves
    ``id`` and ``model`` empty and ``usage`` ``None`` unless a ``message_delta`` reports it.
    """

    id: str = ""
    type: str = "message"
    role: str = "assistant"
    model: str = ""
    content: list[ContentBlock] = msgspec.field(default_factory=list)
    stop_reason: str | None = None
    stop_sequence: str | None = None
    usage: Usage | None = None

    @property
    def text(self) -> str:
        """The text of every ``text`` block, joined (thinking and tool calls left out)."""
        return "".join(block.text for block in self.content if type(block) is TextBlock)
