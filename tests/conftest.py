"""Shared test configuration: hypothesis profiles.

``ci`` (the default) keeps the property tests to a modest number of examples so the whole
suite stays fast on a small machine; ``R9S_FUZZ=long`` runs many more for a local soak.
"""

from __future__ import annotations

import os

from hypothesis import HealthCheck, settings

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
