"""The HTTP stacks the network suites run on, and a client of each.

``rs.AsyncClient`` sends through aiohttp on asyncio and through httpx's own transport on
trio; a caller may bring an httpx or an httpx2 client instead. A test marked
``on_every_stack`` runs once per (event loop, stack) pair — aiohttp is asyncio-only — and
builds its clients with ``http_client(stack)`` or ``rs_client(stack)``, so one test body
proves the behaviour on every stack.
"""

from __future__ import annotations

import importlib.util
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING, Any, Literal

import httpx
import pytest
from httpx_aiohttp import AiohttpTransport

import r9s_stream as rs

if TYPE_CHECKING:
    from typing import TypeAlias

    import httpx2

__all__ = ["STACK_PAIRS", "HTTPClient", "error_class", "http_client", "on_every_stack", "rs_client"]

HTTPClient: TypeAlias = "httpx.AsyncClient | httpx2.AsyncClient"

# httpx2 is a test-only peer: the lowest-versions pass runs without it, and skips its stacks.
_WITHOUT_HTTPX2 = pytest.mark.skipif(
    importlib.util.find_spec("httpx2") is None, reason="httpx2 not installed"
)

# (event loop, stack): "aiohttp" and "httpx" are httpx clients on that transport.
STACK_PAIRS = [
    pytest.param("asyncio", "aiohttp", id="asyncio-aiohttp"),
    pytest.param("asyncio", "httpx", id="asyncio-httpx"),
    pytest.param("asyncio", "httpx2", id="asyncio-httpx2", marks=_WITHOUT_HTTPX2),
    pytest.param("trio", "httpx", id="trio-httpx"),
    pytest.param("trio", "httpx2", id="trio-httpx2", marks=_WITHOUT_HTTPX2),
]
on_every_stack = pytest.mark.parametrize(("anyio_backend", "stack"), STACK_PAIRS)


def http_client(
    stack: str, *, max_connections: int | None = None, timeout: float = 10.0, **options: Any
) -> HTTPClient:
    """A caller's own client on ``stack``, with at most ``max_connections`` (``None``: no cap)."""
    if stack == "httpx2":
        import httpx2

        return httpx2.AsyncClient(
            limits=httpx2.Limits(max_connections=max_connections), timeout=timeout, **options
        )
    if stack == "aiohttp":
        # aiohttp's "no cap" is 0; httpx-aiohttp turns None into aiohttp's default of 100.
        limits = httpx.Limits(max_connections=max_connections or 0)
        return httpx.AsyncClient(transport=AiohttpTransport(limits=limits), timeout=timeout, **options)
    assert stack == "httpx", stack
    return httpx.AsyncClient(limits=httpx.Limits(max_connections=max_connections), timeout=timeout, **options)


@asynccontextmanager
async def rs_client(
    stack: str, api_key: str | None = None, base_url: str | None = None, **options: Any
) -> AsyncIterator[rs.AsyncClient]:
    """``rs.AsyncClient`` on ``stack``: its own client on aiohttp or httpx, a caller's httpx2 one."""
    if stack == "httpx2":
        import httpx2

        async with (
            httpx2.AsyncClient() as http,
            rs.AsyncClient(api_key, base_url, http_client=http, **options) as client,
        ):
            yield client
    else:
        transport: Literal["aiohttp", "httpx"] = "httpx" if stack == "httpx" else "aiohttp"
        async with rs.AsyncClient(api_key, base_url, transport=transport, **options) as client:
            yield client


def error_class(stack: str, name: str) -> type[Exception]:
    """The exception class ``name`` (``"ReadTimeout"``, …) as the stack's client raises it."""
    if stack == "httpx2":
        import httpx2

        found: type[Exception] = getattr(httpx2, name)
        return found
    found = getattr(httpx, name)
    return found
