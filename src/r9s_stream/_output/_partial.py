"""Partial JSON: the value a JSON text that is still streaming describes so far (jiter)."""

from __future__ import annotations

from typing import Any

import jiter

__all__ = ["partial_json"]


def partial_json(text: str) -> Any | None:
    """The value of ``text`` with its unfinished tail completed, or ``None`` if nothing parses yet."""
    if not text.strip():
        return None
    try:
        # Unfinished strings are left out, as openai-python's helper does.
        return jiter.from_json(text.encode(), partial_mode=True)
    except ValueError:
        return None
