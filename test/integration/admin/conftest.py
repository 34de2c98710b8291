"""conftest.py of test/integration/admin: fixtures for the admin socket,
ferryctl and /metrics tests (the parent conftest's lab and ferry_factory
fixtures apply here too).

* ferryctl(ferry, *args, ...) runs build/server/ferryctl/ferryctl against a
  ferryd's admin socket and returns the CompletedProcess.
* api(ferry, method, path, body=None) does one HTTP request on the admin
  socket and returns (status, parsed JSON or text).
* admin_ferry (module): one ferryd in front of s1 (mariadbmon +
  readconnroute, router_options = master) with a metrics_port.
"""

import http.client
import json
import os
import socket
import subprocess

import pytest

import helpers
from helpers import Ferry

FERRYCTL = os.environ.get("FERRYCTL") or os.path.join(
    os.path.dirname(helpers.FERRYD), "ferryctl", "ferryctl")


class UnixHTTPConnection(http.client.HTTPConnection):
    def __init__(self, path, timeout=30):
        super().__init__("localhost", timeout=timeout)
        self.path = path

    def connect(self):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.settimeout(self.timeout)
        self.sock.connect(self.path)


def socket_path(ferry):
    return getattr(ferry, "admin_socket", None) or os.path.join(ferry.dir, "ferryd.sock")


def api(ferry, method, path, body=None):
    conn = UnixHTTPConnection(socket_path(ferry))
    try:
        data = json.dumps(body) if body is not None else None
        conn.request(method, path, body=data,
                     headers={"Content-Type": "application/json"} if data else {})
        resp = conn.getresponse()
        text = resp.read().decode()
        ctype = resp.getheader("Content-Type", "")
        return resp.status, (json.loads(text) if ctype.startswith("application/json") else text)
    finally:
        conn.close()


def ferryctl(ferry, *args, env=None, check=None, input=None, socket_arg=True):
    assert os.access(FERRYCTL, os.X_OK), f"no ferryctl at {FERRYCTL} (build it first)"
    cmd = [FERRYCTL] + (["-S", socket_path(ferry)] if socket_arg and ferry else []) + list(args)
    p = subprocess.run(cmd, capture_output=True, text=True, timeout=60, env=env, input=input)
    if check is not None:
        assert p.returncode == check, (f"ferryctl {' '.join(args)}: rc={p.returncode}\n"
                                       f"stdout:\n{p.stdout}\nstderr:\n{p.stderr}")
    return p


def table_rows(text):
    """The cells of a ferryctl box table: a list of lists (header first)."""
    rows = []
    for line in text.splitlines():
        if line.startswith("│"):
            rows.append([c.strip() for c in line.strip("│").split("│")])
    return rows


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
