"""The binlog relay keeps a real replica in step while Galera masters die.

A writer commits a mixed load (small transactions, a 100k-row transaction,
a 40 MB row, DDL) through Ferry's connection router while the master node is
killed with kill -9 and restarted five times; then ferryd itself is killed
and restarted. At the end the replica must have exactly what the cluster
has: the same GTID in the cluster's domain, the same checksums, the rows the
writer committed, and no replication error.
"""

import json
import os
import subprocess
import threading
import time

import pymysql
import pytest

import blr_helpers as bh
import helpers
from helpers import HOST, wait_until

NODES = {"g1": 3311, "g2": 3312, "g3": 3313}
WSREP_DOMAIN = 70
FERRYCTL = os.path.join(os.path.dirname(helpers.FERRYD), "ferryctl", "ferryctl")


def node_query(port, sql):
    with pymysql.connect(host=HOST, port=port, user="admin", password="admin_pw",
                         connect_timeout=5, autocommit=True) as c, c.cursor() as cur:
        cur.execute(sql)
        return cur.fetchall()


def synced_node():
    for name, port in NODES.items():
        try:
            if node_query(port, "SHOW STATUS LIKE 'wsrep_local_state'")[0][1] == "4":
                return port
        except pymysql.err.MySQLError:
            continue
    raise AssertionError("no Synced Galera node")


def domain_seq(gtid_text, domain):
    for g in filter(None, (x.strip() for x in gtid_text.split(","))):
        d, _, seq = g.split("-")
        if int(d) == domain:
            return int(seq)
    return 0


def config(workdir, relay_port, app_port, start):
    servers = ",\n  ".join(
        f'{{ name = "{n}"; address = "{HOST}"; port = {p}; priority = {i + 1}; }}'
        for i, (n, p) in enumerate(NODES.items()))
    return f"""# written by test/integration/failover/test_relay_failover.py
ferry = {{ threads = 2; datadir = "{workdir}"; log_file = "{workdir}/ferryd.log";
          log_level = "info"; admin_socket = "{workdir}/ferryd.sock"; }};
servers = (
  {servers}
);
monitors = ( {{ name = "galera"; module = "galeramon"; servers = ["g1", "g2", "g3"];
               user = "maxmon"; password = "maxmon_pw"; interval_ms = 500;
               connect_timeout = 2; read_timeout = 2; write_timeout = 2;
               use_priority = true; }} );
services = (
  {{ name = "relay"; router = "binlogrouter"; cluster = "galera"; user = "repl";
     password = "repl_pw"; server_id = 7100; heartbeat_period = 1; net_timeout = 5;
     gtid_start_pos = "{start}"; }},
  {{ name = "app"; router = "readconnroute"; cluster = "galera"; router_options = "master";
     user = "maxscale"; password = "maxscale_pw"; }}
);
listeners = (
  {{ name = "relay-listener"; service = "relay"; address = "{HOST}"; port = {relay_port}; }},
  {{ name = "app-listener"; service = "app"; address = "{HOST}"; port = {app_port}; }}
);
"""


def current_master(ferry):
    out = subprocess.run([FERRYCTL, "-S", os.path.join(ferry.dir, "ferryd.sock"), "--json",
                          "list", "servers"], capture_output=True, text=True, timeout=10)
    for s in json.loads(out.stdout or "[]"):
        if "Master" in s["state"]:
            return s["name"]
    return None


class Writer(threading.Thread):
    """Commits numbered rows through Ferry; a commit whose fate a lost
    connection hides is looked up after reconnecting, never guessed. Once per
    round (heavy()) the next row carries 40 MB and a 100k-row transaction and
    a DDL follow it."""

    def __init__(self, port):
        super().__init__(daemon=True)
        self.port, self.stop, self.committed, self.errors = port, threading.Event(), 0, []
        self.heavy_rows = set()
        self.want_heavy = threading.Event()

    def heavy(self):
        self.want_heavy.set()

    def connect(self):
        return pymysql.connect(host=HOST, port=self.port, user="app", password="app_pw",
                               database="test", autocommit=False, connect_timeout=5,
                               read_timeout=120, write_timeout=120,
                               max_allowed_packet=128 * 1024 * 1024)

    def attempt(self, i, heavy):
        c = self.connect()
        try:
            with c.cursor() as cur:
                cur.execute("SELECT COUNT(*) FROM fo_t WHERE id = %s", (i,))
                if cur.fetchone()[0]:
                    return  # the commit made it before the connection died
                v = "x" * (40 * 1024 * 1024) if heavy else f"row {i}"
                cur.execute("INSERT INTO fo_t (id, v) VALUES (%s, %s)", (i, v))
                if heavy:
                    cur.execute("INSERT INTO fo_bulk (batch, n) SELECT %s, seq "
                                "FROM seq_1_to_100000", (i,))
            c.commit()
            if heavy:
                with c.cursor() as cur:
                    cur.execute(f"ALTER TABLE fo_t ADD COLUMN c{i} INT DEFAULT {i}")
        finally:
            c.close()

    def run(self):
        i = 0
        while not self.stop.is_set():
            i += 1
            heavy = self.want_heavy.is_set()
            self.want_heavy.clear()
            deadline = time.time() + 90
            while True:
                try:
                    self.attempt(i, heavy)
                    break
                except pymysql.err.MySQLError as e:
                    if time.time() > deadline:
                        self.errors.append(f"row {i}: {e}")
                        return
                    time.sleep(0.2)
            self.committed = i
            time.sleep(0.01)


@pytest.fixture(scope="module")
def setup(tmp_path_factory):
    helpers.lab("up", "galera")
    helpers.lab("wait-synced", "g1", "g2", "g3", timeout=180)
    port = synced_node()
    node_query(port, "DROP TABLE IF EXISTS test.fo_t, test.fo_bulk")
    start = node_query(port, "SELECT @@gtid_binlog_pos")[0][0]
    workdir = tmp_path_factory.mktemp("failover")
    relay_port, app_port = helpers.free_port(), helpers.free_port()
    ferry = helpers.Ferry(workdir, listeners=[{"name": "relay-listener", "port": relay_port},
                                              {"name": "app-listener", "port": app_port}],
                          # An empty relay starts where the cluster is now (older
                          # binlogs may be gone after SSTs).
                          config_text=config(workdir, relay_port, app_port, start))
    ferry.start(wait_login=False)
    replica = bh.make_replica("fo", 9300)
    replica.root(f"CREATE DATABASE IF NOT EXISTS test; SET GLOBAL gtid_slave_pos = '{start}';"
                 f"CHANGE MASTER TO MASTER_HOST = '{HOST}', MASTER_PORT = {relay_port}, "
                 "MASTER_USER = 'repl', MASTER_PASSWORD = 'repl_pw', MASTER_USE_GTID = slave_pos, "
                 "MASTER_CONNECT_RETRY = 1, MASTER_HEARTBEAT_PERIOD = 1; START SLAVE;")
    node_query(port, "CREATE TABLE test.fo_t (id INT PRIMARY KEY, v LONGTEXT) ENGINE=InnoDB")
    node_query(port, "CREATE TABLE test.fo_bulk (batch INT, n INT, PRIMARY KEY (batch, n)) "
                     "ENGINE=InnoDB")
    try:
        yield ferry, replica, app_port
    finally:
        replica.stop()
        ferry.stop()


def replica_pos(replica):
    with replica.connect(user="admin", password="admin_pw") as c, c.cursor() as cur:
        cur.execute("SELECT @@gtid_slave_pos")
        return cur.fetchone()[0]


def replica_status(replica):
    with replica.connect(user="admin", password="admin_pw") as c, \
            c.cursor(pymysql.cursors.DictCursor) as cur:
        cur.execute("SHOW SLAVE STATUS")
        return cur.fetchone()


def assert_replica_matches(replica):
    port = synced_node()
    want = domain_seq(node_query(port, "SELECT @@gtid_binlog_pos")[0][0], WSREP_DOMAIN)

    def caught_up():
        st = replica_status(replica)
        assert not st["Last_SQL_Error"], st["Last_SQL_Error"]
        return domain_seq(replica_pos(replica), WSREP_DOMAIN) >= want

    wait_until(caught_up, 120, what=f"the replica reaching {WSREP_DOMAIN}-7000-{want}")
    st = replica_status(replica)
    assert st["Slave_IO_Running"] == "Yes" and st["Slave_SQL_Running"] == "Yes", st
    assert not st["Last_IO_Error"] and not st["Last_SQL_Error"], st
    assert domain_seq(replica_pos(replica), WSREP_DOMAIN) == want
    for table in ("test.fo_t", "test.fo_bulk"):
        cluster = node_query(port, f"CHECKSUM TABLE {table}")[0][1]
        with replica.connect(user="admin", password="admin_pw") as c, c.cursor() as cur:
            cur.execute(f"CHECKSUM TABLE {table}")
            assert cur.fetchone()[1] == cluster, f"{table} differs"


def test_master_killed_five_times(setup):
    ferry, replica, app_port = setup
    writer = Writer(app_port)
    writer.start()
    try:
        for round_ in range(5):
            writer.heavy()
            goal = writer.committed + 30
            wait_until(lambda: writer.committed > goal, 180, what="the writer making progress")
            victim = current_master(ferry)
            assert victim, "no master before the kill"
            helpers.lab("kill", victim)
            wait_until(lambda: current_master(ferry) not in (None, victim), 30,
                       what="a new master")
            # The survivors evict the dead node in 5-6 s; restart it after that.
            time.sleep(8)
            helpers.lab("start", victim, timeout=180)
            helpers.lab("wait-synced", "g1", "g2", "g3", timeout=180)
    finally:
        writer.stop.set()
        writer.join(120)
    assert not writer.errors, writer.errors
    assert_replica_matches(replica)
    with replica.connect(user="admin", password="admin_pw") as c, c.cursor() as cur:
        cur.execute("SELECT COUNT(*), MAX(id) FROM test.fo_t")
        assert cur.fetchone() == (writer.committed, writer.committed)


def test_ferryd_killed_and_restarted(setup):
    ferry, replica, app_port = setup
    writer = Writer(app_port)
    with writer.connect() as c, c.cursor() as cur:
        cur.execute("SELECT COALESCE(MAX(id), 0) FROM fo_t")
        first = cur.fetchone()[0] + 1
    rows = [f"later {i}" for i in range(300)]
    with pymysql.connect(host=HOST, port=synced_node(), user="admin", password="admin_pw",
                         database="test", autocommit=True) as c, c.cursor() as cur:
        for i, v in enumerate(rows):
            cur.execute("INSERT INTO fo_t (id, v) VALUES (%s, %s)", (first + i, v))
            if i == 100:
                ferry.kill()
            if i == 200:
                ferry.start(wait_login=False)
    assert_replica_matches(replica)
    files = sorted(p for p in os.listdir(os.path.join(ferry.dir, "relay"))
                   if p.startswith("binlog.0") and not p.endswith(".gtidx"))
    for name in files:
        out = subprocess.run(["mariadb-binlog", os.path.join(ferry.dir, "relay", name)],
                             capture_output=True, text=True, timeout=120)
        assert out.returncode == 0 and "ERROR" not in out.stderr, (name, out.stderr)
