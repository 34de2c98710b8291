"""mariadbd.py: throwaway mariadbd servers for the integration tests that need
servers of their own (a master and replicas, TLS, ...) under /tmp, never the
shared lab, so other suites are not disturbed. ACCOUNTS_SQL creates the
lab's accounts on one."""
import os
import pwd
import shutil
import signal
import subprocess
import tempfile

import helpers
from helpers import free_port, wait_until

MARIADBD = os.environ.get("MARIADBD", "/usr/sbin/mariadbd")
RUN_USER = "mysql" if os.geteuid() == 0 else None

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


def own(path):
    """Gives path to the user mariadbd runs as."""
    if RUN_USER:
        pw = pwd.getpwnam(RUN_USER)
        os.chown(path, pw.pw_uid, pw.pw_gid)


class Mariadbd:
    """A throwaway mariadbd with its own datadir under /tmp."""

    def __init__(self, name, server_id, domain, extra=()):
        self.name = name
        self.dir = tempfile.mkdtemp(prefix=f"ferry-srv-{name}-", dir="/tmp")
        os.chmod(self.dir, 0o755)
        own(self.dir)
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
            own(d)
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


def start_ferry_in_front(d, servers, relay_server_id, monitor_extra=""):
    """Starts a ferryd (directory d) in front of servers, a list of (name, port,
    extra server settings): mariadbmon "mon" over all of them, a readconnroute
    service "rw" to the master (listener "rw-listener") and a binlog relay
    "relay" following the monitor (listener "relay-listener")."""
    rw, relay = free_port(), free_port()
    srv = ",\n            ".join(f'{{ name = "{n}"; address = "{helpers.HOST}"; port = {p};{x} }}'
                                 for n, p, x in servers)
    names = ", ".join(f'"{n}"' for n, _, _ in servers)
    text = f"""ferry = {{ threads = 2; log_file = "{d}/ferryd.log"; log_level = "info";
          admin_socket = "{d}/ferryd.sock"; datadir = "{d}"; }};
servers = ( {srv} );
monitors = ( {{ name = "mon"; module = "mariadbmon"; servers = [{names}];
               user = "maxmon"; password = "maxmon_pw"; interval_ms = 300;{monitor_extra} }} );
services = ( {{ name = "rw"; router = "readconnroute"; cluster = "mon"; router_options = "master";
               user = "repl"; password = "repl_pw"; }},
             {{ name = "relay"; router = "binlogrouter"; cluster = "mon"; user = "repl";
               password = "repl_pw"; server_id = {relay_server_id}; }} );
listeners = ( {{ name = "rw-listener"; service = "rw"; address = "{helpers.HOST}"; port = {rw}; }},
              {{ name = "relay-listener"; service = "relay"; address = "{helpers.HOST}";
                 port = {relay}; }} );
"""
    f = helpers.Ferry(d, listeners=[{"name": "rw-listener", "port": rw},
                                    {"name": "relay-listener", "port": relay}],
                      config_text=text)
    f.start(timeout=30, wait_login=False)
    return f
