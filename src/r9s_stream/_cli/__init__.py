"""The ``r9s-stream`` command."""

from ._main import main

__all__ = ["main"]
