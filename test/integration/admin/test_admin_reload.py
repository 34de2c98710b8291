"""test_admin_reload.py: ferryctl reload. An unchanged file changes
nothing; log_level and a server's priority apply at once; other changes
are listed as needing a restart and are not applied; a file with an error
is refused with its file:line message and ferryd keeps working; every
service reloads its user accounts."""

import json

import pytest

import helpers
from admin_helpers import ferryctl


@pytest.fixture
def reload_ferry(ferry_factory):
    f = ferry_factory()
    with open(f.conf) as fh:
        f.original = fh.read()
    return f


def rewrite(ferry, *pairs):
    text = ferry.original
    for old, new in pairs:
        assert old in text, old
        text = text.replace(old, new, 1)
    with open(ferry.conf, "w") as fh:
        fh.write(text)


def reload_json(ferry):
    return json.loads(ferryctl(ferry, "--json", "reload", check=0).stdout)


def test_unchanged_file_changes_nothing(reload_ferry):
    out = ferryctl(reload_ferry, "reload", check=0).stdout
    assert out.splitlines()[:2] == ["Applied: none", "Needs a restart (not applied): none"]
    assert reload_json(reload_ferry) == {"applied": [], "restart_required": [],
                                         "users_reloaded": ["conn"]}


def test_runtime_changes_apply_and_others_wait_for_a_restart(reload_ferry):
    port = reload_ferry.port()
    new_port = helpers.free_port()
    rewrite(reload_ferry,
            ('log_level = "info"', 'log_level = "debug"'),
            (f'port = {helpers.S1_PORT}; }}', f'port = {helpers.S1_PORT}; priority = 7; }}'),
            (f"port = {port};", f"port = {new_port};"))
    got = reload_json(reload_ferry)
    assert sorted(got["applied"]) == ['ferry.log_level: "info" -> "debug"',
                                      "servers.s1.priority: 0 -> 7"]
    assert got["restart_required"] == [f"listeners.plain.port: {port} -> {new_port}"]
    s1 = json.loads(ferryctl(reload_ferry, "--json", "show", "server", "s1", check=0).stdout)
    helpers.wait_until(lambda: json.loads(ferryctl(
        reload_ferry, "--json", "show", "server", "s1", check=0).stdout)["priority"] == 7, 10,
        what="the monitor to apply priority 7")
    # debug lines now reach the log; the old port still serves.
    assert helpers.query(port, "SELECT 1") == ((1,),)
    helpers.wait_until(lambda: " debug " in reload_ferry.log_text(), 10, what="a debug line")
    assert "needs a restart to take effect: listeners.plain.port" in reload_ferry.log_text()
    # What was applied is now the running configuration: shown, and not applied twice.
    assert s1["parameters"]["priority"] == 7
    again = reload_json(reload_ferry)
    assert again["applied"] == []
    assert again["restart_required"] == [f"listeners.plain.port: {port} -> {new_port}"]


def test_broken_file_is_refused_and_nothing_changes(reload_ferry):
    rewrite(reload_ferry, ('log_level = "info"', 'log_level = "info"; colour = "blue"'))
    r = ferryctl(reload_ferry, "reload", check=None)
    assert r.returncode == 1
    assert r.stderr.startswith("ferryctl: not reloaded (nothing changed): ")
    assert "unknown parameter 'colour'" in r.stderr and reload_ferry.conf in r.stderr
    assert helpers.query(reload_ferry.port(), "SELECT 1") == ((1,),)
    assert "reload refused, the running configuration is unchanged" in reload_ferry.log_text()


def test_reload_loads_accounts_made_since(ferry_factory):
    """With users_refresh_ms at an hour, a failed login does not reload the
    accounts; ferryctl reload does."""
    f = ferry_factory(users_refresh_ms=3600000)
    helpers.admin_query("CREATE USER 'reload_u'@'%' IDENTIFIED BY 'reload_pw'")
    try:
        err = helpers.login_error(f.port(), "reload_u", "reload_pw")
        assert err and err[0] == 1045, err
        ferryctl(f, "reload", check=0)
        helpers.wait_until(lambda: helpers.login_error(f.port(), "reload_u", "reload_pw") is None,
                           10, what="the new account to work after reload")
    finally:
        helpers.admin_query("DROP USER IF EXISTS 'reload_u'@'%'")
