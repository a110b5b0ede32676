"""The event loops of the async suites: a module that imports ``asyncio_and_trio`` runs on both."""

from __future__ import annotations

import pytest

__all__ = ["asyncio_and_trio"]


@pytest.fixture(params=["asyncio", "trio"], name="anyio_backend")
def asyncio_and_trio(request: pytest.FixtureRequest) -> str:
    """anyio's ``anyio_backend``: every async test of the importing module on asyncio and on trio."""
    return str(request.param)
