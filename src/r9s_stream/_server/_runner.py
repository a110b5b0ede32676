"""Running the embedded server in the foreground (``r9s-stream serve``).

``r9s_stream.testing.run_server`` runs it in a background thread instead."""

from __future__ import annotations

from typing import Any

from ._app import ChatServerApp

__all__ = ["serve_forever", "uvicorn_module"]


def uvicorn_module() -> Any:
    """uvicorn, or an ImportError that says which extra to install."""
    try:
        import uvicorn
    except ImportError:  # pragma: no cover - depends on the installed extras
        raise ImportError("the embedded server needs uvicorn: pip install 'r9s-stream[server]'") from None
    return uvicorn


def serve_forever(
    *,
    host: str = "127.0.0.1",
    port: int = 8000,
    token_delay: float = 0.01,
    stall_seconds: float = 30.0,
    api_key: str | None = None,
) -> None:
    """Run the embedded server in the foreground until Ctrl-C (``r9s-stream serve``)."""
    uvicorn = uvicorn_module()
    app = ChatServerApp(token_delay=token_delay, stall_seconds=stall_seconds, api_key=api_key)
    uvicorn.run(app, host=host, port=port, lifespan="off", log_level="info", timeout_graceful_shutdown=1)
