"""blr_helpers.py: what the binlog relay's integration tests (test/integration/binlog/)
share: throwaway mariadbd servers of their own (a master and replicas under
/tmp, never the shared lab, so other suites are not disturbed), a ferryd with a
binlogrouter service in front of the master, and mariadb-binlog runs."""

import os
import pwd
import re
import shutil
import signal
import socket
import subprocess
import tempfile
import time

import pymysql

import helpers
from helpers import HOST, free_port, wait_until

MARIADBD = os.environ.get("MARIADBD", "/usr/sbin/mariadbd")
RUN_USER = "mysql" if os.geteuid() == 0 else None
RELAY_SERVER_ID = 7100

ACCOUNTS_SQL = """
SET sql_log_bin=0;
CREATE USER 'admin'@'%' IDENTIFIED BY 'admin_pw';
GRANT ALL ON *.* TO 'admin'@'%' WITH GRANT OPTION;
CREATE USER 'maxmon'@'%' IDENTIFIED BY 'maxmon_pw';
GRANT SELECT ON mysql.* TO 'maxmon'@'%';
GRANT SHOW DATABASES, PROCESS, BINLOG MONITOR, SLAVE MONITOR, REPLICATION MASTER ADMIN,
      READ_ONLY ADMIN, CONNECTION ADMIN ON *.* TO 'maxmon'@'%';
CREATE USER 'repl'@'%' IDENTIFIED BY 'repl_pw';
GRANT REPLICATION SLAVE, REPLICATION CLIENT, SLAVE MONITOR ON *.* TO 'repl'@'%';
GRANT SELECT ON mysql.* TO 'repl'@'%';
CREATE USER 'app'@'%' IDENTIFIED BY 'app_pw';
GRANT SELECT, INSERT, UPDATE, DELETE, CREATE, DROP, ALTER, INDEX ON *.* TO 'app'@'%';
CREATE USER 'norepl'@'%' IDENTIFIED BY 'norepl_pw';
GRANT SELECT ON *.* TO 'norepl'@'%';
"""


def _own(path):
    if RUN_USER:
        pw = pwd.getpwnam(RUN_USER)
        os.chown(path, pw.pw_uid, pw.pw_gid)


class Mariadbd:
    """A throwaway mariadbd with its own datadir under /tmp."""

    def __init__(self, name, server_id, domain, extra=()):
        self.name = name
        self.dir = tempfile.mkdtemp(prefix=f"ferry-blr-{name}-", dir="/tmp")
        os.chmod(self.dir, 0o755)
        _own(self.dir)
        self.port = free_port()
        self.sock = os.path.join(self.dir, "sock")
        self.data = os.path.join(self.dir, "data")
        self.log = os.path.join(self.dir, "error.log")
        self.cnf = os.path.join(self.dir, "my.cnf")
        self.proc = None
        lines = [
            "[mariadbd]",
            f"datadir={self.data}", f"socket={self.sock}", f"port={self.port}",
            f"pid_file={self.dir}/pid", f"log_error={self.log}", f"tmpdir={self.dir}/tmp",
            "bind_address=127.0.0.1", "skip_name_resolve=ON", "performance_schema=OFF",
            "innodb_buffer_pool_size=32M", "innodb_log_file_size=16M",
            "innodb_flush_log_at_trx_commit=2", "sync_binlog=0", "max_allowed_packet=1G",
            "binlog_format=ROW", "binlog_checksum=CRC32", f"server_id={server_id}",
            f"gtid_domain_id={domain}", f"log_bin={name}-bin", f"relay_log={name}-relay",
            "max_connections=500",
        ]
        if RUN_USER:
            lines.append(f"user={RUN_USER}")
        lines += list(extra)
        with open(self.cnf, "w") as f:
            f.write("\n".join(lines) + "\n")

    def install(self):
        for d in (self.data, os.path.join(self.dir, "tmp")):
            os.makedirs(d, exist_ok=True)
            _own(d)
        args = ["mariadb-install-db", "--no-defaults", f"--datadir={self.data}",
                f"--tmpdir={self.dir}/tmp", "--skip-test-db",
                "--auth-root-authentication-method=socket", "--skip-name-resolve"]
        if RUN_USER:
            args.append(f"--user={RUN_USER}")
        p = subprocess.run(args, capture_output=True, text=True, cwd=self.dir, timeout=120)
        assert p.returncode == 0, f"mariadb-install-db failed:\n{p.stdout}\n{p.stderr}"
        return self

    def start(self, timeout=60):
        with open(self.log, "ab") as out:
            self.proc = subprocess.Popen([MARIADBD, f"--defaults-file={self.cnf}"], cwd=self.dir,
                                         stdin=subprocess.DEVNULL, stdout=out, stderr=out,
                                         start_new_session=True)
        wait_until(lambda: self.proc.poll() is None and self.root_ok(), timeout,
                   what=f"mariadbd {self.name} to start (see {self.log})")
        return self

    def root_ok(self):
        return subprocess.run(["mariadb", "--no-defaults", "-S", self.sock, "-uroot", "-e",
                               "SELECT 1"], capture_output=True).returncode == 0

    def root(self, sql, timeout=60):
        """Runs sql as root over the socket; returns the tab-separated rows."""
        p = subprocess.run(["mariadb", "--no-defaults", "-S", self.sock, "-uroot", "-N", "-B",
                            "-e", sql], capture_output=True, text=True, timeout=timeout)
        assert p.returncode == 0, f"{self.name}: {sql}: {p.stderr}"
        return [line.split("\t") for line in p.stdout.splitlines()]

    def value(self, sql):
        rows = self.root(sql)
        return rows[0][0] if rows else None

    def connect(self, user="app", password="app_pw", **kw):
        return helpers.connect(self.port, user=user, password=password, **kw)

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(60)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        shutil.rmtree(self.dir, ignore_errors=True)


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
    c = relay_conn(ferry, **kw)
    try:
        with c.cursor() as cur:
            cur.execute(sql)
            return cur.fetchall()
    finally:
        c.close()


def relay_dict(ferry, sql):
    c = relay_conn(ferry, cursorclass=pymysql.cursors.DictCursor)
    try:
        with c.cursor() as cur:
            cur.execute(sql)
            return cur.fetchall()
    finally:
        c.close()


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
