"""TLS on the client side of a listener: "tls" offers TLS (required = false),
"tls_req" refuses plaintext logins, "plain" has no TLS."""

import hashlib
import ssl
import subprocess

import pymysql
import pytest

from helpers import ACCESS_DENIED, connect, default_listeners, login_error, run_client


def ctx(ca):
    c = ssl.create_default_context(cafile=ca)
    c.check_hostname = True
    return c


def tls_version(conn):
    sock = conn._sock
    assert isinstance(sock, ssl.SSLSocket), "the connection is not TLS"
    return sock.version()


@pytest.mark.parametrize("listener", ["tls", "tls_req"])
def test_tls_login_pymysql(ferry, tls_files, listener):
    c = connect(ferry.port(listener), ssl=ctx(tls_files["ca"]))
    assert tls_version(c) in ("TLSv1.2", "TLSv1.3")
    cur = c.cursor()
    cur.execute("SELECT CURRENT_USER(), 6 * 7")
    assert cur.fetchone() == ("app@%", 42)
    cur.execute("SELECT seq FROM test.seq_1_to_20000")
    assert [r[0] for r in cur.fetchall()] == list(range(1, 20001))
    c.close()


def test_tls_certificate_is_the_configured_one(ferry, tls_files):
    c = connect(ferry.port("tls"), ssl=ctx(tls_files["ca"]))
    der = c._sock.getpeercert(binary_form=True)
    with open(tls_files["cert"]) as f:
        want = ssl.PEM_cert_to_DER_cert(f.read())
    assert der == want
    c.close()


def test_tls_untrusted_ca_fails(ferry, tls_files):
    with pytest.raises(pymysql.err.OperationalError) as e:
        connect(ferry.port("tls"), ssl=ctx(tls_files["other_ca"]))
    assert "CERTIFICATE_VERIFY_FAILED" in str(e.value) or "certificate verify failed" in str(e.value)


@pytest.mark.parametrize("listener", ["tls", "tls_req"])
def test_tls_login_cli(ferry, tls_files, listener):
    p = subprocess.run(["mariadb", "--no-defaults", "--ssl", f"--ssl-ca={tls_files['ca']}",
                        "--ssl-verify-server-cert", "-h127.0.0.1", f"-P{ferry.port(listener)}",
                        "-uapp", "-papp_pw", "-e", "status"],
                       capture_output=True, text=True, timeout=30)
    assert p.returncode == 0, p.stderr
    ssl_line = [l for l in p.stdout.splitlines() if l.startswith("SSL:")]
    assert ssl_line and "Cipher in use is" in ssl_line[0], p.stdout
    assert "Current user:\t\tapp@127.0.0.1" in p.stdout


# The refusals run on their own ferryd each, so that a crash in an error path
# does not take the other tests down with it.

@pytest.mark.parametrize("listener", ["tls", "tls_req"])
def test_tls_wrong_password(ferry_factory, tls_files, listener):
    f = ferry_factory(listeners=default_listeners(tls_files))
    for _ in range(3):
        assert login_error(f.port(listener), "app", "bad", ssl=ctx(tls_files["ca"])) == \
            (ACCESS_DENIED, "Access denied for user 'app'@'127.0.0.1' (using password: YES)")
    assert login_error(f.port(listener), "app", "app_pw", ssl=ctx(tls_files["ca"])) is None


def test_plaintext_refused_on_required_listener(ferry_factory, tls_files):
    ferry = ferry_factory(listeners=default_listeners(tls_files))
    code, msg = login_error(ferry.port("tls_req"), "app", "app_pw")
    assert code == ACCESS_DENIED
    assert msg.startswith("Access denied for user 'app'@'127.0.0.1'")
    assert "TLS" in msg or "SSL" in msg, msg
    p = subprocess.run(["mariadb", "--no-defaults", "--skip-ssl", "-h127.0.0.1",
                        f"-P{ferry.port('tls_req')}", "-uapp", "-papp_pw", "-e", "SELECT 1"],
                       capture_output=True, text=True, timeout=30)
    assert p.returncode == 1
    assert p.stderr.startswith("ERROR 1045 (28000): Access denied for user 'app'@'127.0.0.1'")


def test_plaintext_allowed_on_optional_listener(ferry):
    c = connect(ferry.port("tls"))
    assert not hasattr(c._sock, "version")
    cur = c.cursor()
    cur.execute("SELECT 1")
    assert cur.fetchone() == (1,)
    c.close()


def test_tls_refused_by_plain_listener(ferry, tls_files, client_bin):
    """A client that insists on TLS cannot log in to a listener without it
    (pymysql silently falls back to plaintext, libmariadb with SSL_ENFORCE not)."""
    rc, out = run_client(client_bin, ferry.port("plain"), "info",
                         opts=["--ssl-ca", tls_files["ca"]])
    assert rc == 1 and out[0].startswith("CONNECT ERROR 2026 "), out


def test_tls_big_result_and_insert(ferry, tls_files):
    c = connect(ferry.port("tls_req"), ssl=ctx(tls_files["ca"]), max_allowed_packet=64 << 20)
    cur = c.cursor()
    cur.execute("SELECT REPEAT('tls', 7000000)")
    (v,) = cur.fetchone()
    assert len(v) == 21000000 and hashlib.sha1(v.encode()).hexdigest() == \
        hashlib.sha1(b"tls" * 7000000).hexdigest()
    payload = "z" * (20 * 1024 * 1024)
    cur.execute("SELECT LENGTH(%s)", (payload,))
    assert cur.fetchone() == (len(payload),)
    c.close()


def test_tls_with_libmariadb_compress_ps_change_user(ferry, tls_files, client_bin):
    rc, out = run_client(client_bin, ferry.port("tls_req"),
                         "info", "ps-loop", "SELECT ?", "300",
                         "change-user", "app2", "app2_pw", "test",
                         "query", "SELECT CURRENT_USER(), DATABASE()",
                         "query", "SELECT SHA1(REPEAT('q', 20000000))",
                         opts=["--compress", "--ssl-ca", tls_files["ca"]])
    assert rc == 0, out
    assert out[0].startswith("compress=1 tls=") and out[0] != "compress=1 tls=none", out
    assert out[1:] == ["ps-loop ok 300", "change-user ok", "app2@%\ttest", "rows=1",
                       hashlib.sha1(b"q" * 20000000).hexdigest(), "rows=1"]


def test_tls_many_logins(ferry, tls_files):
    for _ in range(50):
        c = connect(ferry.port("tls_req"), ssl=ctx(tls_files["ca"]))
        c.cursor().execute("SELECT 1")
        c.close()
