"""conftest.py of the binlog relay's integration tests (test/integration/binlog/).

These tests bring their own servers (blr_helpers.Mariadbd under /tmp), so they
neither need nor disturb the shared lab.

* master (module): a standalone MariaDB master (gtid_domain_id 91) with the lab's
  accounts; repl may also read mysql.user (the relay loads accounts with it).
* relay (module): a ferryd with a binlogrouter service following the master
  through mariadbmon; stopped with SIGTERM at the end (exit 0 asserted).
* make_relay (function): make(extra="...", tls=...) starts another relay (own datadir).
* replica (function): a fresh MariaDB replica, not yet pointed anywhere.
"""

import os
import sys

import pytest

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import blr_helpers as bh  # noqa: E402
import helpers  # noqa: E402

helpers.raise_nofile()


@pytest.fixture(scope="module")
def master():
    m = bh.make_master()
    with m.connect() as c, c.cursor() as cur:
        cur.execute("CREATE DATABASE blr_it")
        cur.execute("CREATE TABLE blr_it.t (id INT AUTO_INCREMENT PRIMARY KEY, "
                    "v VARCHAR(64), b LONGBLOB) ENGINE=InnoDB")
        cur.execute("INSERT INTO blr_it.t (v) VALUES ('a'), ('b')")
    yield m
    m.stop()


@pytest.fixture(scope="module")
def relay(master, tmp_path_factory):
    f = bh.start_relay(tmp_path_factory.mktemp("relay"), master)
    bh.wait_relay_has(f, master)
    yield f
    f.stop()


@pytest.fixture
def make_relay(master, tmp_path_factory):
    made = []

    def make(extra="", tls=None):
        f = bh.start_relay(tmp_path_factory.mktemp("relay"), master, extra=extra, tls=tls,
                           server_id=bh.RELAY_SERVER_ID + 1 + len(made))
        made.append(f)
        return f

    yield make
    for f in made:
        f.stop()


@pytest.fixture
def replica():
    made = []

    def make(name="br", server_id=9200):
        r = bh.make_replica(name, server_id)
        made.append(r)
        return r

    yield make
    for r in made:
        r.stop()
