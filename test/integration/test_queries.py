"""Queries through the listener: text protocol round trips, multi-statements,
COM_PING / COM_INIT_DB, prepared statements (binary protocol), COM_CHANGE_USER,
LOAD DATA LOCAL INFILE and the compressed protocol."""

import hashlib
import subprocess
import uuid

import pymysql
import pytest
from pymysql.constants import CLIENT

from helpers import (BAD_DB, S1_PORT, admin_query, blob_pattern, connect,
                     error_of, run_client)


@pytest.fixture
def table(ferry):
    name = "test.t_" + uuid.uuid4().hex[:10]
    admin_query(f"CREATE TABLE {name} (id INT PRIMARY KEY AUTO_INCREMENT, "
                f"name VARCHAR(64), n INT, b LONGBLOB) ENGINE=InnoDB")
    yield name
    admin_query(f"DROP TABLE IF EXISTS {name}")


def test_crud_round_trip(ferry, table):
    c = connect(ferry.port())
    cur = c.cursor()
    assert cur.execute(f"INSERT INTO {table} (name, n) VALUES ('a', 1), ('b', 2), ('c', 3)") == 3
    assert cur.lastrowid == 1
    assert cur.execute(f"INSERT INTO {table} (name, n, b) VALUES (%s, %s, %s)",
                       ("d'quote", 4, b"\x00\x01\xff")) == 1
    assert cur.lastrowid == 4
    cur.execute(f"SELECT id, name, n, b FROM {table} ORDER BY id")
    assert cur.fetchall() == ((1, "a", 1, None), (2, "b", 2, None), (3, "c", 3, None),
                              (4, "d'quote", 4, b"\x00\x01\xff"))
    assert cur.execute(f"UPDATE {table} SET n = n * 10 WHERE n >= 2") == 3
    assert cur.execute(f"UPDATE {table} SET n = 10 WHERE id = 1") == 1
    assert cur.execute(f"UPDATE {table} SET n = 10 WHERE id = 1") == 0  # unchanged row
    assert cur.execute(f"DELETE FROM {table} WHERE name = 'b'") == 1
    cur.execute(f"SELECT name, n FROM {table} ORDER BY id")
    assert cur.fetchall() == (("a", 10), ("c", 30), ("d'quote", 40))
    c.close()
    # the data really is on s1
    assert admin_query(f"SELECT COUNT(*), SUM(n) FROM {table}") == ((3, 80),)


def test_transactions(ferry, table):
    c = connect(ferry.port(), autocommit=False)
    cur = c.cursor()
    cur.execute(f"INSERT INTO {table} (name) VALUES ('rolled back')")
    c.rollback()
    cur.execute(f"INSERT INTO {table} (name) VALUES ('committed')")
    c.commit()
    cur.execute(f"SELECT name FROM {table}")
    assert cur.fetchall() == (("committed",),)
    c.close()


def test_errors_keep_the_session(ferry, table):
    c = connect(ferry.port())
    cur = c.cursor()
    code, msg = error_of(lambda: cur.execute("SELEC 1"))
    assert code == 1064 and "right syntax" in msg
    cur.execute(f"INSERT INTO {table} (id, name) VALUES (7, 'x')")
    code, msg = error_of(lambda: cur.execute(f"INSERT INTO {table} (id, name) VALUES (7, 'y')"))
    assert (code, msg) == (1062, "Duplicate entry '7' for key 'PRIMARY'")
    code, _ = error_of(lambda: cur.execute("SELECT * FROM test.no_such_table_xyz"))
    assert code == 1146
    cur.execute("SELECT 'still here'")
    assert cur.fetchone() == ("still here",)
    c.close()


def test_result_sets(ferry):
    c = connect(ferry.port())
    cur = c.cursor()
    cur.execute("SELECT seq, seq * 2, CONCAT('row', seq) FROM test.seq_1_to_100000")
    rows = cur.fetchall()
    assert len(rows) == 100000
    assert rows[0] == (1, 2, "row1") and rows[-1] == (100000, 200000, "row100000")
    assert sum(r[0] for r in rows) == 5000050000
    cur.execute("SELECT NULL, '', 0, -1, 1.5, CAST('2024-01-02' AS DATE), x'00ff'")
    import datetime
    import decimal
    assert cur.fetchone() == (None, "", 0, -1, decimal.Decimal("1.5"),
                              datetime.date(2024, 1, 2), b"\x00\xff")
    cur.execute("SELECT 1 FROM DUAL WHERE 1 = 0")
    assert cur.fetchall() == ()
    cur.execute("SET @a = 5")
    cur.execute("DO 1")
    cur.execute("SELECT @a")
    assert cur.fetchone() == (5,)
    c.close()


def test_warnings(ferry):
    c = connect(ferry.port())
    cur = c.cursor()
    cur.execute("SELECT CAST('12abc' AS INT)")
    assert cur.fetchone() == (12,)
    assert cur._result.warning_count == 1  # from the EOF/OK that ends the result set
    cur.execute("SHOW WARNINGS")
    assert cur.fetchall()[0][1] == 1292
    c.close()


def test_multi_statements(ferry, table):
    c = connect(ferry.port(), client_flag=CLIENT.MULTI_STATEMENTS)
    cur = c.cursor()
    cur.execute("SELECT 1 AS a; SELECT 2 AS b, 3 AS c")
    assert cur.fetchall() == ((1,),)
    assert cur.nextset()
    assert cur.fetchall() == ((2, 3),)
    assert not cur.nextset()

    cur.execute(f"INSERT INTO {table} (name) VALUES ('m1'), ('m2'); "
                f"UPDATE {table} SET n = 5; SELECT name, n FROM {table} ORDER BY id; SELECT 'end'")
    assert cur.rowcount == 2
    assert cur.nextset() and cur.rowcount == 2
    assert cur.nextset() and cur.fetchall() == (("m1", 5), ("m2", 5))
    assert cur.nextset() and cur.fetchall() == (("end",),)
    assert not cur.nextset()

    # an error in the middle ends the batch; the session is still usable
    with pytest.raises(pymysql.err.ProgrammingError) as e:
        cur.execute("SELECT 1; SELEC 2; SELECT 3")
        while cur.nextset():
            pass
    assert e.value.args[0] == 1064
    cur.execute("SELECT 'after'")
    assert cur.fetchone() == ("after",)
    c.close()


def test_multi_statements_refused_without_flag(ferry):
    c = connect(ferry.port())
    code, _ = error_of(lambda: c.cursor().execute("SELECT 1; SELECT 2"))
    assert code == 1064
    c.close()


def test_ping_and_init_db(ferry):
    c = connect(ferry.port())
    c.ping(reconnect=False)
    c.select_db("test")
    cur = c.cursor()
    cur.execute("SELECT DATABASE()")
    assert cur.fetchone() == ("test",)
    assert error_of(lambda: c.select_db("no_such_db_xyz")) == (BAD_DB,
                                                               "Unknown database 'no_such_db_xyz'")
    cur.execute("SELECT DATABASE()")
    assert cur.fetchone() == ("test",)
    c.select_db("mysql")
    cur.execute("SELECT DATABASE()")
    assert cur.fetchone() == ("mysql",)
    for _ in range(100):
        c.ping(reconnect=False)
    c.close()


def test_load_data_local_infile(ferry, table, tmp_path):
    f = tmp_path / "rows.tsv"
    f.write_text("".join(f"name{i}\t{i}\n" for i in range(1, 20001)))
    c = connect(ferry.port(), local_infile=True)
    cur = c.cursor()
    n = cur.execute(f"LOAD DATA LOCAL INFILE '{f}' INTO TABLE {table} (name, n)")
    assert n == 20000
    cur.execute(f"SELECT COUNT(*), SUM(n), MAX(name) FROM {table}")
    assert cur.fetchone() == (20000, 200010000, "name9999")
    c.close()


def test_kill_query_of_own_session(ferry):
    """KILL QUERY from a second connection interrupts a query routed through Ferry."""
    import threading
    c = connect(ferry.port())
    cur = c.cursor()
    cur.execute("SELECT CONNECTION_ID()")
    backend_id = cur.fetchone()[0]
    out = {}

    def run():
        try:
            cur.execute("SELECT SLEEP(20)")
            out["rows"] = cur.fetchall()
        except pymysql.err.MySQLError as e:
            out["err"] = e.args

    t = threading.Thread(target=run)
    t.start()
    import time
    time.sleep(0.5)
    k = connect(ferry.port())
    k.cursor().execute(f"KILL QUERY {backend_id}")
    k.close()
    t.join(10)
    assert not t.is_alive(), "KILL QUERY did not end the query"
    # SLEEP() returns 1 when interrupted (or the query fails with 1317)
    assert out.get("rows") == ((1,),) or out.get("err", (0,))[0] == 1317, out
    cur.execute("SELECT 'alive'")
    assert cur.fetchone() == ("alive",)
    c.close()


# ---------------------------------------------------------------- prepared statements

def test_prepared_statements(ferry, client_bin, table):
    blob = blob_pattern(3_000_000)
    steps = [
        "ps", "SELECT ? + 1, CONCAT('a', ?), ? IS NULL, ? * 2", "4", "i:41", "s:bc", "n", "d:1.25",
        "ps", f"INSERT INTO {table} (name, n, b) VALUES (?, ?, ?)", "3", "s:blobrow", "i:7",
        "blob:3000000",
        "ps", f"SELECT name, n, LENGTH(b), SHA1(b) FROM {table} WHERE n = ?", "1", "i:7",
        "ps", f"SELECT b FROM {table} WHERE n = ?", "1", "i:7",
        "ps", f"UPDATE {table} SET n = ? WHERE name = ?", "2", "i:8", "s:blobrow",
        "ps", "SELECT seq FROM test.seq_1_to_5 WHERE seq > ?", "1", "i:2",
        "ps", "SELECT * FROM test.no_such_table_xyz WHERE a = ?", "1", "i:1",
        "ps", "SELECT ?", "1", "s:after the error",
        "ps-loop", "SELECT ?", "2000",
        "ps-many", "50",
        "ps-reset",
    ]
    for port in (S1_PORT, ferry.port()):
        admin_query(f"DELETE FROM {table}")
        rc, out = run_client(client_bin, port, *steps)
        sha = hashlib.sha1(blob).hexdigest()
        assert rc == 0, out
        assert out == [
            "42\tabc\t1\t2.5", "rows=1",
            "affected=1",
            f"blobrow\t7\t3000000\t{sha}", "rows=1",
            f"<len=3000000 sha1={sha}>", "rows=1",
            "affected=1",
            "3", "4", "5", "rows=3",
            "ERROR 1146 (42S02): Table 'test.no_such_table_xyz' doesn't exist",
            "after the error", "rows=1",
            "ps-loop ok 2000",
            "ps-many ok 50",
            "[after-reset]", "rows=1",
        ], f"through port {port}"


def test_prepared_statements_sql_level(ferry):
    c = connect(ferry.port())
    cur = c.cursor()
    cur.execute("PREPARE s FROM 'SELECT ? * 3'")
    cur.execute("SET @x = 14")
    cur.execute("EXECUTE s USING @x")
    assert cur.fetchone() == (42,)
    cur.execute("DEALLOCATE PREPARE s")
    c.close()


# ---------------------------------------------------------------- COM_CHANGE_USER

def test_change_user(ferry, client_bin):
    steps = [
        "query", "SET @v = 'before'",
        "change-user", "app2", "app2_pw", "test",
        "query", "SELECT CURRENT_USER(), DATABASE(), @v",
        "change-user", "app", "app_pw", "-",
        "query", "SELECT CURRENT_USER(), DATABASE()",
        "change-user", "nopass", "", "test",
        "query", "SELECT CURRENT_USER()",
        "change-user", "app2", "wrong_pw", "-",
    ]
    want = [
        "affected=0",
        "change-user ok",
        "app2@%\ttest\t\\N", "rows=1",
        "change-user ok",
        "app@%\t\\N", "rows=1",
        "change-user ok",
        "nopass@%", "rows=1",
        "ERROR 1045 (28000): Access denied for user 'app2'@'127.0.0.1' (using password: YES)",
    ]
    for port in (S1_PORT, ferry.port()):
        rc, out = run_client(client_bin, port, *steps)
        assert (rc, out) == (0, want), f"through port {port}"


def test_change_user_errors(ferry, client_bin):
    rc, out = run_client(client_bin, ferry.port(),
                         "change-user", "nosuchuser", "pw", "-",
                         user="app", password="app_pw")
    assert out == ["ERROR 1045 (28000): Access denied for user 'nosuchuser'@'127.0.0.1' "
                   "(using password: YES)"]
    rc, out = run_client(client_bin, ferry.port(), "change-user", "nopass", "", "mysql")
    assert out == ["ERROR 1044 (42000): Access denied for user 'nopass'@'%' to database 'mysql'"]


def test_change_user_then_queries(ferry, client_bin):
    """After a successful change the session keeps working (many round trips,
    a prepared statement, and a change back)."""
    steps = ["change-user", "app2", "app2_pw", "test",
             "ps-loop", "SELECT ?", "200",
             "query", "SELECT CURRENT_USER(), COUNT(*) FROM test.seq_1_to_1000",
             "change-user", "app", "app_pw", "test",
             "query", "SELECT CURRENT_USER()"]
    rc, out = run_client(client_bin, ferry.port(), *steps)
    assert out == ["change-user ok", "ps-loop ok 200", "app2@%\t1000", "rows=1",
                   "change-user ok", "app@%", "rows=1"]


def test_change_user_failure_keeps_connection_usable_like_mariadb(ferry, client_bin):
    """MariaDB keeps the connection after a failed COM_CHANGE_USER (as the old
    user, with a reset session); Ferry must behave the same."""
    steps = ["query", "SET @v = 5",
             "change-user", "app2", "wrong_pw", "-",
             "query", "SELECT CURRENT_USER(), @v"]
    outs = {port: run_client(client_bin, port, *steps)[1] for port in (S1_PORT, ferry.port())}
    assert outs[S1_PORT] == outs[ferry.port()], outs


# ---------------------------------------------------------------- compression

def test_compressed_protocol_cli(ferry):
    def cli(sql):
        p = subprocess.run(["mariadb", "--no-defaults", "--compress", "-h127.0.0.1",
                            f"-P{ferry.port()}", "-uapp", "-papp_pw", "-N", "-B", "-e", sql],
                           capture_output=True, text=True, timeout=60)
        assert p.returncode == 0, p.stderr
        return p.stdout.splitlines()

    lines = cli("SELECT REPEAT('x', 100000); SELECT SHA1(REPEAT('ab', 3000000)), "
                "COUNT(*) FROM test.seq_1_to_50000")
    assert lines[0] == "x" * 100000
    want_sha = hashlib.sha1(b"ab" * 3000000).hexdigest()
    assert lines[1] == f"{want_sha}\t50000"
    assert "Protocol:\t\tCompressed" in cli("status"), "the CLI did not report compression"


def test_compressed_protocol_big_results(ferry, client_bin):
    """Server to client: compressed frames carrying a 40 MB row (split packets
    inside the compressed stream), and ordinary results after it."""
    steps = ["info",
             "query", "SELECT REPEAT('abcdefgh', 5000000), SHA1(REPEAT('abcdefgh', 5000000))",
             "query", "SELECT seq, REPEAT(CHAR(65 + seq % 26 USING ascii), 50) FROM test.seq_1_to_3",
             "query", "SELECT COUNT(*), SUM(seq) FROM test.seq_1_to_300000"]
    rc, out = run_client(client_bin, ferry.port(), *steps, opts=["--compress"])
    sha_big = hashlib.sha1(b"abcdefgh" * 5000000).hexdigest()
    assert rc == 0, out
    assert out == [
        "compress=1 tls=none",
        f"<len=40000000 sha1={sha_big}>\t{sha_big}", "rows=1",
        "1\t" + "B" * 50, "2\t" + "C" * 50, "3\t" + "D" * 50, "rows=3",
        "300000\t45000150000", "rows=1",
    ]


@pytest.mark.parametrize("size", [200_000, 2_000_000, 20_000_000])
def test_compressed_protocol_big_requests(ferry_factory, client_bin, size):
    """Client to server: compressed frames that arrive in several reads (1 MiB
    COM_STMT_SEND_LONG_DATA chunks, up to 20 MB of parameter data). Runs on
    its own ferryd: a worker stuck in the inflate filter must not take the
    module's ferryd down with it."""
    f = ferry_factory()
    rc, out = run_client(client_bin, f.port(),
                         "ps", "SELECT LENGTH(?), SHA1(?)", "2", f"blob:{size}", f"blob:{size}",
                         "query", "SELECT 'after'", opts=["--compress"])
    sha = hashlib.sha1(blob_pattern(size)).hexdigest()
    assert (rc, out) == (0, [f"{size}\t{sha}", "rows=1", "after", "rows=1"])


def test_compressed_change_user_and_ps(ferry, client_bin):
    rc, out = run_client(client_bin, ferry.port(),
                         "change-user", "app2", "app2_pw", "test",
                         "ps-loop", "SELECT ?", "500",
                         "query", "SELECT CURRENT_USER()", opts=["--compress"])
    assert out == ["change-user ok", "ps-loop ok 500", "app2@%", "rows=1"]


def test_wrong_password_compressed(ferry, client_bin):
    rc, out = run_client(client_bin, ferry.port(), "info", password="bad",
                         opts=["--compress"])
    assert (rc, out) == (1, ["CONNECT ERROR 1045 (28000): Access denied for user 'app'@"
                             "'127.0.0.1' (using password: YES)"])
