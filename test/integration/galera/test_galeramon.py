"""test_galeramon.py: galeramon on the real 3-node Galera lab (issue 3, "What
it must show"): priorities and failover by kill -9, failback on and off, the
journal across a ferryd restart, the event script, negative and zero
priorities, an isolated (non-Primary) node, a desynced node, maintenance
through the admin socket, and a monitor user with a wrong password. Every
ferryd logs each snapshot at debug level; the gferry fixture checks that no
snapshot ever had two Masters."""

import os
import socket
import stat
import subprocess
import threading

import galera_helpers as gh
import helpers

FAILOVER_BOUND = gh.INTERVAL_MS / 1000 + gh.CONNECT_TIMEOUT + 1.0  # + slack for lab.sh


def all_synced(s):
    states = s if isinstance(s, dict) else {n: s.states[n] for n in gh.NODES}
    return all("Synced" in st for st in states.values())


def settled(master):
    return lambda s: s.master == master and all_synced(s)


def addr(node):
    return f"[127.0.0.1]:{gh.NODES[node]}"


def make_script(tmp_path):
    """An event script that appends its arguments, '|'-separated, to a file."""
    out = tmp_path / "events.txt"
    script = tmp_path / "event.sh"
    script.write_text("#!/bin/sh\nout=$1; shift\nprintf '%s|' \"$@\" >> \"$out\"\n"
                      "echo >> \"$out\"\n")
    script.chmod(script.stat().st_mode | stat.S_IXUSR)
    cmd = (f"{script} {out} $EVENT $INITIATOR $LIST $NODELIST $MASTERLIST $SLAVELIST "
           f"$SYNCEDLIST $PARENT $CHILDREN")
    return cmd, out


def read_events(out):
    if not os.path.exists(out):
        return []
    keys = ("event", "initiator", "list", "nodelist", "masterlist", "slavelist", "syncedlist",
            "parent", "children")
    return [dict(zip(keys, line.split("|"))) for line in open(out).read().splitlines()]


def test_wrong_password_is_an_auth_error(gferry):
    f = gferry(password="not-the-password")
    s = f.wait(lambda s: True, 10)
    assert s.master is None
    for n in gh.NODES:
        assert s.states[n] == {"Auth Error", "Down"}, s
    log = f.log_text()
    assert "the monitor user 'maxmon' cannot log in" in log
    assert "Access denied for user 'maxmon'" in log


def test_negative_and_zero_priorities(gferry):
    idx = {n: gh.local_index(n) for n in gh.NODES}
    lowest = lambda nodes: min(nodes, key=idx.get)  # noqa: E731
    cases = [
        ({"g1": -1, "g2": 0, "g3": 0}, True, lowest(["g2", "g3"])),
        ({"g1": -1, "g2": 0, "g3": 5}, True, "g3"),   # a positive priority beats 0
        ({"g1": 0, "g2": 0, "g3": 0}, True, lowest(["g1", "g2", "g3"])),
        ({"g1": -1, "g2": 1, "g3": 2}, False, lowest(["g2", "g3"])),  # local index only
    ]
    root = lowest(["g1", "g2", "g3"])  # wsrep_local_index 0
    for prio, use_priority, want in cases + [({}, False, root)]:
        f = gferry(priorities=prio, monitor={"use_priority": use_priority,
                                             "root_node_as_master": not prio})
        s = f.wait(all_synced, 15, "all Synced")
        assert s.master == want, (prio, use_priority, idx, s)
        for n in gh.NODES:
            assert s.states[n] == ({"Master", "Synced", "Running"} if n == want
                                   else {"Slave", "Synced", "Running"}), s
        f.stop()


def test_hung_node_does_not_delay_the_verdict(gferry):
    """A fourth "node" accepts TCP connections and never answers: its poll
    waits connect_timeout, the others' verdict is still published every tick."""
    srv = socket.socket()
    srv.bind(("127.0.0.1", 0))
    srv.listen(16)
    held = []
    stop = threading.Event()

    def accept():
        srv.settimeout(0.2)
        while not stop.is_set():
            try:
                held.append(srv.accept()[0])
            except OSError:
                pass
    t = threading.Thread(target=accept, daemon=True)
    t.start()
    try:
        f = gferry(extra_servers={"hung": srv.getsockname()[1]})
        s0 = f.wait(lambda s: True, 15)
        assert s0.master == "g1" and s0.states["hung"] == {"Down"}, s0
        f.wait(lambda s: s.seq >= s0.seq + 3, 20, "three more ticks")
        snaps = [s for s in f.snapshots() if s.seq >= s0.seq]
        gaps = [b.t - a.t for a, b in zip(snaps, snaps[1:])]
        assert max(gaps) <= gh.INTERVAL_MS / 1000 + gh.CONNECT_TIMEOUT + 0.5, gaps
        assert all(s.master == "g1" and all_synced({n: s.states[n] for n in gh.NODES})
                   for s in snaps[1:]), snaps
        assert "Can't connect to 127.0.0.1" in f.log_text()
    finally:
        stop.set()
        t.join()
        for c in held:
            c.close()
        srv.close()


def test_bad_events_or_script_stop_the_start(tmp_path):
    for monitor, why in (({"events": "master_down,bogus"}, "unknown event 'bogus'"),
                         ({"script": "/nonexistent/notify.sh $EVENT"},
                          "cannot execute '/nonexistent/notify.sh'"),
                         ({"script": "notify 'unbalanced"}, "unbalanced ' quote")):
        f = gh.GaleraFerry(tmp_path / str(len(why)), monitor=monitor)
        p = subprocess.run([helpers.FERRYD, "-c", f.conf], capture_output=True, text=True,
                           timeout=20)
        assert p.returncode != 0
        assert why in f.log_text() + p.stderr, (why, f.log_text(), p.stderr)


def test_kill_master_failover_failback_events_and_journal(gferry, healthy, tmp_path):
    cmd, out = make_script(tmp_path)
    keep = gferry(monitor={"disable_master_failback": True})
    back = gferry(monitor={"script": cmd}, listener=True)
    for f in (keep, back):
        f.wait(settled("g1"), 30, "g1 master, all Synced")
    assert helpers.query(back.port(), "SELECT @@port", user="app")[0][0] == 3311

    t0 = gh.now()
    gh.lab("kill", "g1")
    first = {}
    for name, f in (("failback disabled", keep), ("failback enabled", back)):
        s = first[name] = f.wait_master("g2", 20, since=t0)
        took = s.t - t0
        print(f"\nFAILOVER ({name}): kill -9 g1 -> g2 Master in the snapshot after {took:.2f} s")
        assert took <= FAILOVER_BOUND, f"failover took {took:.2f} s"
        assert s.states["g1"] == {"Down"}
        assert "Master" in s.states["g2"] and "Slave" in s.states["g3"]
    assert helpers.query(back.port(), "SELECT @@port", user="app")[0][0] == 3312

    t1 = gh.now()
    gh.lab("start", "g1", timeout=300)
    s = back.wait(settled("g1"), 60, "failback to g1", since=t1)
    print(f"FAILBACK: g1 restarted (lab.sh start) and Master again {s.t - t1:.2f} s later")
    ks = keep.wait(lambda s: "Synced" in s.states["g1"], 60, "g1 Synced", since=t1)
    keep.wait(lambda s: s.seq >= ks.seq + 3, 10, "three more ticks")
    since_failover = [s for s in keep.snapshots() if s.t >= first["failback disabled"].t]
    assert all(s.master == "g2" for s in since_failover), since_failover

    # the event script: names, order and substituted lists
    ev = helpers.wait_until(lambda: len(read_events(out)) >= 4 and read_events(out), 10, 0.1,
                            "four events")
    all_list = ",".join(addr(n) for n in gh.NODES)
    assert ev[0] == {"event": "master_down", "initiator": addr("g1"), "list": all_list,
                     "nodelist": f"{addr('g2')},{addr('g3')}", "masterlist": addr("g2"),
                     "slavelist": addr("g3"), "syncedlist": f"{addr('g2')},{addr('g3')}",
                     "parent": "", "children": ""}, ev
    assert (ev[1]["event"], ev[1]["initiator"], ev[1]["masterlist"]) == \
        ("new_master", addr("g2"), addr("g2")), ev
    # g1's return: possibly server_up first (joining), then in one tick the old
    # master's new_slave before the new master's event
    tail = [e for e in ev[2:] if e["event"] != "server_up"]
    assert [(e["event"], e["initiator"]) for e in tail][-2:] in (
        [("new_slave", addr("g2")), ("master_up", addr("g1"))],
        [("new_slave", addr("g2")), ("new_master", addr("g1"))]), ev
    assert tail[-1]["masterlist"] == addr("g1")
    assert tail[-1]["slavelist"] == f"{addr('g2')},{addr('g3')}"

    # the journal: a restart of the failback-disabled ferryd keeps g2
    t2 = gh.now()
    keep.restart()
    s = keep.wait(lambda s: True, 15, "the first snapshot", since=t2)
    assert s.master == "g2" and all_synced(s), s
    assert "journal: master was 'g2'" in keep.log_text()
    # ... which is the journal's doing: a fresh datadir elects g1
    fresh = gferry(monitor={"disable_master_failback": True})
    assert fresh.wait(lambda s: True, 15).master == "g1"


def test_desynced_node_is_not_usable(gferry):
    f = gferry(monitor={"interval_ms": 500})
    f.wait(settled("g1"), 30)
    t0 = gh.now()
    gh.sql("g1", "SET GLOBAL wsrep_desync = ON")
    try:
        s = f.wait(lambda s: s.master == "g2", 15, "g2 master", since=t0)
        assert s.states["g1"] == {"Running"}, s
    finally:
        gh.sql("g1", "SET GLOBAL wsrep_desync = OFF")
    t1 = gh.now()
    s = f.wait(settled("g1"), 15, "g1 back", since=t1)
    print(f"\nDESYNC: g1 usable and Master again {s.t - t1:.2f} s after wsrep_desync=OFF")


def test_isolated_master_is_replaced(gferry, healthy):
    f = gferry(monitor={"interval_ms": 500})
    f.wait(settled("g1"), 30)
    t0 = gh.now()
    gh.sql("g1", "SET GLOBAL wsrep_provider_options = 'gmcast.isolate=1'")
    try:
        s = f.wait(lambda s: s.master == "g2", 30, "g2 master", since=t0)
        print(f"\nISOLATE: g1 isolated -> g2 Master after {s.t - t0:.2f} s")
        helpers.wait_until(lambda: gh.node_state("g1")[2] != "Primary", 20, 0.2,
                           "g1 non-Primary")
        t_np = gh.now()
        f.wait(lambda s: True, 5, "a snapshot after g1 is non-Primary", since=t_np + 0.6)
    finally:
        gh.sql("g1", "SET GLOBAL wsrep_provider_options = 'gmcast.isolate=0'")
    t1 = gh.now()
    during = [s for s in f.snapshots() if t_np <= s.t <= t1]
    assert during, "no snapshot while g1 was non-Primary"
    for s in during:
        assert s.master == "g2" and s.states["g1"] == {"Running"}, s
    s = f.wait(settled("g1"), 60, "g1 rejoined and Master", since=t1)
    print(f"ISOLATE: g1 back in the Primary component and Master {s.t - t1:.2f} s after "
          f"gmcast.isolate=0")


def test_maintenance_moves_the_master(gferry):
    f = gferry(monitor={"interval_ms": 500})
    f.wait(settled("g1"), 30)
    t0 = gh.now()
    status, body = f.admin("PUT", "/v1/servers/g1/maintenance")
    assert 200 <= status < 300, (status, body)
    s = f.wait(lambda s: s.master == "g2", 5, "g2 master", since=t0)
    assert s.states["g1"] == {"Maintenance", "Synced", "Running"}, s
    # a priority changed at runtime: g3 (3 -> 1) beats g2 (2)
    t_prio = gh.now()
    status, body = f.admin("PUT", "/v1/servers/g3/priority", {"priority": 1})
    assert 200 <= status < 300, (status, body)
    f.wait(lambda s: s.master == "g3", 5, "g3 master", since=t_prio)
    t_back = gh.now()
    status, body = f.admin("PUT", "/v1/servers/g3/priority", {"priority": 3})
    assert 200 <= status < 300, (status, body)
    f.wait(lambda s: s.master == "g2", 5, "g2 master again", since=t_back)
    # maintenance is in the journal: it survives a restart
    t1 = gh.now()
    f.restart()
    s = f.wait(lambda s: True, 15, "the first snapshot", since=t1)
    assert s.master == "g2" and "Maintenance" in s.states["g1"], s
    t2 = gh.now()
    status, body = f.admin("DELETE", "/v1/servers/g1/maintenance")
    assert 200 <= status < 300, (status, body)
    f.wait(settled("g1"), 5, "g1 master again", since=t2)
