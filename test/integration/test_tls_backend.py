"""test_tls_backend.py: TLS from Ferry to a backend (servers: tls). A server
of its own (mariadbd.Mariadbd) with a certificate and
require_secure_transport=ON refuses plaintext, so everything below only
works if every connection Ferry makes to it uses TLS: the client sessions
of readconnroute, mariadbmon's polls, the account loader and the binlog
relay's upstream. With verify_peer and a CA that did not sign the server's
certificate, Ferry refuses the server and says why."""

import json
import os
import shutil
import sys
import tempfile

import pytest

import helpers
from helpers import wait_until
from mariadbd import ACCOUNTS_SQL, Mariadbd, own, start_ferry_in_front

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "admin"))
from admin_helpers import ferryctl  # noqa: E402


@pytest.fixture(scope="module")
def tls_server(tls_files):
    d = tempfile.mkdtemp(prefix="ferry-tls-", dir="/tmp")
    os.chmod(d, 0o755)
    ssl = []
    for name in ("ca", "cert", "key"):
        dst = os.path.join(d, os.path.basename(tls_files[name]))
        shutil.copy(tls_files[name], dst)
        own(dst)
        ssl.append(f"ssl_{name}={dst}")
    s = Mariadbd("tlsb", 9500, 95, extra=(*ssl, "require_secure_transport=ON"))
    try:
        s.install().start()
        s.root(ACCOUNTS_SQL)
        yield s
    finally:
        s.stop()
        shutil.rmtree(d, ignore_errors=True)


def start_ferry(d, server, ca):
    tls = f' tls = {{ ca = "{ca}"; verify_peer = true; }};'
    return start_ferry_in_front(d, [("tlsb", server.port, tls)], 7591)


def show_server(ferry):
    return json.loads(ferryctl(ferry, "--json", "show", "server", "tlsb", check=0).stdout)


def test_every_connection_to_the_backend_uses_tls(tls_server, tls_files, tmp_path):
    # The server itself: plaintext refused, TLS accepted.
    assert helpers.login_error(tls_server.port, "app", "app_pw") is not None
    assert helpers.login_error(tls_server.port, "app", "app_pw",
                               ssl={"ca": tls_files["ca"]}) is None
    f = start_ferry(tmp_path, tls_server, tls_files["ca"])
    try:
        wait_until(lambda: "Master" in show_server(f)["state"], 20,
                   what="mariadbmon to reach the server over TLS")
        rows = helpers.query(f.port("rw-listener"), "SHOW SESSION STATUS LIKE 'Ssl_version'")
        assert rows and rows[0][1].startswith("TLSv1.")
        helpers.query(f.port("rw-listener"), "CREATE DATABASE IF NOT EXISTS tlsdb")
        st = wait_until(lambda: (lambda s: s if s["upstream"]["running"] else None)(
            json.loads(ferryctl(f, "--json", "binlog", "status", "relay", check=0).stdout)),
            20, what="the relay's upstream over TLS")
        assert st["upstream"]["last_error"] == ""
        want = tls_server.value("SELECT @@gtid_binlog_pos")
        wait_until(lambda: json.loads(ferryctl(f, "--json", "binlog", "status", "relay",
                                               check=0).stdout)["gtid_committed"] == want,
                   20, what=f"the relay to reach {want}")
    finally:
        f.stop()


def test_unverified_certificate_is_refused_with_the_reason(tls_server, tls_files, tmp_path):
    f = start_ferry(tmp_path, tls_server, tls_files["other_ca"])
    try:
        srv = wait_until(lambda: (lambda s: s if s.get("last_error") else None)(show_server(f)),
                         20, what="the monitor to report why it cannot connect")
        assert "Running" not in srv["state"]
        assert "certificate" in srv["last_error"].lower() or "ssl" in srv["last_error"].lower(), \
            srv["last_error"]
        err = helpers.login_error(f.port("rw-listener"), "app", "app_pw")
        assert err is not None
    finally:
        f.stop()
