"""conftest.py of test/integration/admin: fixtures for the admin socket,
ferryctl and /metrics tests (the parent conftest's lab and ferry_factory
fixtures apply here too; admin_helpers.py has ferryctl() and api()).

* admin_ferry (module): one ferryd in front of s1 (mariadbmon +
  readconnroute, router_options = master) with a metrics_port.
"""

import pytest

import helpers
from helpers import Ferry


@pytest.fixture(scope="module")
def admin_ferry(lab, tmp_path_factory):
    f = Ferry(tmp_path_factory.mktemp("admin"))
    f.metrics_port = helpers.free_port()
    with open(f.conf) as fh:
        text = fh.read()
    text = text.replace("ferry = {", f'ferry = {{ metrics_port = {f.metrics_port}; '
                                     f'metrics_address = "127.0.0.1";', 1)
    with open(f.conf, "w") as fh:
        fh.write(text)
    f.start()
    yield f
    f.stop()
