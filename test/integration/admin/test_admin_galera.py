"""test_admin_galera.py: ferryctl against a ferryd whose galeramon watches the
lab's Galera cluster (g1 g2 g3, use_priority) with a readconnroute service:
maintenance on the master moves the Master role and clearing it gives it
back; a priority change moves it too; list servers shows Galera states and
its --json matches the table."""

import json

import pytest

import helpers
from helpers import Ferry
from admin_helpers import GALERA_NODES, api, ferryctl, galera_config_head, need_galera, table_rows

NODES = GALERA_NODES


@pytest.fixture(scope="module")
def galera_ferry(lab, tmp_path_factory):
    need_galera()
    d = tmp_path_factory.mktemp("galera")
    port = helpers.free_port()
    text = galera_config_head(d) + f"""
monitors = ( {{ name = "galera-monitor"; module = "galeramon"; servers = ["g1", "g2", "g3"];
               user = "maxmon"; password = "maxmon_pw"; interval_ms = 300;
               use_priority = true; available_when_donor = true; }} );
services = ( {{ name = "rw"; router = "readconnroute"; cluster = "galera-monitor";
               router_options = "master"; user = "maxscale"; password = "maxscale_pw"; }} );
listeners = ( {{ name = "rw-listener"; service = "rw"; address = "{helpers.HOST}";
                port = {port}; }} );
"""
    f = Ferry(d, listeners=[{"name": "rw-listener", "port": port}], config_text=text)
    f.start(timeout=30)
    yield f
    for n, _, prio in NODES:
        ferryctl(f, "clear", "server", n, "maintenance")
        ferryctl(f, "alter", "server", n, "priority", str(prio))
    f.stop()


def servers(ferry):
    return {s["name"]: s for s in
            json.loads(ferryctl(ferry, "--json", "list", "servers", check=0).stdout)}


def master(ferry):
    masters = [n for n, s in servers(ferry).items() if "Master" in s["state"]]
    return masters[0] if len(masters) == 1 else None


def wait_master(ferry, pred, what):
    return helpers.wait_until(lambda: (lambda m: m if m and pred(m) else None)(master(ferry)),
                              20, what=what)


def test_list_servers_galera(galera_ferry):
    m = wait_master(galera_ferry, lambda m: True, "a master")
    rows = table_rows(ferryctl(galera_ferry, "list", "servers", check=0).stdout)
    objs = servers(galera_ferry)
    assert [r[0] for r in rows[1:]] == ["g1", "g2", "g3"]
    for r in rows[1:]:
        o = objs[r[0]]
        assert r[4] == ", ".join(o["state"]) and r[5] == o["gtid"]
        assert "Running" in o["state"]
    assert "Synced" in objs[m]["state"]


def test_maintenance_moves_master(galera_ferry):
    old = wait_master(galera_ferry, lambda m: True, "a master")
    ferryctl(galera_ferry, "set", "server", old, "maintenance", check=0)
    new = wait_master(galera_ferry, lambda m: m != old, "the master to move off " + old)
    assert "Maintenance" in servers(galera_ferry)[old]["state"]
    assert helpers.query(galera_ferry.port(), "SELECT 1") == ((1,),)
    ferryctl(galera_ferry, "clear", "server", old, "maintenance", check=0)
    wait_master(galera_ferry, lambda m: m == old, "the master to come back to " + old)
    assert new != old


def test_priority_moves_master(galera_ferry):
    old = wait_master(galera_ferry, lambda m: True, "a master")
    prio = servers(galera_ferry)[old]["priority"]
    ferryctl(galera_ferry, "alter", "server", old, "priority", "100", check=0)
    assert servers(galera_ferry)[old]["priority"] == 100
    wait_master(galera_ferry, lambda m: m != old, "the master to move off " + old)
    ferryctl(galera_ferry, "alter", "server", old, "priority", str(prio), check=0)
    wait_master(galera_ferry, lambda m: m == old, "the master to come back to " + old)


def master_changes(ferry):
    code, text = api(ferry, "GET", "/metrics")
    assert code == 200
    (line,) = [x for x in text.splitlines()
               if x.startswith('ferry_monitor_master_changes_total{monitor="galera-monitor"}')]
    return float(line.rsplit(" ", 1)[1])


def test_switchover_moves_master_and_it_stays(galera_ferry):
    old = wait_master(galera_ferry, lambda m: True, "a master")
    target = "g3" if old != "g3" else "g2"
    changes = master_changes(galera_ferry)
    out = ferryctl(galera_ferry, "switchover", "galera-monitor", target, check=0).stdout
    assert out.strip() == "OK"
    assert master_changes(galera_ferry) == changes + 1
    # The reply came once the monitor showed it: no waiting needed.
    assert master(galera_ferry) == target
    mon = json.loads(ferryctl(galera_ferry, "--json", "show", "monitor", "galera-monitor",
                              check=0).stdout)
    assert mon["switchover_target"] == target and mon["master"] == target
    # It stays although its priority is not the best: several ticks later.
    helpers.wait_until(lambda: json.loads(ferryctl(
        galera_ferry, "--json", "show", "monitor", "galera-monitor", check=0).stdout)["seq"]
        > mon["seq"] + 3, 10, what="three monitor ticks")
    assert master(galera_ferry) == target
    assert helpers.query(galera_ferry.port(), "SELECT @@port") == ((dict(
        (n, p) for n, p, _ in NODES)[target],),)
    # Maintenance on the target ends the switchover: back to the election by priority.
    ferryctl(galera_ferry, "set", "server", target, "maintenance", check=0)
    wait_master(galera_ferry, lambda m: m == "g1", "the master to return to g1")
    ferryctl(galera_ferry, "clear", "server", target, "maintenance", check=0)
    mon = json.loads(ferryctl(galera_ferry, "--json", "show", "monitor", "galera-monitor",
                              check=0).stdout)
    assert mon["switchover_target"] is None
    assert "is not usable: back to the normal master election" in galera_ferry.log_text()


def test_switchover_without_target_and_errors(galera_ferry):
    wait_master(galera_ferry, lambda m: m == "g1", "g1 as master")
    r = ferryctl(galera_ferry, "switchover", "galera-monitor", check=None)
    assert r.returncode == 0, r.stderr
    assert master(galera_ferry) == "g2"  # the best priority after g1
    cases = [(("switchover", "galera-monitor", "g2"),
              "cannot switch over to 'g2': it is already the master"),
             (("switchover", "galera-monitor", "nope"),
              "monitor 'galera-monitor' watches no server named 'nope'"),
             (("switchover", "nope"), "no monitor named 'nope'")]
    ferryctl(galera_ferry, "set", "server", "g3", "maintenance", check=0)
    cases.append((("switchover", "galera-monitor", "g3"),
                  "cannot switch over to 'g3': it is in maintenance or draining"))
    try:
        for args, msg in cases:
            r = ferryctl(galera_ferry, *args, check=None)
            assert (r.returncode, r.stderr.strip()) == (1, "ferryctl: " + msg), args
    finally:
        ferryctl(galera_ferry, "clear", "server", "g3", "maintenance", check=0)
        ferryctl(galera_ferry, "switchover", "galera-monitor", "g1", check=0)
    assert master(galera_ferry) == "g1"
