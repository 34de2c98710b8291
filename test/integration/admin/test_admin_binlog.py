"""test_admin_binlog.py: ferryctl and /metrics against a ferryd with the
reference DC shape: galeramon on the lab's Galera cluster, a readconnroute
service and a binlog relay. `binlog status` shows the upstream master, the
committed GTID state, the files and a tailing reader with its position;
the relay's metrics move as the cluster commits."""

import json
import subprocess

import pytest

import helpers
from admin_helpers import api, ferryctl, galera_config_head, need_galera, table_rows

RELAY_SERVER_ID = 7291


def node_query(port, sql):
    return helpers.query(port, sql, user="admin", password="admin_pw")


@pytest.fixture(scope="module")
def dc_ferry(lab, tmp_path_factory):
    need_galera()
    d = tmp_path_factory.mktemp("dc")
    rw_port, relay_port = helpers.free_port(), helpers.free_port()
    start = node_query(3311, "SELECT @@gtid_binlog_pos")[0][0]
    text = galera_config_head(d) + f"""
monitors = ( {{ name = "dc-monitor"; module = "galeramon"; servers = ["g1", "g2", "g3"];
               user = "maxmon"; password = "maxmon_pw"; interval_ms = 300;
               use_priority = true; }} );
services = ( {{ name = "rw"; router = "readconnroute"; cluster = "dc-monitor";
               router_options = "master"; user = "maxscale"; password = "maxscale_pw"; }},
             {{ name = "relay"; router = "binlogrouter"; cluster = "dc-monitor";
               user = "repl"; password = "repl_pw"; server_id = {RELAY_SERVER_ID};
               gtid_start_pos = "{start}"; }} );
listeners = ( {{ name = "rw-listener"; service = "rw"; address = "{helpers.HOST}";
                port = {rw_port}; }},
              {{ name = "relay-listener"; service = "relay"; address = "{helpers.HOST}";
                port = {relay_port}; }} );
"""
    f = helpers.Ferry(d, listeners=[{"name": "rw-listener", "port": rw_port},
                                    {"name": "relay-listener", "port": relay_port}],
                      config_text=text)
    f.start(timeout=30)
    node_query(3311, "CREATE DATABASE IF NOT EXISTS ferry_admin")
    node_query(3311, "CREATE OR REPLACE TABLE ferry_admin.t (id INT PRIMARY KEY, v TEXT)")
    yield f
    f.stop()


def status(ferry):
    return json.loads(ferryctl(ferry, "--json", "binlog", "status", "relay", check=0).stdout)


def metrics(ferry):
    code, text = api(ferry, "GET", "/metrics")
    assert code == 200
    out = {}
    for line in text.splitlines():
        if line and not line.startswith("#"):
            name, value = line.rsplit(" ", 1)
            out[name] = float(value)
    return out


def domain70(gtid_text):
    return [g for g in gtid_text.split(",") if g.startswith("70-")]


def test_binlog_status_shows_upstream_files_and_a_tailing_reader(dc_ferry):
    st = helpers.wait_until(lambda: (lambda s: s if s["upstream"]["running"] and s["files"]
                                     else None)(status(dc_ferry)),
                            20, what="the relay to dump from the master into its first file")
    assert st["upstream"]["master"] == "g1" and st["upstream"]["port"] == 3311
    assert st["server_id"] == RELAY_SERVER_ID
    first = st["files"][0]["name"]
    reader = subprocess.Popen(
        ["mariadb-binlog", "--read-from-remote-server", f"--host={helpers.HOST}",
         f"--port={dc_ferry.port('relay-listener')}", "--user=repl", "--password=repl_pw",
         "--stop-never", "--stop-never-slave-server-id=4242", first],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, errors="replace")
    try:
        for i in range(20):
            node_query(3311, f"INSERT INTO ferry_admin.t VALUES ({i}, REPEAT('x', 1000))")
        want = domain70(node_query(3311, "SELECT @@gtid_binlog_pos")[0][0])

        def caught_up():
            s = status(dc_ferry)
            r = [x for x in s["replicas"] if x["server_id"] == 4242]
            ok = (domain70(s["gtid_committed"]) == want and r and r[0]["state"] == "tailing"
                  and r[0]["behind_bytes"] == 0)
            return s if ok else None
        st = helpers.wait_until(caught_up, 20, what="the reader to tail the relay's end")
        (r,) = [x for x in st["replicas"] if x["server_id"] == 4242]
        assert r["file"] == st["end"]["file"] and r["position"] == st["end"]["position"]
        assert r["bytes_sent"] > 20 * 1000 and r["events_sent"] >= 20 * 3

        table = ferryctl(dc_ferry, "binlog", "status", "relay", check=0).stdout
        assert "Upstream" in table and "Files" in table and "Replicas" in table
        rows = table_rows(table)
        assert ["gtid_committed", st["gtid_committed"]] in rows
        assert ["master", "g1"] in rows
        replica_row = [row for row in rows if row[:2] == ["4242", helpers.HOST]]
        assert replica_row and replica_row[0][2] == "tailing"
    finally:
        reader.kill()
        reader.wait()


def test_relay_metrics_move_with_commits(dc_ferry):
    helpers.wait_until(lambda: status(dc_ferry)["upstream"]["running"], 20,
                       what="the relay to run")
    before = metrics(dc_ferry)
    key = 'ferry_binlog_events_received_total{service="relay"}'
    for i in range(100, 110):
        node_query(3311, f"INSERT INTO ferry_admin.t VALUES ({i}, 'm')")
    seq = int(domain70(node_query(3311, "SELECT @@gtid_binlog_pos")[0][0])[0].split("-")[2])
    committed = 'ferry_binlog_committed_seq_no{service="relay",domain="70"}'
    after = helpers.wait_until(lambda: (lambda m: m if m.get(committed) == seq else None)(
        metrics(dc_ferry)), 20, what=f"the committed seq_no metric to reach {seq}")
    assert after[key] >= before[key] + 10 * 3
    assert after['ferry_binlog_upstream_connected{service="relay"}'] == 1
    assert 0 <= after['ferry_binlog_seconds_since_upstream_event{service="relay"}'] < 5
    assert after['ferry_binlog_upstream_switches_total{service="relay"}'] >= 0


def test_binlog_status_errors(dc_ferry):
    r = ferryctl(dc_ferry, "binlog", "status", "rw", check=None)
    assert (r.returncode, r.stderr.strip()) == (1, "ferryctl: service 'rw' is not a binlog relay")
    r = ferryctl(dc_ferry, "binlog", "status", "nope", check=None)
    assert (r.returncode, r.stderr.strip()) == (1, "ferryctl: no service named 'nope'")
