"""Running the embedded server in the foreground (``r9s-stream serve``).

``r9s_stream.testing.run_server`` runs it in a background thread instead."""

from __future__ import annotations

import socket
from typing import Any

from ._app import ChatServerApp

__all__ = ["base_url_of", "listen", "serve_forever", "uvicorn_module"]


def uvicorn_module() -> Any:
    """uvicorn, or an ImportError that says which extra to install."""
    try:
        import uvicorn
    except ImportError:  # pragma: no cover - depends on the installed extras
        raise ImportError("the embedded server needs uvicorn: pip install 'r9s-stream[server]'") from None
    return uvicorn


def listen(host: str, port: int) -> socket.socket:
    """A TCP socket bound to ``host:port`` (``port=0``: a free one); OSError names the address."""
    sock = socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError as error:
        sock.close()
        raise OSError(error.errno, f"cannot listen on {host}:{port}: {error.strerror}") from None
    return sock


def base_url_of(sock: socket.socket) -> str:
    """The ``http://host:port/v1`` base URL of a bound socket."""
    host, port = sock.getsockname()[:2]
    return f"http://[{host}]:{port}/v1" if ":" in host else f"http://{host}:{port}/v1"


def serve_forever(
    sock: socket.socket,
    *,
    token_delay: float = 0.01,
    stall_seconds: float = 30.0,
    api_key: str | None = None,
) -> None:
    """Serve on ``sock`` in the foreground, logging each request, until Ctrl-C."""
    uvicorn = uvicorn_module()
    app = ChatServerApp(token_delay=token_delay, stall_seconds=stall_seconds, api_key=api_key)
    config = uvicorn.Config(app, lifespan="off", log_level="info", timeout_graceful_shutdown=1)
    try:
        uvicorn.Server(config).run(sockets=[sock])
    finally:
        sock.close()
