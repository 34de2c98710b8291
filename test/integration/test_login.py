"""Logins through a Ferry listener: clients use their own backend accounts,
Ferry checks them against the accounts it loaded from s1 and refuses bad
ones with the same error MariaDB itself sends."""

import subprocess
import time
import uuid

import pytest

from helpers import (ACCESS_DENIED, BAD_DB, DBACCESS_DENIED, S1_PORT, admin_query, connect,
                     login_error, wait_until)


def denied(user, using="YES", host="127.0.0.1"):
    return (ACCESS_DENIED, f"Access denied for user '{user}'@'{host}' (using password: {using})")


def test_login_ok(ferry):
    c = connect(ferry.port())
    with c.cursor() as cur:
        cur.execute("SELECT CURRENT_USER(), USER(), @@port, DATABASE()")
        assert cur.fetchone() == ("app@%", "app@127.0.0.1", S1_PORT, None)
    c.close()


def test_login_cli(ferry):
    p = subprocess.run(["mariadb", "--no-defaults", "-h127.0.0.1", f"-P{ferry.port()}", "-uapp",
                        "-papp_pw", "-N", "-B", "-e", "SELECT CURRENT_USER(), 6*7"],
                       capture_output=True, text=True, timeout=30)
    assert p.returncode == 0, p.stderr
    assert p.stdout == "app@%\t42\n"


def test_wrong_password(ferry):
    assert login_error(ferry.port(), "app", "not_the_password") == denied("app")
    # exactly what MariaDB says for the same login
    assert login_error(S1_PORT, "app", "not_the_password") == denied("app")


def test_wrong_password_cli_sqlstate(ferry):
    p = subprocess.run(["mariadb", "--no-defaults", "-h127.0.0.1", f"-P{ferry.port()}", "-uapp",
                        "-pnope", "-e", "SELECT 1"], capture_output=True, text=True, timeout=30)
    assert p.returncode == 1
    assert p.stderr.strip() == ("ERROR 1045 (28000): Access denied for user 'app'@'127.0.0.1' "
                                "(using password: YES)")


def test_missing_password(ferry):
    assert login_error(ferry.port(), "app", "") == denied("app", "NO")


def test_unknown_user(ferry):
    assert login_error(ferry.port(), "nosuchuser", "whatever") == denied("nosuchuser")
    assert login_error(ferry.port(), "nosuchuser", "") == denied("nosuchuser", "NO")


def test_session_usable_after_failed_logins(ferry):
    for _ in range(5):
        assert login_error(ferry.port(), "app", "bad")[0] == ACCESS_DENIED
    c = connect(ferry.port())
    with c.cursor() as cur:
        cur.execute("SELECT 1")
        assert cur.fetchone() == (1,)
    c.close()


def test_empty_password_account(ferry):
    c = connect(ferry.port(), user="nopass", password="")
    with c.cursor() as cur:
        cur.execute("SELECT CURRENT_USER()")
        assert cur.fetchone() == ("nopass@%",)
    c.close()
    assert login_error(ferry.port(), "nopass", "some_password") == denied("nopass")


def test_host_restricted_account(ferry):
    # hostonly exists only @'10.9.9.9'; from 127.0.0.1 it is an unknown account
    assert login_error(ferry.port(), "hostonly", "hostonly_pw") == denied("hostonly")
    assert login_error(S1_PORT, "hostonly", "hostonly_pw") == denied("hostonly")


def test_database_in_handshake(ferry):
    c = connect(ferry.port(), database="test")
    with c.cursor() as cur:
        cur.execute("SELECT DATABASE()")
        assert cur.fetchone() == ("test",)
    c.close()


def test_database_without_access(ferry):
    # nopass has privileges on test.* only
    want = (DBACCESS_DENIED, "Access denied for user 'nopass'@'%' to database 'mysql'")
    assert login_error(S1_PORT, "nopass", "", database="mysql") == want
    assert login_error(ferry.port(), "nopass", "", database="mysql") == want


def test_unknown_database(ferry):
    want = (BAD_DB, "Unknown database 'no_such_db_here'")
    assert login_error(S1_PORT, "app", "app_pw", database="no_such_db_here") == want
    assert login_error(ferry.port(), "app", "app_pw", database="no_such_db_here") == want


def test_long_user_and_password(ferry):
    user = "u" + uuid.uuid4().hex[:20]          # 21 characters
    pw = "p" * 100
    admin_query(f"CREATE USER '{user}'@'%' IDENTIFIED BY '{pw}'")
    try:
        c = wait_until(lambda: connect(ferry.port(), user=user, password=pw), 15,
                       interval=0.5, what=f"login of new user {user}")
        with c.cursor() as cur:
            cur.execute("SELECT CURRENT_USER()")
            assert cur.fetchone() == (f"{user}@%",)
        c.close()
    finally:
        admin_query(f"DROP USER '{user}'@'%'")


def test_new_user_and_password_change(ferry_factory):
    """Accounts created or changed after ferryd loaded them work once the
    cache is refreshed (a failed login reloads a cache older than
    users_refresh_ms)."""
    f = ferry_factory(users_refresh_ms=1000)
    user = "late_" + uuid.uuid4().hex[:8]
    admin_query(f"CREATE USER '{user}'@'%' IDENTIFIED BY 'pw_one'")
    try:
        admin_query(f"GRANT SELECT ON test.* TO '{user}'@'%'")
        time.sleep(1.2)  # the cache is now older than users_refresh_ms
        t0 = time.monotonic()
        c = wait_until(lambda: connect(f.port(), user=user, password="pw_one"), 10,
                       interval=0.2, what=f"login of the new user {user}")
        took = time.monotonic() - t0
        with c.cursor() as cur:
            cur.execute("SELECT CURRENT_USER()")
            assert cur.fetchone() == (f"{user}@%",)
        c.close()
        assert took < 3, f"the new user needed {took:.1f}s to log in"

        admin_query(f"ALTER USER '{user}'@'%' IDENTIFIED BY 'pw_two'")
        time.sleep(1.2)
        c = wait_until(lambda: connect(f.port(), user=user, password="pw_two"), 10,
                       interval=0.2, what="login with the changed password")
        c.close()
        assert login_error(f.port(), user, "pw_one") == denied(user)
    finally:
        admin_query(f"DROP USER IF EXISTS '{user}'@'%'")


def unknown_user_answering(errno):
    """A fresh user name that s1 refuses with errno while it does not exist.
    MariaDB answers most unknown names with 1045 but, depending on the name,
    some with 1698 (it fakes an auth plugin for names it does not know)."""
    for _ in range(500):
        user = "gone_" + uuid.uuid4().hex[:8]
        answer = login_error(S1_PORT, user, "pw")
        if answer[0] == errno:
            return user, answer
    pytest.fail(f"no name found that s1 refuses with {errno}")


@pytest.mark.parametrize("backend_errno", [1045, 1698])
def test_dropped_user(ferry_factory, backend_errno):
    """A user dropped after ferryd cached it: the first login is refused by
    the backend, and the client gets the backend's own answer. That refusal
    makes Ferry reload its accounts, so the next logins are refused by Ferry
    itself with MariaDB's 1045 text."""
    user, backend_answer = unknown_user_answering(backend_errno)
    f = ferry_factory(users_refresh_ms=1000)
    admin_query(f"CREATE USER '{user}'@'%' IDENTIFIED BY 'pw'")
    try:
        time.sleep(1.2)
        c = wait_until(lambda: connect(f.port(), user=user, password="pw"), 10,
                       interval=0.2, what=f"login of the new user {user}")
        c.close()
    finally:
        admin_query(f"DROP USER IF EXISTS '{user}'@'%'")
    time.sleep(1.2)  # the cache is now older than users_refresh_ms
    assert login_error(f.port(), user, "pw") == backend_answer
    assert f"user '{user}' from 127.0.0.1" in f.log_text()
    assert f"the backend refused it ({backend_errno}: Access denied" in f.log_text()
    wait_until(lambda: login_error(f.port(), user, "pw") == denied(user), 10, interval=0.2,
               what="Ferry's own refusal, from reloaded accounts")
    seen = [login_error(f.port(), user, "pw") for _ in range(3)]
    assert seen == [denied(user)] * 3, f"errors seen through Ferry: {seen}"


@pytest.mark.parametrize("plugin", ["client_ed25519", "dialog"])
def test_auth_switch(ferry, plugin):
    """A client that starts with another plugin is switched to
    mysql_native_password (AuthSwitchRequest) and logs in."""
    for port in (S1_PORT, ferry.port()):
        p = subprocess.run(["mariadb", "--no-defaults", "-h127.0.0.1", f"-P{port}", "-uapp",
                            "-papp_pw", f"--default-auth={plugin}", "-N", "-B", "-e",
                            "SELECT CURRENT_USER()"], capture_output=True, text=True, timeout=30)
        assert (p.returncode, p.stdout, p.stderr) == (0, "app@%\n", ""), f"port {port}"


def test_many_sequential_logins(ferry):
    ids = set()
    for _ in range(200):
        c = connect(ferry.port())
        with c.cursor() as cur:
            cur.execute("SELECT CONNECTION_ID()")
            ids.add(cur.fetchone()[0])
        c.close()
    assert len(ids) == 200


def test_login_refused_no_hang_on_garbage(ferry):
    """A client that sends a malformed handshake response gets an error, and
    Ferry keeps serving."""
    import socket
    s = socket.create_connection(("127.0.0.1", ferry.port()), timeout=5)
    greeting = s.recv(65536)
    assert greeting[4] == 10, "expected a v10 handshake"
    s.sendall(b"\x05\x00\x00\x01garba")
    data = b""
    try:
        while True:
            chunk = s.recv(65536)
            if not chunk:
                break
            data += chunk
    except socket.timeout:
        pytest.fail("ferryd neither answered nor closed after a malformed handshake")
    s.close()
    if data:
        assert data[4] == 0xFF, f"expected an ERR packet, got {data!r}"
    c = connect(ferry.port())
    c.close()
