"""blr_helpers.py: what the binlog relay's integration tests (test/integration/binlog/)
share: a master and replicas of their own (mariadbd.Mariadbd, never the shared
lab), a ferryd with a binlogrouter service in front of the master, and
mariadb-binlog runs."""

import re
import socket
import subprocess

import pymysql

import helpers
from helpers import HOST, free_port, wait_until
from mariadbd import ACCOUNTS_SQL, Mariadbd  # noqa: F401 (the binlog tests use bh.Mariadbd)

RELAY_SERVER_ID = 7100


def make_master():
    m = Mariadbd("bm", 9100, 91).install().start()
    m.root(ACCOUNTS_SQL)
    return m


def make_replica(name="br", server_id=9200):
    r = Mariadbd(name, server_id, 92, extra=("skip_slave_start=ON",)).install().start()
    r.root(ACCOUNTS_SQL)
    return r


# ---------------------------------------------------------------- ferryd

def relay_config(workdir, master, port, server_id=RELAY_SERVER_ID, extra="", threads=2,
                 tls=None):
    tls_text = helpers.tls_block(tls)
    return f"""# written by test/integration/binlog/blr_helpers.py
ferry = {{ threads = {threads}; datadir = "{workdir}"; log_file = "{workdir}/ferryd.log";
          log_level = "info"; admin_socket = "{workdir}/ferryd.sock"; }};
servers = ( {{ name = "bm"; address = "{HOST}"; port = {master.port}; }} );
monitors = ( {{ name = "mon"; module = "mariadbmon"; servers = ["bm"];
               user = "maxmon"; password = "maxmon_pw"; interval_ms = 300; }} );
services = ( {{ name = "relay"; router = "binlogrouter"; cluster = "mon";
               user = "repl"; password = "repl_pw"; server_id = {server_id};{extra} }} );
listeners = ( {{ name = "relay-listener"; service = "relay"; address = "{HOST}"; port = {port};
                {tls_text} }} );
"""


def start_relay(workdir, master, extra="", threads=2, tls=None, server_id=RELAY_SERVER_ID):
    """server_id: each relay on one master needs its own (the master ends a second dump
    with the same server_id)."""
    port = free_port()
    f = helpers.Ferry(workdir, listeners=[{"name": "relay-listener", "port": port}],
                      config_text=relay_config(workdir, master, port, server_id=server_id,
                                               extra=extra, threads=threads, tls=tls))
    f.start(wait_login=False)
    f.ssl = {"ca": tls["ca"], "check_hostname": False} if tls and tls.get("ca") else None
    wait_until(lambda: relay_query(f, "SELECT 1"), 20, what="a login on the relay")
    return f


def relay_conn(ferry, user="repl", password="repl_pw", **kw):
    if getattr(ferry, "ssl", None):
        kw.setdefault("ssl", ferry.ssl)
    return helpers.connect(ferry.port(), user=user, password=password, **kw)


def relay_query(ferry, sql, **kw):
    return helpers.fetch_all(relay_conn(ferry, **kw), sql)


def relay_dict(ferry, sql):
    return relay_query(ferry, sql, cursorclass=pymysql.cursors.DictCursor)


def relay_gtid(ferry):
    return relay_query(ferry, "SELECT @@gtid_binlog_pos")[0][0]


def wait_relay_has(ferry, master, timeout=20):
    """Waits until the relay has committed everything the master has."""
    want = master.value("SELECT @@gtid_binlog_pos")
    wait_until(lambda: relay_gtid(ferry) == want, timeout,
               what=f"the relay to reach {want} (it has {relay_gtid(ferry)})")
    return want


# ---------------------------------------------------------------- mariadb-binlog

GTID_RE = re.compile(r"\bGTID (\d+-\d+-\d+)")


def binlog_args(ferry, *args):
    return ["mariadb-binlog", "--read-from-remote-server", f"--host={HOST}",
            f"--port={ferry.port()}", "--user=repl", "--password=repl_pw", *args]


def mariadb_binlog(ferry, *args, timeout=60):
    """Runs mariadb-binlog against the relay; returns (rc, stdout, stderr)."""
    p = subprocess.run(binlog_args(ferry, *args), capture_output=True, text=True,
                       errors="replace", timeout=timeout)
    return p.returncode, p.stdout, p.stderr


def gtids(text):
    return GTID_RE.findall(text)


def master_gtids(master):
    """Every GTID in the master's binlogs, in order (mariadb-binlog on its files)."""
    first = master.root("SHOW BINARY LOGS")[0][0]
    p = subprocess.run(["mariadb-binlog", "--read-from-remote-server", f"--host={HOST}",
                        f"--port={master.port}", "--user=repl", "--password=repl_pw",
                        "--to-last-log", first], capture_output=True, text=True,
                       errors="replace", timeout=60)
    assert p.returncode == 0, p.stderr
    return gtids(p.stdout)


def port_open(port):
    try:
        socket.create_connection((HOST, port), timeout=1).close()
        return True
    except OSError:
        return False
