"""The client: ``AsyncClient`` and what its endpoints share (``_core``)."""

from ._client import DEFAULT_BASE_URL, AsyncClient

__all__ = ["DEFAULT_BASE_URL", "AsyncClient"]
