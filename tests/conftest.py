"""Shared test configuration: hypothesis profiles, and the scripted server of the client tests.

``ci`` (the default) keeps the property tests to a modest number of examples so the whole
suite stays fast on a small machine; ``R9S_FUZZ=long`` runs many more for a local soak.
"""

from __future__ import annotations

import importlib.util
import logging
import os
import warnings
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


@pytest.fixture(scope="session")
def local_ray() -> Iterator[None]:
    """One local Ray (2 CPUs) for every Ray test of the session (its start costs seconds), stopped at the end.

    The Ray tests are one module and make test keeps a module's tests in one pytest worker
    (``--dist loadfile``), so this starts once. Skipped where ray is not installed.
    """
    if importlib.util.find_spec("ray") is None:
        pytest.skip("ray is not installed (the ray extra)")
    import ray
    from ray.data import DataContext

    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False, logging_level=logging.WARNING)
    with warnings.catch_warnings():
        # ray 2.60's DataContext() warns about its own defaults for its deprecated fields; the
        # context is made once per process, here, so the tests' other warnings stay errors.
        warnings.filterwarnings("ignore", category=DeprecationWarning, module="ray.data.context")
        DataContext.get_current().enable_progress_bars = False
    try:
        yield
    finally:
        ray.shutdown()
