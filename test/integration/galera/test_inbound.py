"""test_inbound.py: the inbound cross-DC channel (inbound_replication) on the
real lab, with the standalone r1 as the remote site: the channel runs on the
Galera master only, moves to the new master when the master is killed, is
removed from the old master when it comes back, and every row written on the
remote arrives in the cluster exactly once."""

import random
import threading
import time

import pymysql
import pytest

import galera_helpers as gh
import helpers

CHANNEL = "DR"
LOCAL_DOMAINS = {70, 71, 72, 73}


def drop_channel(node):
    for stmt in (f"STOP SLAVE '{CHANNEL}'", f"RESET SLAVE '{CHANNEL}' ALL"):
        try:
            gh.sql(node, stmt)
        except pymysql.err.MySQLError:
            pass  # no such channel, or the node is down


def running_on():
    """The nodes whose DR channel runs (IO Yes, SQL Yes); None for a node that does not answer."""
    out = {}
    for n in gh.NODES:
        try:
            out[n] = gh.channels(n).get(CHANNEL)
        except pymysql.err.MySQLError:
            out[n] = None
    return out


def only_on(master):
    def check():
        seen = running_on()
        ok = seen[master] == ("Yes", "Yes") and all(
            seen[n] is None for n in gh.NODES if n != master)
        return seen if ok else None
    return check


class Remote:
    """Writes numbered rows on r1 in a GTID domain of its own (new for every
    run, so that nothing older is replicated)."""

    def __init__(self):
        self.domain = random.randint(100, 60000)
        self.table = f"ferry_inbound.t{self.domain}"
        self.conn = gh.connect(gh.R1_PORT, autocommit=True)
        self.next = 1
        self.run(f"SET SESSION gtid_domain_id = {self.domain}")

    def run(self, stmt):
        with self.conn.cursor() as cur:
            cur.execute(stmt)

    def create(self):
        self.run("CREATE DATABASE IF NOT EXISTS ferry_inbound")
        # no key: a row applied twice shows up as a duplicate
        self.run(f"CREATE TABLE {self.table} (seq INT NOT NULL, note VARCHAR(32)) ENGINE=InnoDB")

    def insert(self, n, pause=0.0):
        for _ in range(n):
            self.run(f"INSERT INTO {self.table} VALUES ({self.next}, 'row {self.next}')")
            self.next += 1
            time.sleep(pause)

    def written(self):
        return self.next - 1


def rows(node, table):
    try:
        return gh.sql(node, f"SELECT COUNT(*), COUNT(DISTINCT seq), MAX(seq) FROM {table}")[0]
    except pymysql.err.MySQLError:
        return None


def wait_rows(node, table, n, timeout=60):
    got = helpers.wait_until(lambda: (rows(node, table) or (0,))[0] >= n and rows(node, table),
                             timeout, 0.2, f"{n} rows on {node}")
    assert tuple(got) == (n, n, n), f"{node}: rows, distinct, max = {got}, expected {n}"


@pytest.fixture
def remote(galera):
    gh.ensure_r1()
    # RESET SLAVE ... ALL needs RELOAD: lab.sh grants it to maxmon, but a lab
    # whose accounts were made before that did not get it (idempotent; TOI).
    gh.sql("g1", "GRANT RELOAD ON *.* TO 'maxmon'@'%'")
    for n in gh.NODES:
        drop_channel(n)
    # Where the DR site is now: the cluster must not replay r1's older history.
    pos = gh.sql("r1", "SELECT @@gtid_binlog_pos")[0][0]
    foreign = ",".join(g for g in pos.split(",") if g and int(g.split("-")[0]) not in LOCAL_DOMAINS)
    for n in gh.NODES:
        gh.sql(n, "SET GLOBAL gtid_slave_pos = %s", (foreign,))
    r = Remote()
    yield r
    for n in gh.NODES:
        drop_channel(n)
    try:
        r.run("SET SESSION sql_log_bin = 0")
        r.run(f"DROP TABLE IF EXISTS {r.table}")
        gh.sql("g2", f"DROP TABLE IF EXISTS {r.table}")
    finally:
        r.conn.close()


def test_channel_follows_the_master_rows_once(remote, gferry, healthy):
    f = gferry(monitor={"disable_master_failback": True, "inbound_replication": {
        "name": CHANNEL, "host": "127.0.0.1", "port": gh.R1_PORT, "user": "repl",
        "password": "repl_pw", "use_gtid": "slave_pos"}})
    f.wait(lambda s: s.master == "g1", 30)
    seen = helpers.wait_until(only_on("g1"), 20, 0.2, "the channel on g1 only")
    print(f"\nINBOUND: channel {CHANNEL} on g1 only: {seen}")
    remote.create()
    remote.insert(5)
    wait_rows("g2", remote.table, 5)

    # kill -9 the master while the remote keeps writing
    writer = threading.Thread(target=remote.insert, args=(10, 0.3))
    t0 = gh.now()
    gh.lab("kill", "g1")
    writer.start()
    f.wait_master("g2", 20, since=t0)
    seen = helpers.wait_until(only_on("g2"), 60, 0.2, "the channel on g2 only")
    print(f"INBOUND: kill -9 g1 -> channel running on g2 only after {gh.now() - t0:.2f} s: "
          f"{seen}")
    writer.join()
    remote.insert(5)
    for n in ("g2", "g3"):
        wait_rows(n, remote.table, remote.written())

    # the old master returns (its channel may start by itself): Ferry removes it.
    # The node that donates to g1 stops being usable for a while, so the
    # master may move on (g2 -> g3): the channel must be on the master only.
    t1 = gh.now()
    gh.lab("start", "g1", timeout=300)
    f.wait(lambda s: "Synced" in s.states["g1"], 60, "g1 Synced", since=t1)
    seen = helpers.wait_until(lambda: only_on(f.latest().master)(), 90, 0.2,
                              "the channel on the master only, g1 back")
    assert f.latest().master != "g1"  # disable_master_failback
    remote.insert(5)
    for n in gh.NODES:
        wait_rows(n, remote.table, remote.written())
    assert "inbound channel 'DR' stopped and removed on 'g1'" in f.log_text()
    print(f"INBOUND: {remote.written()} rows written on r1, each exactly once on g1, g2, g3")
