"""Shared test configuration: hypothesis profiles, and the scripted server of the client tests.

``ci`` (the default) keeps the property tests to a modest number of examples so the whole
suite stays fast on a small machine; ``R9S_FUZZ=long`` runs many more for a local soak.
"""

from __future__ import annotations

import os
import signal
from collections.abc import Iterator

import pytest
from hypothesis import HealthCheck, settings

from _chat_server import ScriptedServer, serve

settings.register_profile(
    "ci",
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.register_profile(
    "long",
    max_examples=5000,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.load_profile("long" if os.environ.get("R9S_FUZZ") == "long" else "ci")


def pytest_configure(config: pytest.Config) -> None:
    """Let the Ctrl-C tests' commands see SIGINT even when the suite was started in the background.

    A shell without job control starts a background command (`make test &`) with SIGINT
    ignored, and every process it starts inherits that: the commands under test would then
    never see the Ctrl-C the tests send. A Python handler here is reset to the default in each
    child, so each command installs its own as it would in a terminal.
    """
    if signal.getsignal(signal.SIGINT) is signal.SIG_IGN:
        signal.signal(signal.SIGINT, signal.default_int_handler)


@pytest.fixture(scope="session")
def running_server() -> Iterator[ScriptedServer]:
    """One scripted loopback server (tests/_chat_server.py) for every client test."""
    with serve() as app:
        yield app


@pytest.fixture
def server(running_server: ScriptedServer, monkeypatch: pytest.MonkeyPatch) -> ScriptedServer:
    """The scripted server, reset, with the R9S_* variables cleared so only explicit settings count."""
    monkeypatch.delenv("R9S_API_KEY", raising=False)
    monkeypatch.delenv("R9S_BASE_URL", raising=False)
    running_server.reset()
    return running_server
