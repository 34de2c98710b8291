"""admin_helpers.py: calling the admin socket and ferryctl from the admin tests."""
import http.client
import json
import os
import socket
import subprocess
import pytest
import helpers

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


# ---------------------------------------------------------------- the lab's Galera cluster

GALERA_NODES = (("g1", 3311, 1), ("g2", 3312, 2), ("g3", 3313, 3))  # name, port, priority


def need_galera():
    """Skips the test unless the lab's three Galera nodes accept connections."""
    for _, port, _ in GALERA_NODES:
        try:
            socket.create_connection((helpers.HOST, port), timeout=1).close()
        except OSError:
            pytest.skip("the lab's Galera nodes are not running (lab.sh up galera)")


def galera_config_head(d):
    """The ferry section (log, admin socket and datadir in d) and the three nodes
    with priorities 1, 2, 3, for a config that adds monitors, services and listeners."""
    servers = ",\n  ".join(f'{{ name = "{n}"; address = "{helpers.HOST}"; port = {p}; '
                           f'priority = {prio}; }}' for n, p, prio in GALERA_NODES)
    return f"""ferry = {{ threads = 2; log_file = "{d}/ferryd.log"; log_level = "info";
          admin_socket = "{d}/ferryd.sock"; datadir = "{d}"; }};
servers = ( {servers} );
"""

