"""Test-wide settings: property-based tests are seeded and bounded (part of the normal run)."""

from __future__ import annotations

from hypothesis import HealthCheck, settings

# Derandomized: every run explores the same examples, so CI failures reproduce locally. Each
# property test sets its own ``max_examples``; the whole property suite stays well under a minute.
settings.register_profile(
    "graphddb",
    derandomize=True,
    deadline=None,
    database=None,
    print_blob=True,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.load_profile("graphddb")
