"""conftest.py: fixtures of the integration suite.

* lab (session): `test/lab/lab.sh up all` once per pytest run (FERRY_LAB_UP
  picks another target, e.g. "standalone": these tests only need s1);
  `lab.sh down` at the end unless FERRY_KEEP_LAB=1.
* tls_files (session): a CA and a server certificate for 127.0.0.1 made with
  the openssl CLI.
* client_bin (session): test/integration/ferry_client.c compiled against
  libmariadb (prepared statements, COM_CHANGE_USER, compression).
* ferry (module): a ferryd in front of s1 (readconnroute, router_options =
  master) with three listeners: "plain", "tls" (TLS offered) and "tls_req"
  (TLS required).
* ferry_factory (function): make(**Ferry kwargs) starts a dedicated ferryd;
  each one is stopped with SIGTERM at the end of the test (exit code 0 asserted).

Environment: FERRYD (the binary; default build/server/ferryd), FERRY_SOURCE_DIR,
FERRY_LAB_UP, FERRY_KEEP_LAB, FERRY_SYSBENCH_TIME (default 60),
FERRY_SYSBENCH_DB (default sbtest). Files run in name order; test_zz_failures.py
kills and restarts s1, so it comes last.
"""

import os
import shutil
import subprocess

import pytest

import helpers
from helpers import Ferry, default_listeners

helpers.raise_nofile()


@pytest.fixture(scope="session")
def lab():
    what = os.environ.get("FERRY_LAB_UP", "all")
    helpers.lab("up", what, timeout=600)
    yield
    if os.environ.get("FERRY_KEEP_LAB") != "1":
        helpers.lab("down", timeout=300, check=False)


@pytest.fixture(scope="session")
def tls_files(tmp_path_factory):
    d = tmp_path_factory.mktemp("tls")

    def run(*args):
        p = subprocess.run(["openssl", *args], cwd=d, capture_output=True, text=True)
        assert p.returncode == 0, f"openssl {' '.join(args)}: {p.stderr}"

    run("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "ca.key", "-out", "ca.pem",
        "-days", "30", "-subj", "/CN=Ferry Test CA")
    run("req", "-newkey", "rsa:2048", "-nodes", "-keyout", "server.key", "-out", "server.csr",
        "-subj", "/CN=127.0.0.1")
    (d / "ext.cnf").write_text("subjectAltName = IP:127.0.0.1, DNS:localhost\n"
                               "basicConstraints = CA:FALSE\n"
                               "extendedKeyUsage = serverAuth\n")
    run("x509", "-req", "-in", "server.csr", "-CA", "ca.pem", "-CAkey", "ca.key",
        "-CAcreateserial", "-out", "server.pem", "-days", "30", "-extfile", "ext.cnf")
    # A second CA that did not sign the server certificate.
    run("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "other.key", "-out",
        "other.pem", "-days", "30", "-subj", "/CN=Some Other CA")
    return {"ca": str(d / "ca.pem"), "cert": str(d / "server.pem"),
            "key": str(d / "server.key"), "other_ca": str(d / "other.pem")}


@pytest.fixture(scope="session")
def client_bin(tmp_path_factory):
    src = os.path.join(os.path.dirname(__file__), "ferry_client.c")
    out = str(tmp_path_factory.mktemp("client") / "ferry_client")
    flags = subprocess.run(["mariadb_config", "--cflags", "--libs"], capture_output=True,
                           text=True, check=True).stdout.split()
    cc = shutil.which("cc") or "gcc"
    p = subprocess.run([cc, "-O1", "-Wall", "-o", out, src, *flags, "-lcrypto"],
                       capture_output=True, text=True)
    assert p.returncode == 0, f"cannot compile ferry_client.c:\n{p.stderr}"
    return out


@pytest.fixture(scope="module")
def ferry(lab, tls_files, tmp_path_factory):
    f = Ferry(tmp_path_factory.mktemp("ferry"), listeners=default_listeners(tls_files))
    f.start()
    yield f
    f.stop()


@pytest.fixture
def ferry_factory(lab, tmp_path_factory):
    made = []

    def make(start=True, wait_login=True, **kw):
        f = Ferry(tmp_path_factory.mktemp("ferry"), **kw)
        made.append(f)
        if start:
            f.start(wait_login=wait_login)
        return f

    yield make
    errors = []
    for f in made:
        try:
            f.stop()
        except AssertionError as e:
            errors.append(str(e))
    assert not errors, "\n\n".join(errors)
