"""test_binlog_relay.py: the binlog relay's replica-facing side against real
servers: the registration SQL of a MariaDB 10.11 replica and the operator SQL,
a real replica with MASTER_USE_GTID=slave_pos (catch-up, live rows, STOP/START
SLAVE, heartbeats, a 40 MB row), mariadb-binlog by file (--to-last-log) and by
GTID (--stop-never), 50 tailing readers, the errors (unknown domain, a GTID the
master lacks, purged files, unknown file, MySQL GTID dumps, unknown commands,
accounts without REPLICATION SLAVE), a second dump with the same server_id, and
a client that sends queries without reading the answers (ferryd stays bounded)."""

import hashlib
import os
import subprocess
import threading
import time

import pymysql
import pytest

import blr_helpers as bh
import helpers
from helpers import wait_until

BINLOG_ERR = 1236


def insert(master, *values, db="blr_it"):
    with master.connect(database=db) as c, c.cursor() as cur:
        for v in values:
            cur.execute("INSERT INTO t (v) VALUES (%s)", (v,))


def start_replica(r, relay, extra=""):
    r.root(f"CHANGE MASTER TO MASTER_HOST='127.0.0.1', MASTER_PORT={relay.port()}, "
           f"MASTER_USER='repl', MASTER_PASSWORD='repl_pw', MASTER_USE_GTID=slave_pos, "
           f"MASTER_CONNECT_RETRY=1{extra}")
    r.root("START SLAVE")


def slave_status(r):
    c = helpers.connect(r.port, user="admin", password="admin_pw",
                        cursorclass=pymysql.cursors.DictCursor)
    try:
        with c.cursor() as cur:
            cur.execute("SHOW SLAVE STATUS")
            return cur.fetchone()
    finally:
        c.close()


def wait_replica_at(r, gtid, timeout=30):
    def at():
        st = slave_status(r)
        assert st["Last_IO_Errno"] == 0 and st["Last_SQL_Errno"] == 0, (
            f"replica error: IO {st['Last_IO_Errno']} {st['Last_IO_Error']} / "
            f"SQL {st['Last_SQL_Errno']} {st['Last_SQL_Error']}")
        return r.value("SELECT @@gtid_slave_pos") == gtid
    wait_until(at, timeout, what=f"the replica to reach {gtid}")


def rows(server, sql):
    return server.root(sql)


# ---------------------------------------------------------------- SQL


def test_registration_sequence(relay):
    """Capture 01's queries, as a 10.11 replica sends them, get MariaDB's answers."""
    c = bh.relay_conn(relay)
    with c.cursor() as cur:
        cur.execute("SELECT UNIX_TIMESTAMP()")
        assert abs(int(cur.fetchone()[0]) - time.time()) < 5
        cur.execute("SHOW VARIABLES LIKE 'SERVER_ID'")
        assert cur.fetchall() == (("server_id", str(bh.RELAY_SERVER_ID)),)
        cur.execute("SET @master_heartbeat_period= 30000001024")
        cur.execute("SET @master_binlog_checksum= @@global.binlog_checksum")
        cur.execute("SELECT @master_binlog_checksum")
        assert cur.fetchone()[0] == "CRC32"
        cur.execute("SET @mariadb_slave_capability=4")
        cur.execute("SELECT @@GLOBAL.gtid_domain_id")
        assert cur.fetchone()[0] == 0
        cur.execute("SET @slave_connect_state='91-9100-1'")
        cur.execute("SET @slave_gtid_strict_mode=0")
        cur.execute("SET @slave_gtid_ignore_duplicates=0")
        cur.execute("SELECT @slave_connect_state")
        assert cur.fetchone()[0] == "91-9100-1"
        cur.execute("SELECT VERSION(), @@version_comment, @@server_id")
        version, comment, sid = cur.fetchone()
        assert "MariaDB" in version and comment and sid == bh.RELAY_SERVER_ID
    c.close()


def test_operator_sql(relay, master):
    want = bh.wait_relay_has(relay, master)
    ms = bh.relay_dict(relay, "SHOW MASTER STATUS")
    assert ms[0]["File"] == "binlog.000001" and ms[0]["Position"] > 4
    logs = bh.relay_dict(relay, "SHOW BINARY LOGS")
    assert logs[-1]["Log_name"] == ms[0]["File"] and logs[-1]["File_size"] == ms[0]["Position"]
    st = bh.relay_dict(relay, "SHOW SLAVE STATUS")[0]
    assert st["Slave_IO_Running"] == "Yes" and st["Slave_SQL_Running"] == "Yes"
    assert st["Master_Port"] == master.port and st["Master_Host"] == "127.0.0.1"
    assert st["Gtid_IO_Pos"] == want and st["Using_Gtid"] == "Slave_Pos"
    assert st["Last_IO_Errno"] == 0
    assert bh.relay_query(relay, "SELECT @@gtid_binlog_pos, @@gtid_current_pos, "
                                 "@@gtid_slave_pos") == ((want, want, want),)
    err = helpers.error_of(lambda: bh.relay_query(relay, "SELECT * FROM mysql.user"))
    assert err[0] == 1235 and "SELECT * FROM mysql.user" in err[1]
    err = helpers.error_of(lambda: bh.relay_query(relay, "SELECT @@no_such_variable"))
    assert err[0] == 1193
    # STOP SLAVE / START SLAVE act on the relay's upstream.
    bh.relay_query(relay, "STOP SLAVE")

    def stopped():
        st = bh.relay_dict(relay, "SHOW SLAVE STATUS")[0]
        return st["Slave_IO_Running"] != "Yes" and "Stopped" in st["Slave_IO_State"]
    wait_until(stopped, 15, what="the relay's upstream to stop")
    insert(master, "while-relay-stopped")
    time.sleep(0.5)
    assert bh.relay_gtid(relay) == want
    bh.relay_query(relay, "START SLAVE")
    bh.wait_relay_has(relay, master)


def test_refuses_account_without_repl_slave(relay):
    err = helpers.login_error(relay.port(), "norepl", "norepl_pw")
    assert err is not None and err[0] == 1227
    assert "REPLICATION SLAVE" in err[1]


# ---------------------------------------------------------------- a real replica


def test_replica_follows_the_relay(relay, master, replica):
    r = replica()
    start_replica(r, relay, ", MASTER_HEARTBEAT_PERIOD=1")
    want = bh.wait_relay_has(relay, master)
    wait_replica_at(r, want)
    assert rows(r, "SELECT COUNT(*) FROM blr_it.t") == rows(master, "SELECT COUNT(*) FROM blr_it.t")
    # Live rows.
    insert(master, "live-1", "live-2")
    want = master.value("SELECT @@gtid_binlog_pos")
    wait_replica_at(r, want, timeout=10)
    # STOP SLAVE closes the connection; writes meanwhile arrive after START SLAVE (by GTID).
    r.root("STOP SLAVE")
    insert(master, "while-stopped")
    with master.connect(database="blr_it") as c, c.cursor() as cur:
        cur.execute("CREATE TABLE t2 (id INT PRIMARY KEY)")
        cur.execute("INSERT INTO t2 VALUES (1), (2), (3)")
    r.root("START SLAVE")
    want = master.value("SELECT @@gtid_binlog_pos")
    wait_replica_at(r, want, timeout=10)
    assert rows(r, "CHECKSUM TABLE blr_it.t, blr_it.t2") == \
        rows(master, "CHECKSUM TABLE blr_it.t, blr_it.t2")
    hosts = bh.relay_dict(relay, "SHOW SLAVE HOSTS")
    assert [(h["Server_id"], h["Port"]) for h in hosts] == [(9200, r.port)]
    # Idle: heartbeats every second.
    before = int(r.root("SHOW STATUS LIKE 'Slave_received_heartbeats'")[0][1])
    time.sleep(3.5)
    after = int(r.root("SHOW STATUS LIKE 'Slave_received_heartbeats'")[0][1])
    assert after - before >= 2
    log = relay.log_text()
    assert "replica 127.0.0.1" in log and "(server_id 9200) connected" in log


def test_big_row(relay, master, replica):
    """A 40 MB row: its event is over 16 MiB, so the relay splits the packet."""
    r = replica()
    start_replica(r, relay)
    blob = os.urandom(40 * 1024 * 1024)
    with master.connect(database="blr_it", max_allowed_packet=128 * 1024 * 1024) as c, \
            c.cursor() as cur:
        cur.execute("CREATE TABLE IF NOT EXISTS big (id INT PRIMARY KEY, b LONGBLOB)")
        cur.execute("INSERT INTO big VALUES (1, %s)", (blob,))
    want = master.value("SELECT @@gtid_binlog_pos")
    wait_replica_at(r, want, timeout=60)
    assert r.value("SELECT MD5(b) FROM blr_it.big WHERE id = 1") == hashlib.md5(blob).hexdigest()


def test_compressed_replica(relay, master, replica):
    """slave_compressed_protocol=1, with small events and one over 16 MiB."""
    r = replica()
    r.root("SET GLOBAL slave_compressed_protocol=1")
    start_replica(r, relay)
    insert(master, "compressed")
    blob = os.urandom(20 * 1024 * 1024)
    with master.connect(database="blr_it", max_allowed_packet=64 * 1024 * 1024) as c, \
            c.cursor() as cur:
        cur.execute("CREATE TABLE IF NOT EXISTS zbig (id INT PRIMARY KEY, b LONGBLOB)")
        cur.execute("REPLACE INTO zbig VALUES (1, %s)", (blob,))
    wait_replica_at(r, master.value("SELECT @@gtid_binlog_pos"), timeout=60)
    assert "compressed" in [row[0] for row in rows(r, "SELECT v FROM blr_it.t")]
    assert r.value("SELECT MD5(b) FROM blr_it.zbig WHERE id = 1") == hashlib.md5(blob).hexdigest()


def test_tls_replica(make_relay, master, replica, tls_files):
    tls = {"cert": tls_files["cert"], "key": tls_files["key"], "ca": tls_files["ca"],
           "required": True}
    secure = make_relay(tls=tls)
    bh.wait_relay_has(secure, master)
    r = replica()
    start_replica(r, secure, ", MASTER_SSL=1, MASTER_SSL_VERIFY_SERVER_CERT=0")
    insert(master, "over-tls")
    wait_replica_at(r, master.value("SELECT @@gtid_binlog_pos"))
    assert "over-tls" in [row[0] for row in rows(r, "SELECT v FROM blr_it.t")]
    assert r.value("SHOW SLAVE STATUS") is not None


# ---------------------------------------------------------------- mariadb-binlog


def test_mariadb_binlog_to_last_log(relay, master):
    bh.wait_relay_has(relay, master)
    rc, out, err = bh.mariadb_binlog(relay, "--to-last-log", "binlog.000001")
    assert rc == 0, err
    assert bh.gtids(out) == bh.master_gtids(master)
    assert "Rotate to binlog.000001" in out


def test_mariadb_binlog_unknown_file(relay):
    rc, out, err = bh.mariadb_binlog(relay, "--to-last-log", "galera-bin.000003")
    assert rc != 0
    assert "Could not find first log file name in binary log index file" in err


def test_mariadb_binlog_gtid_stop_never(relay, master, tmp_path):
    start = bh.wait_relay_has(relay, master)
    out = open(tmp_path / "out.sql", "w+")
    p = subprocess.Popen(bh.binlog_args(relay, f"--start-position={start}", "--stop-never",
                                        "binlog.000001"), stdout=out, stderr=subprocess.PIPE,
                         text=True)
    try:
        time.sleep(1)
        insert(master, "seen-by-mariadb-binlog")
        want = master.value("SELECT @@gtid_binlog_pos")

        def got():
            out.flush()
            with open(tmp_path / "out.sql") as f:
                return want in bh.gtids(f.read())
        wait_until(got, 10, what=f"mariadb-binlog to print {want}")
        with open(tmp_path / "out.sql") as f:
            text = f.read()
        assert start not in bh.gtids(text)  # the start GTID itself is not sent again
        assert "Gtid list [" in text
    finally:
        p.kill()
        p.wait()
        out.close()


def test_fifty_tailers(relay, master, tmp_path):
    start = bh.wait_relay_has(relay, master)
    procs = []
    try:
        for i in range(50):
            f = open(tmp_path / f"t{i}.sql", "w")
            procs.append((subprocess.Popen(
                bh.binlog_args(relay, f"--start-position={start}", "--stop-never",
                               f"--stop-never-slave-server-id={1000 + i}", "binlog.000001"),
                stdout=f, stderr=subprocess.DEVNULL), f))
        wait_until(lambda: relay.log_text().count("connected: dump from GTID") >= 50, 20,
                   what="50 dumps")
        for i in range(20):
            insert(master, f"tail-{i}")
        want = bh.master_gtids(master)
        want = want[want.index(start) + 1:]
        assert len(want) == 20

        def all_have():
            for _, f in procs:
                f.flush()
            for i in range(50):
                with open(tmp_path / f"t{i}.sql") as f:
                    if bh.gtids(f.read())[-20:] != want:
                        return False
            return True
        wait_until(all_have, 30, what="every tailer to print all 20 transactions")
    finally:
        for p, f in procs:
            p.kill()
            p.wait()
            f.close()


def test_same_server_id_ends_the_old_dump(relay, master):
    start = bh.wait_relay_has(relay, master)
    args = bh.binlog_args(relay, f"--start-position={start}", "--stop-never",
                          "--stop-never-slave-server-id=4242", "binlog.000001")
    first = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        wait_until(lambda: "(server_id 4242) connected" in relay.log_text(), 10,
                   what="the first dump")
        second = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            _, err = first.communicate(timeout=10)
            assert "A slave with the same server_uuid/server_id" in err
        finally:
            second.kill()
            second.wait()
    finally:
        first.kill()
        first.wait()


# ---------------------------------------------------------------- errors


def test_unknown_domain(relay):
    t0 = time.monotonic()
    rc, _, err = bh.mariadb_binlog(relay, "--start-position=5-1-1", "--stop-never",
                                   "binlog.000001")
    assert rc != 0 and time.monotonic() - t0 < 5
    assert "5-1-1" in err and "never seen domain 5" in err


def test_gtid_the_master_lacks(relay, master):
    bh.wait_relay_has(relay, master)
    t0 = time.monotonic()
    rc, _, err = bh.mariadb_binlog(relay, "--start-position=91-9100-99999", "--stop-never",
                                   "binlog.000001", timeout=60)
    assert rc != 0 and time.monotonic() - t0 < 15
    assert ("Error: connecting slave requested to start from GTID 91-9100-99999, which is not "
            "in the master's binlog") in err


def test_replica_ahead_waits_for_the_relay(relay, master):
    """A GTID the master has but the relay does not yet (its upstream stopped) is waited for."""
    bh.wait_relay_has(relay, master)
    bh.relay_query(relay, "STOP SLAVE")
    try:
        insert(master, "ahead")
        want = master.value("SELECT @@gtid_binlog_pos")
        p = subprocess.Popen(bh.binlog_args(relay, f"--start-position={want}", "--stop-never",
                                            "binlog.000001"),
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        time.sleep(1.5)
        assert p.poll() is None  # still waiting, no error
        assert "waiting for the relay" in relay.log_text()
    finally:
        bh.relay_query(relay, "START SLAVE")
    try:
        bh.wait_relay_has(relay, master)
        wait_until(lambda: f"dump from GTID '{want}' at" in relay.log_text(), 10,
                   what="the waiting dump to start")
        assert p.poll() is None
    finally:
        p.kill()
        p.communicate()


def test_purged_files(make_relay, master):
    small = make_relay(extra=" max_binlog_size = 4096;")
    insert(master, *[f"fill-{i}-" + "x" * 40 for i in range(200)])
    bh.wait_relay_has(small, master)
    logs = [r["Log_name"] for r in bh.relay_dict(small, "SHOW BINARY LOGS")]
    assert len(logs) >= 4
    # The first file's first transaction, then purge everything before the third file.
    rc, out, err = bh.mariadb_binlog(small, "--to-last-log", logs[0])
    assert rc == 0, err
    first = bh.gtids(out)[0]
    bh.relay_query(small, f"PURGE BINARY LOGS TO '{logs[2]}'")
    assert [r["Log_name"] for r in bh.relay_dict(small, "SHOW BINARY LOGS")] == logs[2:]
    rc, _, err = bh.mariadb_binlog(small, f"--start-position={first}", "--stop-never",
                                   "binlog.000001")
    assert rc != 0
    assert "Could not find GTID state requested by slave in any binlog files" in err
    err = helpers.error_of(lambda: bh.relay_query(small, "PURGE BINARY LOGS TO 'binlog.999999'"))
    assert err[0] == 1373
    # What is left still reads back whole, across the files.
    rc, out, err = bh.mariadb_binlog(small, "--to-last-log", logs[2])
    assert rc == 0, err
    assert len(set(bh.gtids(out))) == len(bh.gtids(out)) > 0


def test_mysql_gtid_dump_and_unknown_command(relay):
    c = bh.relay_conn(relay)
    try:
        # COM_BINLOG_DUMP_GTID with a non-empty MySQL GTID set.
        name = b""
        payload = (b"\x04\x00" + (1234).to_bytes(4, "little") + len(name).to_bytes(4, "little")
                   + name + (4).to_bytes(8, "little") + (8 + 16 + 8 + 16).to_bytes(4, "little")
                   + (1).to_bytes(8, "little") + b"\x11" * 16 + (1).to_bytes(8, "little")
                   + (1).to_bytes(8, "little") + (5).to_bytes(8, "little"))
        c._execute_command(0x1E, payload)
        with pytest.raises(pymysql.err.MySQLError) as e:
            c._read_packet()
        assert e.value.args[0] == BINLOG_ERR and "MASTER_USE_GTID=slave_pos" in e.value.args[1]
    finally:
        c.close()
    c = bh.relay_conn(relay)
    try:
        c._execute_command(0x16, b"SELECT 1")  # COM_STMT_PREPARE
        with pytest.raises(pymysql.err.MySQLError) as e:
            c._read_packet()
        assert e.value.args[0] == 1047 and "COM_STMT_PREPARE" in e.value.args[1]
        c.ping(reconnect=False)  # still usable
    finally:
        c.close()


def test_client_that_does_not_read_its_answers_is_paused(relay):
    """Queries sent without reading the answers: the relay stops reading the
    client once 1 MiB of answers waits, so ferryd's memory stays bounded, and
    every answer arrives once the client reads."""
    n, query = 16000, b"SHOW VARIABLES"
    c = bh.relay_conn(relay)
    try:
        answer = len(bh.relay_query(relay, query.decode()))
        assert answer > 30  # rows: every answer is about 1 KB, 16000 of them 15 MB
        packet = (len(query) + 1).to_bytes(3, "little") + b"\x00\x03" + query
        rss0 = relay.rss_kb()
        # 300 KB: sent from a thread, since the kernel may not buffer it all
        # while the relay holds off reading.
        sender = threading.Thread(target=c._sock.sendall, args=(packet * n,), daemon=True)
        sender.start()
        time.sleep(1)
        growth_kb = relay.rss_kb() - rss0
        if not helpers.asan_build():
            assert growth_kb < 4 * 1024, f"ferryd grew by {growth_kb} KB"
        for _ in range(n):
            c._next_seq_id = 1  # each answer starts at 1 (pymysql did not send these)
            c._read_query_result()
            assert len(c._result.rows) == answer
        sender.join(30)
        c.ping(reconnect=False)
    finally:
        c.close()
