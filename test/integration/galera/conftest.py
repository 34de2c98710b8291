"""conftest.py of the galeramon tests (test/integration/galera/).

* galera (session): the 3-node Galera lab, Synced (`lab.sh up galera`, then a
  heal of stuck nodes); never taken down here (other suites share the lab).
* gferry (function): make(**GaleraFerry kwargs) starts a ferryd running
  galeramon; each one is stopped with SIGTERM at the end (exit 0 asserted),
  and none of its snapshots may ever have shown two Masters.
* healthy (function): the cluster is Synced again after a test that broke it.
"""

import os
import sys

import pytest

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import galera_helpers as gh  # noqa: E402


@pytest.fixture(scope="session")
def galera():
    gh.ensure_cluster()
    yield


@pytest.fixture
def healthy(galera):
    yield
    gh.ensure_cluster()


@pytest.fixture
def gferry(galera, tmp_path_factory):
    made = []

    def make(start=True, **kw):
        f = gh.GaleraFerry(tmp_path_factory.mktemp("galera"), **kw)
        made.append(f)
        if start:
            f.start()
        return f

    yield make
    errors = []
    for f in made:
        try:
            f.stop()
            if f.snapshots():
                f.assert_one_master()
        except AssertionError as e:
            errors.append(str(e))
    assert not errors, "\n\n".join(errors)
