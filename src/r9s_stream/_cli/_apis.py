"""The wire kinds ``r9s-stream`` speaks, by name: ``chat --api NAME`` and ``replay`` look them up here.

A kind joins by implementing ``_api.Api`` in its own module and adding one entry below;
``--api`` offers exactly these names, and ``replay`` rebuilds a recording of any of them.
"""

from __future__ import annotations

from ._api import Api
from ._chat_api import ChatApi
from ._completions_api import CompletionsApi
from ._kinds import Kind
from ._messages_api import MessagesApi
from ._responses_api import ResponsesApi

__all__ = ["APIS", "DEFAULT_API"]

DEFAULT_API: Kind = "chat"

APIS: dict[Kind, Api] = {
    "chat": ChatApi(),
    "messages": MessagesApi(),
    "completions": CompletionsApi(),
    "responses": ResponsesApi(),
}
