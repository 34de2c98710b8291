"""test_admin_tcp.py: the TCP admin port (ferry.admin_port): HTTP Basic
against admin_users (401 with WWW-Authenticate and a JSON error without or
with wrong credentials, failed logins logged with the client address and
throttled, 429 beyond 30 password checks a second, 200 with the right
ones), TLS (admin_tls: HTTPS with the right
CA, a plaintext client disconnected), ferryctl hash-password and the
--host/--port options, the config errors, and log_target = "syslog"."""

import base64
import http.client
import json
import os
import re
import shutil
import signal
import socket
import ssl
import subprocess
import time

import pytest

import helpers
from helpers import Ferry
from admin_helpers import ferryctl

USER, PASSWORD = "ops", "ops pw:with colon"
HASH_RE = re.compile(r"pbkdf2-sha256\$20000\$[A-Za-z0-9+/]{22}==\$[A-Za-z0-9+/]{43}=")


def hash_password(password):
    p = ferryctl(None, "hash-password", input=password + "\n", check=0)
    return p.stdout.strip()


def with_global(text, extra):
    """The config text with extra settings added to its ferry group."""
    return text.replace("ferry = {", "ferry = { " + extra, 1)


def admin_settings(port, hashed, tls=None):
    extra = (f'admin_port = {port}; admin_users = ( {{ name = "{USER}"; '
             f'password = "{hashed}"; }}, {{ name = "viewer"; password = "{hashed}"; }} );')
    if tls:
        extra += f' admin_tls = {{ cert = "{tls["cert"]}"; key = "{tls["key"]}"; }};'
    return extra


def start_admin_ferry(workdir, tls=None):
    f = Ferry(workdir)
    f.admin_port = helpers.free_port()
    with open(f.conf) as fh:
        text = fh.read()
    with open(f.conf, "w") as fh:
        fh.write(with_global(text, admin_settings(f.admin_port, hash_password(PASSWORD), tls)))
    return f.start()


@pytest.fixture(scope="module")
def tcp_ferry(lab, tmp_path_factory):
    f = start_admin_ferry(tmp_path_factory.mktemp("admin-tcp"))
    yield f
    f.stop()


@pytest.fixture(scope="module")
def tls_ferry(lab, tls_files, tmp_path_factory):
    f = start_admin_ferry(tmp_path_factory.mktemp("admin-tls"), tls_files)
    yield f
    f.stop()


def basic(user, password):
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()


def request(port, path, auth=None, method="GET", context=None):
    """(status, headers, parsed JSON or text) of one request to the admin port."""
    if context:
        conn = http.client.HTTPSConnection(helpers.HOST, port, timeout=10, context=context)
    else:
        conn = http.client.HTTPConnection(helpers.HOST, port, timeout=10)
    try:
        conn.request(method, path, headers={"Authorization": auth} if auth else {})
        resp = conn.getresponse()
        text = resp.read().decode()
        ctype = resp.getheader("Content-Type", "")
        body = json.loads(text) if ctype.startswith("application/json") else text
        return resp.status, resp, body
    finally:
        conn.close()


def assert_refused(status, resp, body, message):
    assert status == 401
    assert resp.getheader("WWW-Authenticate") == 'Basic realm="ferry"'
    assert resp.getheader("Content-Type") == "application/json"
    assert message in body["error"], body


def failed_logins(f):
    return [l for l in f.log_text().splitlines() if "admin port: failed login" in l]


# ---------------------------------------------------------------- HTTP Basic


def test_no_credentials(tcp_ferry):
    assert_refused(*request(tcp_ferry.admin_port, "/v1/servers"),
                   "authentication required: HTTP Basic")
    assert_refused(*request(tcp_ferry.admin_port, "/metrics"), "authentication required")


def test_wrong_credentials(tcp_ferry):
    port = tcp_ferry.admin_port
    assert_refused(*request(port, "/v1/servers", basic(USER, "wrong")),
                   "wrong user name or password")
    assert_refused(*request(port, "/v1/servers", basic("nobody", PASSWORD)),
                   "wrong user name or password")
    assert_refused(*request(port, "/v1/servers", basic(USER, PASSWORD[:-1])),
                   "wrong user name or password")
    assert_refused(*request(port, "/v1/servers", "Bearer abc"), "malformed Authorization")
    assert_refused(*request(port, "/v1/servers", "Basic !!!"), "malformed Authorization")
    lines = helpers.wait_until(lambda: failed_logins(tcp_ferry), 5, what="failed login lines")
    assert re.search(r"warning admin port: failed login from 127\.0\.0\.1:\d+ as 'ops' "
                     r"\(wrong user name or password\)", "\n".join(lines)), lines
    assert PASSWORD not in tcp_ferry.log_text()


def test_right_credentials(tcp_ferry):
    status, _, servers = request(tcp_ferry.admin_port, "/v1/servers", basic(USER, PASSWORD))
    assert status == 200
    assert [s["name"] for s in servers] == ["s1"]
    status, _, text = request(tcp_ferry.admin_port, "/metrics", basic("viewer", PASSWORD))
    assert status == 200 and "ferry_info" in text
    status, _, body = request(tcp_ferry.admin_port, "/v1/rotate-logs", basic(USER, PASSWORD),
                              method="POST")
    assert status == 200 and body == {"rotated": True}
    status, _, body = request(tcp_ferry.admin_port, "/v1/nothing", basic(USER, PASSWORD))
    assert status == 404 and "no such resource" in body["error"]


def test_failed_logins_are_throttled(tcp_ferry):
    for i in range(15):
        status, _, _ = request(tcp_ferry.admin_port, "/v1", basic(f"guess{i}", "x"))
        assert status == 401
    time.sleep(0.3)
    lines = failed_logins(tcp_ferry)
    assert 1 <= len(lines) <= 10, lines  # at most 10 a minute
    assert request(tcp_ferry.admin_port, "/v1", basic(USER, PASSWORD))[0] == 200


def test_logins_beyond_30_a_second_get_429(tcp_ferry):
    """A brute force cannot keep the main loop hashing: the rest of the second gets 429."""
    time.sleep(1.1)  # a fresh second of checks
    statuses = []
    for i in range(80):
        status, resp, body = request(tcp_ferry.admin_port, "/v1", basic(USER, f"guess{i}"))
        statuses.append(status)
        if status == 429:
            assert resp.getheader("Retry-After") == "1"
            assert "too many logins" in body["error"]
    assert set(statuses) == {401, 429}, statuses
    assert statuses.count(401) <= 60  # at most two seconds' worth
    assert "more than 30 logins in a second" in tcp_ferry.log_text()
    time.sleep(1.1)
    assert request(tcp_ferry.admin_port, "/v1", basic(USER, PASSWORD))[0] == 200


def raw_request(port, data):
    """Sends data to the admin port; returns what comes back until it closes."""
    with socket.create_connection((helpers.HOST, port), timeout=10) as sock:
        try:
            sock.sendall(data)
        except (BrokenPipeError, ConnectionResetError):
            pass  # refused before it was all sent
        got = b""
        try:
            while chunk := sock.recv(65536):
                got += chunk
        except ConnectionResetError:
            pass
        return got


def padded_request(pad):
    """GET /v1/servers with a header of pad bytes, and no credentials."""
    return (b"GET /v1/servers HTTP/1.1\r\nHost: x\r\nConnection: close\r\nX-Pad: "
            + b"a" * pad + b"\r\n\r\n")


def test_headers_are_bounded(tcp_ferry):
    """Headers are read before any authentication, so they have a bound (16 KiB)."""
    port = tcp_ferry.admin_port
    answer = raw_request(port, padded_request(100000))
    assert not answer.startswith(b"HTTP/1.1 401"), answer[:200]
    assert b"HTTP/1.1 400" in answer[:20] or answer == b"", answer[:200]
    assert raw_request(port, padded_request(8000)).startswith(b"HTTP/1.1 401")
    assert request(port, "/v1", basic(USER, PASSWORD))[0] == 200


# ---------------------------------------------------------------- TLS


def test_tls_with_the_right_ca(tls_ferry, tls_files):
    ctx = ssl.create_default_context(cafile=tls_files["ca"])
    status, _, servers = request(tls_ferry.admin_port, "/v1/servers", basic(USER, PASSWORD),
                                 context=ctx)
    assert status == 200 and servers[0]["name"] == "s1"
    assert_refused(*request(tls_ferry.admin_port, "/v1/servers", context=ctx),
                   "authentication required")
    assert "https://127.0.0.1:" in tls_ferry.log_text()


def test_tls_with_another_ca(tls_ferry, tls_files):
    ctx = ssl.create_default_context(cafile=tls_files["other_ca"])
    with pytest.raises(ssl.SSLCertVerificationError):
        request(tls_ferry.admin_port, "/v1/servers", basic(USER, PASSWORD), context=ctx)


def test_plaintext_to_the_tls_port_fails(tls_ferry, tls_files):
    got = raw_request(tls_ferry.admin_port, b"GET /v1/servers HTTP/1.1\r\nHost: x\r\n"
                      b"Authorization: " + basic(USER, PASSWORD).encode() + b"\r\n\r\n")
    assert b"HTTP/1.1 200" not in got and b"s1" not in got
    assert tls_ferry.alive()
    ctx = ssl.create_default_context(cafile=tls_files["ca"])
    assert request(tls_ferry.admin_port, "/v1", basic(USER, PASSWORD), context=ctx)[0] == 200


# ---------------------------------------------------------------- ferryctl


def test_hash_password():
    from_arg = ferryctl(None, "hash-password", PASSWORD, check=0).stdout.strip()
    from_stdin = hash_password(PASSWORD)
    assert HASH_RE.fullmatch(from_arg), from_arg
    assert HASH_RE.fullmatch(from_stdin), from_stdin
    assert from_arg != from_stdin  # a new salt each time
    assert PASSWORD not in from_arg
    p = ferryctl(None, "hash-password", input="\n", check=1)
    assert "must not be empty" in p.stderr


def test_ferryctl_over_tcp(tcp_ferry):
    port = str(tcp_ferry.admin_port)
    p = ferryctl(None, "--port", port, "--user", USER, "--password", PASSWORD, "list", "servers",
                 check=0)
    assert "s1" in p.stdout
    env = dict(os.environ, FERRY_ADMIN_PASSWORD=PASSWORD)
    p = ferryctl(None, "--host", "127.0.0.1", "--port", port, "--user", USER, "--json",
                 "list", "servers", env=env, check=0)
    assert json.loads(p.stdout)[0]["name"] == "s1"
    p = ferryctl(None, "--port", port, "--user", USER, "--password", "wrong", "list", "servers",
                 check=1)
    assert "wrong user name or password" in p.stderr
    p = ferryctl(None, "--port", port, "list", "servers", check=1)
    assert "authentication required" in p.stderr
    p = ferryctl(None, "--user", USER, "list", "servers", check=2)
    assert "need --port" in p.stderr


def test_ferryctl_over_tls(tls_ferry, tls_files):
    args = ["--port", str(tls_ferry.admin_port), "--user", USER, "--password", PASSWORD]
    p = ferryctl(None, *args, "--tls-ca", tls_files["ca"], "list", "servers", check=0)
    assert "s1" in p.stdout
    p = ferryctl(None, *args, "--tls-ca", tls_files["other_ca"], "list", "servers", check=1)
    assert "TLS handshake" in p.stderr and "certificate" in p.stderr
    p = ferryctl(None, *args, "list", "servers", check=1)
    assert "no valid reply" in p.stderr
    # --tls trusts the system's CAs, which OpenSSL lets SSL_CERT_FILE name.
    sys_ca = dict(os.environ, SSL_CERT_FILE=tls_files["ca"])
    p = ferryctl(None, *args, "--tls", "list", "servers", env=sys_ca, check=0)
    assert "s1" in p.stdout
    p = ferryctl(None, *args, "--tls", "list", "servers",
                 env=dict(os.environ, SSL_CERT_FILE=tls_files["other_ca"]), check=1)
    assert "TLS handshake" in p.stderr and "unable to get local issuer certificate" in p.stderr


# ---------------------------------------------------------------- configuration


def check(tmp_path, extra):
    conf = tmp_path / "ferry.conf"
    conf.write_text(f"ferry = {{\n  {extra}\n}};\n")
    p = subprocess.run([helpers.FERRYD, "--check", "-c", str(conf)], capture_output=True,
                       text=True, timeout=30)
    return str(conf), p


def test_config_accepts_a_hash_from_ferryctl(tmp_path):
    _, p = check(tmp_path, admin_settings(8989, hash_password("x")))
    assert p.returncode == 0, p.stderr


def test_config_needs_admin_users(tmp_path):
    for extra in ("admin_port = 8989;", "admin_port = 8989; admin_users = ();"):
        conf, p = check(tmp_path, extra)
        assert p.returncode == 2
        assert f"{conf}:2: ferry: parameter 'admin_port': the TCP admin listener needs " \
               "admin_users" in p.stderr, p.stderr


@pytest.mark.parametrize("value,why", [
    ("ops_password", "not a password hash (a plaintext password?)"),
    ("pbkdf2-sha256$20000$c2FsdA==$aGFzaA==", "malformed password hash"),
    ("pbkdf2-sha256$10$MDEyMzQ1Njc4OWFiY2RlZg==$Pz0s4HPO+TyHnyTxIR8Lx+fEZojc3Lc26DQkf4ZOWCk=",
     "password hash iterations must be 1000..100000"),
])
def test_config_refuses_a_bad_hash(tmp_path, value, why):
    conf, p = check(tmp_path, f'admin_port = 8989; admin_users = ( {{ name = "ops"; '
                              f'password = "{value}"; }} );')
    assert p.returncode == 2
    assert f"{conf}:2: ferry admin_users #1: parameter 'password': {why}" in p.stderr, p.stderr
    assert value not in p.stderr


# ---------------------------------------------------------------- syslog


def test_syslog_target_is_accepted(ferry_factory, tmp_path):
    _, p = check(tmp_path, 'log_target = "syslog";')
    assert p.returncode == 0, p.stderr
    f = ferry_factory(start=False)
    with open(f.conf) as fh:
        text = fh.read()
    with open(f.conf, "w") as fh:
        fh.write(with_global(text, 'log_target = "syslog";'))
    f.start()
    assert helpers.query(f.port(), "SELECT 1") == ((1,),)
    assert f.log_text() == ""  # log_file is not used


def can_fake_dev_log():
    return os.geteuid() == 0 and shutil.which("unshare") and subprocess.run(
        ["unshare", "-m", "true"], capture_output=True).returncode == 0


@pytest.mark.skipif(not can_fake_dev_log(), reason="needs root and unshare -m")
@pytest.mark.parametrize("facility_setting,facility", [("", 3), ('log_facility = "local3"; ', 19)])
def test_syslog_messages_and_priorities(lab, tmp_path, facility_setting, facility):
    """ferryd in its own mount namespace whose /dev/log is our datagram socket;
    daemon (3) is the default facility."""
    sink_path = str(tmp_path / "log")
    sink = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    sink.bind(sink_path)
    sink.settimeout(10)
    f = Ferry(tmp_path / "ferry")
    admin_port = helpers.free_port()
    with open(f.conf) as fh:
        text = fh.read()
    with open(f.conf, "w") as fh:
        fh.write(with_global(text, 'log_target = "syslog"; ' + facility_setting
                             + admin_settings(admin_port, hash_password(PASSWORD))))
    script = (f"mount -t tmpfs tmpfs /dev && ln -s {sink_path} /dev/log && "
              f"exec {helpers.FERRYD} -c {f.conf}")
    proc = subprocess.Popen(["unshare", "-m", "sh", "-c", script], stdin=subprocess.DEVNULL,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    got = []
    try:
        def received(what):
            while not any(what in m for m in got):
                got.append(sink.recv(65536).decode(errors="replace"))
            return True

        received("started with")
        helpers.wait_until(lambda: request(admin_port, "/v1", basic(USER, "bad"))[0] == 401,
                           10, what="the admin port")
        received("failed login")
    finally:
        proc.send_signal(signal.SIGTERM)
        out = proc.communicate(timeout=10)[0].decode(errors="replace")
        sink.close()
    assert proc.returncode == 0, out
    # <facility * 8 + priority (notice 5, warning 4)>, then "ferryd[PID]: message"
    notice, warning = facility * 8 + 5, facility * 8 + 4
    assert any(re.match(rf"<{notice}>.*ferryd\[\d+\]: ferryd .* started with ", m)
               for m in got), got
    assert any(re.match(rf"<{warning}>.*ferryd\[\d+\]: admin port: failed login from 127\.0\.0\.1",
                        m) for m in got), got
