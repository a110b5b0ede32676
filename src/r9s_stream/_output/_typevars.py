"""The type variable of parsed output: what ``response_format=`` / ``text_format=`` decode into."""

from __future__ import annotations

import typing
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    # PEP 696 defaults (typing only from 3.13): a bare ``ChatCompletion`` is ``ChatCompletion[Any]``.
    from typing_extensions import TypeVar

    ResponseFormatT = TypeVar("ResponseFormatT", default=Any)
else:
    ResponseFormatT = typing.TypeVar("ResponseFormatT")

__all__ = ["ResponseFormatT"]
