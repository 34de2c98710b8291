"""Big packets: a 64 MB row written and read back through Ferry (the MariaDB
protocol splits payloads at 16 MiB - 1), and the exact split boundaries."""

import hashlib
import os
import uuid

import pytest

from helpers import admin_query, connect

MB = 1024 * 1024
MAX_PAYLOAD = 0xFFFFFF  # a packet of exactly this payload is followed by an empty one


@pytest.fixture
def big_table(ferry):
    name = "test.big_" + uuid.uuid4().hex[:10]
    admin_query(f"CREATE TABLE {name} (id INT PRIMARY KEY, v LONGBLOB) ENGINE=InnoDB")
    yield name
    admin_query(f"DROP TABLE IF EXISTS {name}")


def big_connect(ferry):
    return connect(ferry.port(), max_allowed_packet=256 * MB, read_timeout=120,
                   write_timeout=120)


def test_64mb_row_both_ways(ferry, big_table):
    value = os.urandom(64 * MB)
    sha = hashlib.sha1(value).hexdigest()
    c = big_connect(ferry)
    cur = c.cursor()
    # client -> server: the INSERT is a ~128 MB packet (escaped binary), 8+ split packets
    assert cur.execute(f"INSERT INTO {big_table} VALUES (1, %s)", (value,)) == 1
    cur.execute(f"SELECT LENGTH(v), SHA1(v) FROM {big_table} WHERE id = 1")
    assert cur.fetchone() == (64 * MB, sha), "the server stored something else"
    # server -> client: a 64 MB row
    cur.execute(f"SELECT v, id FROM {big_table} WHERE id = 1")
    got, ident = cur.fetchone()
    assert ident == 1
    assert len(got) == 64 * MB
    assert hashlib.sha1(got).hexdigest() == sha
    # the session is in step after the big packets
    cur.execute("SELECT 'after'")
    assert cur.fetchone() == ("after",)
    c.close()
    # and the same value read directly from s1 matches
    assert admin_query(f"SELECT SHA1(v) FROM {big_table}") == ((sha,),)


@pytest.mark.parametrize("delta", [-1, 0, 1])
def test_query_at_split_boundary(ferry, delta):
    """COM_QUERY packets whose payload is 16 MiB - 1 (+/- 1): the exact size
    is followed by an empty packet."""
    prefix = b"SELECT LENGTH('"
    suffix = b"')"
    n = MAX_PAYLOAD - 1 + delta - len(prefix) - len(suffix)  # 1 byte of command
    c = big_connect(ferry)
    cur = c.cursor()
    cur.execute((prefix + b"x" * n + suffix).decode())
    assert cur.fetchone() == (n,)
    cur.execute("SELECT 'in step'")
    assert cur.fetchone() == ("in step",)
    c.close()


@pytest.mark.parametrize("delta", [-1, 0, 1])
def test_row_at_split_boundary(ferry, delta):
    """Result rows whose payload is 16 MiB - 1 (+/- 1): one length-encoded
    string of n bytes takes 4 + n bytes."""
    n = MAX_PAYLOAD - 4 + delta
    c = big_connect(ferry)
    cur = c.cursor()
    cur.execute(f"SELECT REPEAT('y', {n})")
    (v,) = cur.fetchone()
    assert len(v) == n and v == "y" * n
    cur.execute("SELECT 'in step'")
    assert cur.fetchone() == ("in step",)
    c.close()


def test_many_big_rows(ferry):
    """A result of 40 rows of 1 MB each: 40 MB streamed through."""
    c = big_connect(ferry)
    cur = c.cursor()
    cur.execute("SELECT seq, REPEAT(CHAR(64 + seq USING ascii), 1048576) FROM test.seq_1_to_40")
    rows = cur.fetchall()
    assert len(rows) == 40
    for i, (seq, v) in enumerate(rows, 1):
        assert seq == i and len(v) == MB and v == chr(64 + i) * MB
    c.close()
