"""The HTTP clients and responses the library takes: httpx's, and httpx2's (for annotations only)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import httpx

if TYPE_CHECKING:
    from typing import TypeAlias

    import httpx2

    # httpx2 may not be installed: these exist for type checkers, not at run time.
    HTTPClient: TypeAlias = httpx.AsyncClient | httpx2.AsyncClient
    HTTPResponse: TypeAlias = httpx.Response | httpx2.Response

__all__ = ["HTTPClient", "HTTPResponse"]
