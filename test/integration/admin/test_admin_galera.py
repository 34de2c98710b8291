"""test_admin_galera.py: ferryctl against a ferryd whose galeramon watches the
lab's Galera cluster (g1 g2 g3, use_priority) with a readconnroute service:
maintenance on the master moves the Master role and clearing it gives it
back; a priority change moves it too; list servers shows Galera states and
its --json matches the table."""

import json
import socket

import pytest

import helpers
from helpers import Ferry
from admin_helpers import ferryctl, table_rows

NODES = (("g1", 3311, 1), ("g2", 3312, 2), ("g3", 3313, 3))


def galera_up():
    for _, port, _ in NODES:
        try:
            socket.create_connection((helpers.HOST, port), timeout=1).close()
        except OSError:
            return False
    return True


@pytest.fixture(scope="module")
def galera_ferry(lab, tmp_path_factory):
    if not galera_up():
        pytest.skip("the lab's Galera nodes are not running (lab.sh up galera)")
    d = tmp_path_factory.mktemp("galera")
    port = helpers.free_port()
    servers = ",\n  ".join(f'{{ name = "{n}"; address = "{helpers.HOST}"; port = {p}; '
                           f'priority = {prio}; }}' for n, p, prio in NODES)
    text = f"""ferry = {{ threads = 2; log_file = "{d}/ferryd.log"; log_level = "info";
          admin_socket = "{d}/ferryd.sock"; datadir = "{d}"; }};
servers = ( {servers} );
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
