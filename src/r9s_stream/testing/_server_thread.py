"""``run_server``: the embedded OpenAI-compatible server in a background thread, for tests."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

__all__ = ["run_server"]

_STARTUP_TIMEOUT = 10.0


@contextmanager
def run_server(
    *,
    host: str = "127.0.0.1",
    port: int = 0,
    token_delay: float = 0.0,
    stall_seconds: float = 30.0,
    retry_after: float = 0.05,
    api_key: str | None = None,
) -> Iterator[str]:
    """Run the embedded server in a background thread; yield its base URL (``…/v1``).

    The port is bound before the thread starts (``port=0``: a free one), and the block is
    entered only once the server accepts connections. The thread runs its own asyncio loop,
    so tests on asyncio and on trio use it alike. Leaving the block stops the server, ending
    open streams after at most a second.
    """
    # Imported here: most tests never start a server, and uvicorn is an optional extra.
    from .._server import ChatServerApp, base_url_of, listen, uvicorn_module

    uvicorn = uvicorn_module()
    app = ChatServerApp(
        token_delay=token_delay, stall_seconds=stall_seconds, retry_after=retry_after, api_key=api_key
    )
    sock = listen(host, port)
    config = uvicorn.Config(
        app,
        lifespan="off",
        log_config=None,  # leave the host process's logging alone
        log_level="warning",
        access_log=False,
        http="h11",
        loop="asyncio",
        timeout_graceful_shutdown=1,
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(
        target=server.run, kwargs={"sockets": [sock]}, name="r9s-stream-server", daemon=True
    )
    thread.start()
    try:
        deadline = time.monotonic() + _STARTUP_TIMEOUT
        while not server.started:
            if not thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError(f"the embedded server did not start at {base_url_of(sock)}")
            time.sleep(0.002)
        yield base_url_of(sock)
    finally:
        server.should_exit = True
        thread.join(timeout=5)
        sock.close()
