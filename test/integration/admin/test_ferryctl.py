"""test_ferryctl.py: every ferryctl command against a running ferryd: the
lists as tables that match their --json objects, show, set/clear
maintenance and drain, alter priority, kill session (and the session is
gone), rotate logs, metrics, help for each command, exit statuses and
FERRY_SOCKET."""

import json
import os

import pytest

import helpers
from admin_helpers import ferryctl, socket_path, table_rows

LISTS = {
    "servers": ["Server", "Address", "Port", "Connections", "State", "GTID"],
    "services": ["Service", "Router", "Connections", "Servers"],
    "listeners": ["Listener", "Service", "Address", "Port", "TLS", "Connections"],
    "monitors": ["Monitor", "Module", "Master", "Servers", "Ticks"],
    "sessions": ["Id", "Client", "User", "Service", "State", "Age"],
}


def cell(v):
    if isinstance(v, list):
        return ", ".join(str(x) for x in v)
    if v is None:
        return ""
    if isinstance(v, bool):
        return "true" if v else "false"
    return str(v)


@pytest.mark.parametrize("what", sorted(LISTS))
def test_list_table_matches_json(admin_ferry, what):
    c = helpers.connect(admin_ferry.port())  # so that sessions has a row
    try:
        table = ferryctl(admin_ferry, "list", what, check=0).stdout
        objs = json.loads(ferryctl(admin_ferry, "--json", "list", what, check=0).stdout)
    finally:
        c.close()
    rows = table_rows(table)
    assert table.startswith("┌") and table.rstrip().endswith("┘")
    header = rows[0]
    assert header[:len(LISTS[what])] == LISTS[what] or set(LISTS[what]) <= set(header)
    assert len(rows) - 1 == len(objs) and objs
    first_key = {"sessions": "id"}.get(what, "name")
    for row, obj in zip(rows[1:], objs):
        assert row[0] == str(obj[first_key])


def test_list_servers_json_shape(admin_ferry):
    (s1,) = json.loads(ferryctl(admin_ferry, "--json", "list", "servers", check=0).stdout)
    for key in ("name", "address", "port", "connections", "state", "gtid"):
        assert key in s1
    assert isinstance(s1["state"], list) and "Running" in s1["state"]
    rows = table_rows(ferryctl(admin_ferry, "list", "servers", check=0).stdout)
    assert rows[1] == ["s1", helpers.HOST, str(helpers.S1_PORT), str(s1["connections"]),
                       cell(s1["state"]), s1["gtid"]]


@pytest.mark.parametrize("kind,name", [("server", "s1"), ("monitor", "mon"),
                                       ("service", "conn"), ("listener", None)])
def test_show(admin_ferry, kind, name):
    name = name or admin_ferry.listeners[0]["name"]
    out = ferryctl(admin_ferry, "show", kind, name, check=0).stdout
    rows = table_rows(out)
    assert rows[0] == ["Field", "Value"]
    assert ["name", name] in rows
    obj = json.loads(ferryctl(admin_ferry, "--json", "show", kind, name, check=0).stdout)
    assert obj["name"] == name
    assert "password" not in out


def test_show_and_kill_session(admin_ferry):
    c = helpers.connect(admin_ferry.port())
    try:
        sessions = json.loads(ferryctl(admin_ferry, "--json", "list", "sessions", check=0).stdout)
        (mine,) = [s for s in sessions if s["user"] == "app"]
        sid = str(mine["id"])
        rows = table_rows(ferryctl(admin_ferry, "show", "session", sid, check=0).stdout)
        assert ["id", sid] in rows and ["user", "app"] in rows
        assert ferryctl(admin_ferry, "kill", "session", sid, check=0).stdout == "OK\n"
        helpers.wait_until(
            lambda: sid not in [r[0] for r in table_rows(
                ferryctl(admin_ferry, "list", "sessions", check=0).stdout)[1:]],
            5, what="the killed session to leave the list")
        with pytest.raises(Exception):
            with c.cursor() as cur:
                cur.execute("SELECT 1")
        p = ferryctl(admin_ferry, "kill", "session", sid, check=1)
        assert f"no session with id {sid}" in p.stderr
    finally:
        c.close()


def server_state(ferry):
    (s1,) = json.loads(ferryctl(ferry, "--json", "list", "servers", check=0).stdout)
    return s1["state"]


@pytest.mark.parametrize("flag,state", [("maintenance", "Maintenance"), ("drain", "Draining")])
def test_set_clear(admin_ferry, flag, state):
    assert ferryctl(admin_ferry, "set", "server", "s1", flag, check=0).stdout == "OK\n"
    assert state in server_state(admin_ferry)
    assert state in table_rows(ferryctl(admin_ferry, "list", "servers", check=0).stdout)[1][4]
    assert ferryctl(admin_ferry, "clear", "server", "s1", flag, check=0).stdout == "OK\n"
    assert state not in server_state(admin_ferry)


def test_alter_priority(admin_ferry):
    ferryctl(admin_ferry, "alter", "server", "s1", "priority", "7", check=0)
    obj = json.loads(ferryctl(admin_ferry, "--json", "show", "server", "s1", check=0).stdout)
    assert obj["priority"] == 7
    ferryctl(admin_ferry, "alter", "server", "s1", "priority", "0", check=0)
    p = ferryctl(admin_ferry, "alter", "server", "s1", "priority", "x", check=1)
    assert "not an integer" in p.stderr


def test_rotate_logs_and_metrics(admin_ferry):
    os.rename(admin_ferry.log, admin_ferry.log + ".old")
    assert ferryctl(admin_ferry, "rotate", "logs", check=0).stdout == "OK\n"
    assert os.path.exists(admin_ferry.log)
    out = ferryctl(admin_ferry, "metrics", check=0).stdout
    assert 'ferry_server_up{server="s1"} 1' in out


@pytest.mark.parametrize("args,words", [
    (["show", "server", "nope"], "no server named 'nope'"),
    (["set", "server", "nope", "maintenance"], "no server named 'nope'"),
    (["set", "server", "s1", "sleepy"], "expected maintenance or drain"),
    (["show", "monitor", "nope"], "no monitor named 'nope'"),
])
def test_api_errors_exit_1(admin_ferry, args, words):
    p = ferryctl(admin_ferry, *args, check=1)
    assert words in p.stderr and p.stdout == ""


@pytest.mark.parametrize("args", [["list"], ["list", "nothing"], ["frobnicate"],
                                  ["show", "server"], ["kill", "session", "1", "2"]])
def test_usage_errors_exit_2(admin_ferry, args):
    p = ferryctl(admin_ferry, *args, check=2)
    assert p.stderr


def test_help(admin_ferry):
    out = ferryctl(None, "--help", check=0).stdout
    for words in ("list servers", "show session ID", "set server NAME maintenance|drain",
                  "alter server NAME priority N", "kill session ID", "rotate logs", "keygen",
                  "encrypt PASSWORD", "--json", "FERRY_SOCKET"):
        assert words in out
    for cmd in (["list", "servers"], ["show", "server"], ["set", "server"], ["clear", "server"],
                ["alter", "server"], ["kill", "session"], ["rotate", "logs"], ["keygen"],
                ["encrypt"], ["metrics"]):
        p = ferryctl(None, *cmd, "--help", check=0)
        assert p.stdout.startswith("Usage:\n  ferryctl " + " ".join(cmd))
        assert ferryctl(None, "help", *cmd, check=0).stdout == p.stdout


def test_socket_from_environment(admin_ferry):
    env = dict(os.environ, FERRY_SOCKET=socket_path(admin_ferry))
    p = ferryctl(None, "list", "monitors", env=env, check=0)
    assert table_rows(p.stdout)[1][0] == "mon"


def test_no_ferryd(tmp_path):
    p = ferryctl(None, "-S", str(tmp_path / "none.sock"), "list", "servers", check=1)
    assert "cannot connect to ferryd's admin socket" in p.stderr and "is ferryd running" in p.stderr
