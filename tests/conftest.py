"""Test configuration: hypothesis profiles, the slow/notebook/browser markers, and Chromium.

The profile is "dev" (60 examples a property) unless HYPOTHESIS_PROFILE says otherwise;
``.ci/run`` sets HYPOTHESIS_PROFILE=ci (400 examples, no deadline). Tests marked
``notebook`` or ``browser`` are also ``slow``, so ``pytest -m "not slow"`` is the fast loop.
"""

import os
import shutil

import pytest
from hypothesis import HealthCheck, settings

settings.register_profile("dev", max_examples=60, deadline=None)
settings.register_profile("ci", max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci" if os.environ.get("CI") else "dev"))


def pytest_collection_modifyitems(config, items):
    """A notebook or browser test is slow too: the fast loop leaves them out."""
    for item in items:
        if item.get_closest_marker("notebook") or item.get_closest_marker("browser"):
            item.add_marker(pytest.mark.slow)


@pytest.fixture(scope="session")
def chromium():
    """The path of Debian's Chromium; without it the test is skipped, or fails where
    CHAINRULE_REQUIRE_BROWSER=1 (``.ci/run`` sets it, so CI never passes with browser tests skipped)."""
    path = shutil.which("chromium") or ("/usr/bin/chromium" if os.path.exists("/usr/bin/chromium") else None)
    if path is None:
        message = "no Chromium: `apt-get install -y chromium` (CI installs it)"
        if os.environ.get("CHAINRULE_REQUIRE_BROWSER") == "1":
            pytest.fail(message)
        pytest.skip(message)
    return path
