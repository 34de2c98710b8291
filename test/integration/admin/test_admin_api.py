"""test_admin_api.py: the admin socket's HTTP API against a running ferryd in
front of s1: every resource, JSON errors with their HTTP status, the socket's
mode, and another uid refused (by the file mode, and by SO_PEERCRED when the
mode would let it in)."""

import os
import pwd
import shutil
import stat
import subprocess
import tempfile

import pytest

import helpers
from admin_helpers import api, ferryctl, socket_path, FERRYCTL

TEST_USER = "ferrytest"


def test_index_lists_resources(admin_ferry):
    status, body = api(admin_ferry, "GET", "/v1")
    assert status == 200
    assert "GET /v1/servers" in body["resources"]
    assert "DELETE /v1/sessions/*" in body["resources"]


def test_servers(admin_ferry):
    status, servers = api(admin_ferry, "GET", "/v1/servers")
    assert status == 200
    (s1,) = servers
    assert s1["name"] == "s1" and s1["address"] == helpers.HOST and s1["port"] == helpers.S1_PORT
    assert "Master" in s1["state"] and "Running" in s1["state"]
    assert s1["monitor"] == "mon"
    assert s1["gtid"] and isinstance(s1["connections"], int)
    status, one = api(admin_ferry, "GET", "/v1/servers/s1")
    assert status == 200 and one["name"] == "s1" and one["parameters"]["port"] == helpers.S1_PORT


def test_monitors_services_listeners(admin_ferry):
    status, mons = api(admin_ferry, "GET", "/v1/monitors")
    assert status == 200 and mons[0]["name"] == "mon" and mons[0]["master"] == "s1"
    status, mon = api(admin_ferry, "GET", "/v1/monitors/mon")
    assert status == 200 and mon["snapshot"]["servers"][0]["name"] == "s1"
    assert "password" not in mon["parameters"]
    status, svcs = api(admin_ferry, "GET", "/v1/services")
    assert status == 200 and svcs[0]["name"] == "conn" and svcs[0]["router"] == "readconnroute"
    assert svcs[0]["servers"] == ["s1"]
    status, svc = api(admin_ferry, "GET", "/v1/services/conn")
    assert status == 200 and svc["parameters"]["router_options"] == "master"
    assert "password" not in svc["parameters"]
    status, lsts = api(admin_ferry, "GET", "/v1/listeners")
    assert status == 200 and lsts[0]["port"] == admin_ferry.port()
    status, lst = api(admin_ferry, "GET", f"/v1/listeners/{lsts[0]['name']}")
    assert status == 200 and lst["service"] == "conn"


def test_sessions_and_kill(admin_ferry):
    c = helpers.connect(admin_ferry.port())
    try:
        status, sessions = api(admin_ferry, "GET", "/v1/sessions")
        assert status == 200
        mine = [s for s in sessions if s["user"] == "app"]
        assert len(mine) == 1 and mine[0]["service"] == "conn" and mine[0]["state"] == "Routing"
        sid = mine[0]["id"]
        status, one = api(admin_ferry, "GET", f"/v1/sessions/{sid}")
        assert status == 200 and one["id"] == sid
        status, services = api(admin_ferry, "GET", "/v1/services")
        assert services[0]["connections"] == 1
        status, body = api(admin_ferry, "DELETE", f"/v1/sessions/{sid}")
        assert status == 200 and body == {"id": sid, "killed": True}
        helpers.wait_until(lambda: api(admin_ferry, "GET", f"/v1/sessions/{sid}")[0] == 404, 5,
                           what="the killed session to be gone")
        with pytest.raises(Exception):
            with c.cursor() as cur:
                cur.execute("SELECT 1")
    finally:
        c.close()


@pytest.mark.parametrize("method,path,status,words", [
    ("GET", "/v1/servers/nope", 404, "no server named 'nope'"),
    ("GET", "/v1/monitors/nope", 404, "no monitor named 'nope'"),
    ("GET", "/v1/services/nope", 404, "no service named 'nope'"),
    ("GET", "/v1/listeners/nope", 404, "no listener named 'nope'"),
    ("GET", "/v1/sessions/999999", 404, "no session with id 999999"),
    ("DELETE", "/v1/sessions/abc", 400, "not a session id"),
    ("GET", "/v1/nothing", 404, "no such resource"),
    ("POST", "/v1/servers", 405, "method not allowed"),
    ("PUT", "/v1/servers/nope/maintenance", 404, "no server named"),
    ("PUT", "/v1/servers/s1/priority", 400, "JSON object"),
])
def test_errors(admin_ferry, method, path, status, words):
    got, body = api(admin_ferry, method, path)
    assert got == status
    assert words in body["error"]


def test_priority_body_checked(admin_ferry):
    status, body = api(admin_ferry, "PUT", "/v1/servers/s1/priority", {"priority": "high"})
    assert status == 400 and "priority" in body["error"]


def test_maintenance_and_drain(admin_ferry):
    for flag, state in (("maintenance", "Maintenance"), ("drain", "Draining")):
        status, srv = api(admin_ferry, "PUT", f"/v1/servers/s1/{flag}")
        assert status == 200 and state in srv["state"]
        status, srv = api(admin_ferry, "DELETE", f"/v1/servers/s1/{flag}")
        assert status == 200 and state not in srv["state"]


def test_rotate_logs(admin_ferry):
    moved = admin_ferry.log + ".1"
    os.rename(admin_ferry.log, moved)
    status, body = api(admin_ferry, "POST", "/v1/rotate-logs")
    assert status == 200 and body["rotated"] is True
    assert os.path.exists(admin_ferry.log)
    assert "log file reopened" in open(admin_ferry.log).read()


def test_socket_mode(admin_ferry):
    st = os.stat(socket_path(admin_ferry))
    assert stat.S_ISSOCK(st.st_mode) and stat.S_IMODE(st.st_mode) == 0o660


def ensure_test_user():
    if os.geteuid() != 0:
        pytest.skip("needs root to create a test user")
    try:
        return pwd.getpwnam(TEST_USER)
    except KeyError:
        subprocess.run(["useradd", "-M", "-s", "/usr/sbin/nologin", TEST_USER], check=True)
        return pwd.getpwnam(TEST_USER)


def test_other_uid_refused(ferry_factory, tmp_path):
    """The socket sits in a directory anyone may enter, so only its own mode
    and SO_PEERCRED keep another uid out."""
    user = ensure_test_user()
    ctl = tmp_path / "ferryctl"
    shutil.copy(FERRYCTL, ctl)
    open_dir = tempfile.mkdtemp(prefix="ferry-admin-")
    os.chmod(open_dir, 0o711)
    os.chmod(tmp_path, 0o755)
    f = ferry_factory(start=False)
    f.admin_socket = os.path.join(open_dir, "ferryd.sock")
    text = open(f.conf).read().replace(f'admin_socket = "{f.dir}/ferryd.sock"',
                                       f'admin_socket = "{f.admin_socket}"')
    with open(f.conf, "w") as fh:
        fh.write(text)
    f.start()
    as_user = ["setpriv", f"--reuid={user.pw_uid}", f"--regid={user.pw_gid}", "--clear-groups",
               str(ctl), "-S", f.admin_socket, "list", "servers"]
    try:
        # the file mode (0660, root's) keeps it out ...
        p = subprocess.run(as_user, capture_output=True, text=True)
        assert p.returncode == 1 and "Permission denied" in p.stderr
        # ... and so does SO_PEERCRED when the mode would let it in
        os.chmod(f.admin_socket, 0o666)
        p = subprocess.run(as_user, capture_output=True, text=True)
        assert p.returncode == 1
        assert f"uid {user.pw_uid} may not use the admin socket" in p.stderr
        assert f"refused a request from uid {user.pw_uid}" in f.log_text()
        assert ferryctl(f, "list", "servers", check=0).stdout  # root still may
    finally:
        f.stop()
        shutil.rmtree(open_dir, ignore_errors=True)
