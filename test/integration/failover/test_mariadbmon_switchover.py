"""test_mariadbmon_switchover.py: ferryctl switchover with mariadbmon on a
master and a replica of their own (blr_helpers.Mariadbd), with a
readconnroute service and a binlog relay following the monitor.

The switchover makes the replica the master (writable, no replication) and
the old master its replica; writes through Ferry land on the new master and
reach the old one; the relay moves with the master and loses nothing; the
way back works too. A switchover that cannot catch up (replica stopped) is
refused with the reason and leaves the old master writable."""

import json

import pymysql
import pytest

import blr_helpers as bh
from mariadbd import start_ferry_in_front
import helpers
from admin_helpers import ferryctl
from helpers import HOST, wait_until

EXTRA = ("log_slave_updates=ON", "skip_slave_start=ON")


def replicate(replica, master):
    replica.root(f"CHANGE MASTER TO MASTER_HOST='{HOST}', MASTER_PORT={master.port}, "
                 "MASTER_USER='repl', MASTER_PASSWORD='repl_pw', MASTER_USE_GTID=slave_pos; "
                 "SET GLOBAL read_only=1; START SLAVE")


@pytest.fixture(scope="module")
def pair(tmp_path_factory):
    a = bh.Mariadbd("swa", 9300, 93, extra=EXTRA)
    b = bh.Mariadbd("swb", 9301, 94, extra=EXTRA)
    try:
        for s in (a, b):
            s.install().start()
            s.root(bh.ACCOUNTS_SQL)
            s.root("SET sql_log_bin=0; GRANT SUPER, RELOAD, REPLICATION SLAVE ADMIN, "
                   "READ_ONLY ADMIN ON *.* TO 'maxmon'@'%'")
        replicate(b, a)
        a.root("CREATE DATABASE sw; CREATE TABLE sw.t (id INT PRIMARY KEY, who VARCHAR(8))")
        a.root("INSERT INTO sw.t VALUES (1, 'a')")
        wait_until(lambda: b.root("SELECT COUNT(*) FROM sw.t") == [["1"]], 20,
                   what="swb to replicate from swa")
        extra = (' replication_user = "repl"; replication_password = "repl_pw";'
                 " switchover_timeout_ms = 5000;")
        f = start_ferry_in_front(tmp_path_factory.mktemp("mdbsw"),
                                 [("swa", a.port, ""), ("swb", b.port, "")], 7391, extra)
        try:
            yield a, b, f
        finally:
            f.stop()
    finally:
        for s in (a, b):
            s.stop()


def servers(ferry):
    return {s["name"]: s["state"] for s in
            json.loads(ferryctl(ferry, "--json", "list", "servers", check=0).stdout)}


def slave_status(server):
    rows = helpers.fetch_all(server.connect(user="admin", password="admin_pw",
                                            cursorclass=pymysql.cursors.DictCursor),
                             "SHOW SLAVE STATUS")
    return {k: str(v) for k, v in (rows[0] if rows else {}).items()}


def relay_gtid(ferry):
    return json.loads(ferryctl(ferry, "--json", "binlog", "status", "relay",
                               check=0).stdout)["gtid_committed"]


def write(ferry, row, who):
    helpers.query(ferry.port("rw-listener"), f"INSERT INTO sw.t VALUES ({row}, '{who}')",
                  user="app", password="app_pw")


def switch_and_check(a, b, ferry, row):
    """Switches over from a to b and checks the new topology and the data."""
    wait_until(lambda: "Master" in servers(ferry)[a.name], 20, what=f"{a.name} as master")
    r = ferryctl(ferry, "switchover", "mon", b.name, check=None)
    assert (r.returncode, r.stdout.strip()) == (0, "OK"), r.stderr
    st = servers(ferry)
    assert "Master" in st[b.name]
    assert b.value("SELECT @@read_only") == "0" and b.root("SHOW ALL SLAVES STATUS") == []
    assert a.value("SELECT @@read_only") == "1"
    wait_until(lambda: slave_status(a).get("Slave_IO_Running") == "Yes", 20,
               what=f"{a.name} to replicate from {b.name}")
    assert slave_status(a)["Master_Port"] == str(b.port)
    assert slave_status(a)["Using_Gtid"] == "Current_Pos"
    wait_until(lambda: "Slave" in servers(ferry)[a.name], 20, what=f"{a.name} as Slave")
    write(ferry, row, b.name)
    assert b.root(f"SELECT who FROM sw.t WHERE id = {row}") == [[b.name]]
    wait_until(lambda: a.root(f"SELECT who FROM sw.t WHERE id = {row}") == [[b.name]], 20,
               what=f"row {row} to reach {a.name}")
    want = b.value("SELECT @@gtid_binlog_pos")
    wait_until(lambda: relay_gtid(ferry) == want, 20,
               what=f"the relay to follow {b.name} to {want} (it has {relay_gtid(ferry)})")


def test_switchover_and_back(pair):
    a, b, ferry = pair
    write(ferry, 2, "a")
    switch_and_check(a, b, ferry, 3)
    switch_and_check(b, a, ferry, 4)
    assert a.root("SELECT COUNT(*) FROM sw.t") == [["4"]]
    assert b.root("SELECT COUNT(*) FROM sw.t") == [["4"]]
    log = ferry.log_text()
    assert "switchover from 'swa' to 'swb' done" in log
    assert "switchover from 'swb' to 'swa' done" in log


def test_switchover_that_cannot_catch_up_is_undone(pair):
    a, b, ferry = pair
    wait_until(lambda: "Slave" in servers(ferry).get(b.name, []), 20, what="swb as Slave")
    lock = b.connect(user="admin", password="admin_pw")
    try:
        with lock.cursor() as cur:  # swb's SQL thread waits for this lock
            cur.execute("LOCK TABLES sw.t WRITE")
        write(ferry, 5, "a")
        r = ferryctl(ferry, "switchover", "mon", b.name, check=None)
    finally:
        lock.close()
    assert r.returncode == 1
    assert "did not apply the old master's GTID" in r.stderr, r.stderr
    assert a.value("SELECT @@read_only") == "0"
    assert "Master" in servers(ferry)[a.name]
    write(ferry, 6, "a")
    wait_until(lambda: b.root("SELECT COUNT(*) FROM sw.t") == [["6"]], 20,
               what="swb to catch up again")
    assert "switchover from 'swa' to 'swb' failed" in ferry.log_text()
