"""Scripted streams: scenarios, faults and the transports that play them.

The one place both ``r9s_stream.testing`` (which re-exports it) and the embedded server
(``_server``) take them from, so the dependency runs one way: ``testing`` → ``_server`` →
``_scripted``, and ``testing`` → ``_scripted``; nothing here imports either of them.
"""

from ._faults import Disconnect, Fault, Malformed, MidStreamError, Pause, Stall, Step, Truncate
from ._scenario import ChatScenario, ScriptedToolCall, split_tokens
from ._transport import StepsStream, load_sse, split_pieces, sse_transport, steps_transport

__all__ = [
    "ChatScenario",
    "Disconnect",
    "Fault",
    "Malformed",
    "MidStreamError",
    "Pause",
    "ScriptedToolCall",
    "Stall",
    "Step",
    "StepsStream",
    "Truncate",
    "load_sse",
    "split_pieces",
    "split_tokens",
    "sse_transport",
    "steps_transport",
]
