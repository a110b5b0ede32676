"""The client: ``AsyncClient`` and what its endpoints share (``_core``)."""

from ._client import DEFAULT_BASE_URL, GATEWAY_DOMAIN, AsyncClient

__all__ = ["DEFAULT_BASE_URL", "GATEWAY_DOMAIN", "AsyncClient"]
