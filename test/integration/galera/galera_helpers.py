"""galera_helpers.py: code shared by the galeramon integration tests: the lab
wrapper (finds the running lab's LAB_DIR, heals a cluster that is not Synced),
direct SQL on the nodes, a ferryd running galeramon (on top of helpers.Ferry),
the snapshots parsed from its debug log, and the admin socket."""

import http.client
import json
import os
import re
import socket
import subprocess
import time
from collections import namedtuple
from datetime import datetime, timezone

import pymysql

import helpers

NODES = {"g1": 3311, "g2": 3312, "g3": 3313}
R1_PORT = 3321
HOST = helpers.HOST
INTERVAL_MS = 1000
CONNECT_TIMEOUT = 3

# ---------------------------------------------------------------- the lab


def _listening_pid(port):
    out = subprocess.run(["ss", "-Hltnp", f"sport = :{port}"], capture_output=True,
                         text=True).stdout
    m = re.search(r"pid=(\d+)", out)
    return int(m.group(1)) if m else None


def lab_dir():
    """The LAB_DIR of the servers that listen on the lab's ports (the lab may
    have been started by another run with its own LAB_DIR), else $LAB_DIR."""
    if os.environ.get("LAB_DIR"):
        return os.environ["LAB_DIR"]
    for port in (*NODES.values(), R1_PORT):
        pid = _listening_pid(port)
        if not pid:
            continue
        try:
            with open(f"/proc/{pid}/cmdline", "rb") as f:
                args = f.read().decode(errors="replace").split("\0")
        except OSError:
            continue
        for a in args:
            if a.startswith("--defaults-file="):
                return os.path.dirname(os.path.dirname(a.split("=", 1)[1]))
    return None


def lab(*args, timeout=300, check=True):
    env = dict(os.environ)
    env.setdefault("LAB_TIMEOUT", "60")
    d = lab_dir()
    if d:
        env["LAB_DIR"] = d
    p = subprocess.run([helpers.LAB_SH, *args], capture_output=True, text=True,
                       timeout=timeout, env=env)
    if check and p.returncode != 0:
        raise AssertionError(f"lab.sh {' '.join(args)} failed ({p.returncode}):\n"
                             f"{p.stdout}\n{p.stderr}")
    return p


def node_state(node):
    """(local_state_comment, cluster_size, cluster_status) or None."""
    try:
        rows = sql(node, "SHOW GLOBAL STATUS WHERE Variable_name IN ('wsrep_local_state_comment',"
                         "'wsrep_cluster_size','wsrep_cluster_status')")
    except pymysql.err.MySQLError:
        return None
    v = dict(rows)
    return (v.get("wsrep_local_state_comment"), int(v.get("wsrep_cluster_size", 0)),
            v.get("wsrep_cluster_status"))


def cluster_healthy():
    return all(node_state(n) == ("Synced", 3, "Primary") for n in NODES)


def ensure_cluster():
    """Starts the Galera nodes if needed and waits until all three are Synced
    in one Primary component; a node stuck elsewhere (say Donor/Desynced after
    another test) is restarted."""
    lab("up", "galera", timeout=600, check=False)  # fails when a node is stuck: healed below
    try:
        helpers.wait_until(cluster_healthy, 30, 0.5, "a Synced 3-node cluster")
        return
    except AssertionError:
        pass
    for n in NODES:
        if node_state(n) != ("Synced", 3, "Primary"):
            lab("stop", n, timeout=120)
            lab("start", n, timeout=300)
    helpers.wait_until(cluster_healthy, 60, 0.5, "a Synced 3-node cluster")


def ensure_r1():
    lab("start", "r1", timeout=120)


def connect(port, **kw):
    return helpers.connect(port, user="admin", password="admin_pw", **kw)


def sql(node, query, args=None):
    """Runs query as admin on a node (name or port); returns all rows."""
    port = NODES.get(node, R1_PORT if node == "r1" else node)
    return helpers.fetch_all(connect(port, connect_timeout=3, read_timeout=30), query, args)


def local_index(node):
    return int(sql(node, "SHOW GLOBAL STATUS LIKE 'wsrep_local_index'")[0][1])


def channels(node):
    """{connection name: (Slave_IO_Running, Slave_SQL_Running)} of a node."""
    c = connect(NODES[node], cursorclass=pymysql.cursors.DictCursor)
    try:
        with c.cursor() as cur:
            cur.execute("SHOW ALL SLAVES STATUS")
            return {r["Connection_name"]: (r["Slave_IO_Running"], r["Slave_SQL_Running"])
                    for r in cur.fetchall()}
    finally:
        c.close()


# ---------------------------------------------------------------- snapshots

Snapshot = namedtuple("Snapshot", "t seq master states")

SNAP_RE = re.compile(r"^(\S+) debug\s+monitor '([^']+)': snapshot (\d+): "
                     r"master (?:'([^']*)'|none): (.*)$")
SERVER_RE = re.compile(r"(\S+) \[([^\]]*)\]")
LINE_TIME_RE = re.compile(r"^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3})Z ")


def log_time(stamp):
    """Epoch seconds of a log line's UTC timestamp."""
    dt = datetime.strptime(stamp.rstrip("Z"), "%Y-%m-%dT%H:%M:%S.%f")
    return dt.replace(tzinfo=timezone.utc).timestamp()


def parse_snapshots(text, monitor="galera"):
    snaps = []
    for line in text.splitlines():
        m = SNAP_RE.match(line)
        if not m or m.group(2) != monitor:
            continue
        states = {name: set(s.split(", ")) for name, s in SERVER_RE.findall(m.group(5))}
        snaps.append(Snapshot(log_time(m.group(1)), int(m.group(3)), m.group(4), states))
    return snaps


# ---------------------------------------------------------------- ferryd


class GaleraFerry(helpers.Ferry):
    """A ferryd with one galeramon monitor ("galera") over g1..g3 and a
    readconnroute master listener in front of it, logging at debug level so
    that every snapshot is in the log. monitor: extra monitor parameters
    (Python values); priorities: {server: priority}."""

    def __init__(self, workdir, monitor=None, priorities=None, password="maxmon_pw",
                 datadir=None, listener=False, extra_servers=None):
        self.monitor = {"interval_ms": INTERVAL_MS, "connect_timeout": CONNECT_TIMEOUT,
                        "read_timeout": CONNECT_TIMEOUT, "use_priority": True}
        self.monitor.update(monitor or {})
        self.priorities = {"g1": 1, "g2": 2, "g3": 3}
        self.priorities.update(priorities or {})
        self.password = password
        self.datadir = datadir
        self.with_listener = listener
        self.servers = dict(NODES)
        self.servers.update(extra_servers or {})
        for n in self.servers:
            self.priorities.setdefault(n, 0)
        super().__init__(workdir, listeners=[{"name": "rw-listener"}], threads=1, log_level="debug")

    @staticmethod
    def _value(v):
        if isinstance(v, bool):
            return "true" if v else "false"
        if isinstance(v, int):
            return str(v)
        if isinstance(v, dict):
            return "{ " + " ".join(f"{k} = {GaleraFerry._value(x)};" for k, x in v.items()) + " }"
        return json.dumps(v)

    def _config(self, servers, router_options, threads, users_refresh_ms, interval_ms,
                log_level):
        srv = ",\n  ".join(
            f'{{ name = "{n}"; address = "{HOST}"; port = {p}; priority = {self.priorities[n]}; }}'
            for n, p in self.servers.items())
        names = ", ".join(f'"{n}"' for n in self.servers)
        extra = " ".join(f"{k} = {self._value(v)};" for k, v in self.monitor.items())
        datadir = self.datadir or self.dir
        return f"""# written by test/integration/galera/galera_helpers.py
ferry = {{ threads = {threads}; datadir = "{datadir}"; log_file = "{self.log}";
          log_level = "{log_level}"; admin_socket = "{self.dir}/ferryd.sock"; }};
servers = (
  {srv}
);
monitors = ( {{ name = "galera"; module = "galeramon"; servers = [{names}];
               user = "maxmon"; password = "{self.password}"; {extra} }} );
services = ( {{ name = "rw"; router = "readconnroute"; cluster = "galera";
               router_options = "master"; user = "maxscale"; password = "maxscale_pw"; }} );
{self._listener()}"""

    def _listener(self):
        if not self.with_listener:
            return ""
        return (f'listeners = ( {{ name = "rw-listener"; service = "rw"; address = "{HOST}"; '
                f'port = {self.port()}; }} );\n')

    def start(self, timeout=15):
        """Starts ferryd and waits for its "started" log line (not for the
        listener: a connection right before a SIGTERM is not what these tests
        are about)."""
        assert os.access(helpers.FERRYD, os.X_OK), f"no ferryd at {helpers.FERRYD}"
        mark = len(self.log_text())
        with open(self.out, "ab") as out:
            self.proc = subprocess.Popen([helpers.FERRYD, "-c", self.conf],
                                         stdin=subprocess.DEVNULL, stdout=out, stderr=out)

        def started():
            if self.proc.poll() is not None:
                raise AssertionError(f"ferryd exited with {self.proc.returncode} during "
                                     f"startup\n{self.tail()}")
            return "ferryd " in self.log_text()[mark:] and " started with " in \
                self.log_text()[mark:]
        try:
            helpers.wait_until(started, timeout, 0.05, "ferryd to start")
        except AssertionError:
            self.kill()
            raise
        return self

    def restart(self):
        self.stop()
        self.stopped = False
        return self.start()

    def snapshots(self):
        return parse_snapshots(self.log_text())

    def latest(self):
        snaps = self.snapshots()
        return snaps[-1] if snaps else None

    def wait(self, pred, timeout=30, what="a snapshot", since=0.0):
        """The first snapshot taken after `since` (epoch) for which pred holds."""
        def found():
            for s in self.snapshots():
                if s.t >= since and pred(s):
                    return s
            return None
        try:
            return helpers.wait_until(found, timeout, 0.05, what)
        except AssertionError as e:
            raise AssertionError(f"{e}\nlatest: {self.latest()}\n{self.tail(30)}") from None

    def wait_master(self, name, timeout=30, since=0.0):
        return self.wait(lambda s: s.master == name, timeout, f"master {name}", since)

    def assert_one_master(self):
        """No snapshot ever had two Masters, and the Master is the snapshot's master."""
        snaps = self.snapshots()
        assert snaps, "no snapshots logged"
        for s in snaps:
            masters = [n for n, st in s.states.items() if "Master" in st]
            assert len(masters) <= 1, f"two masters in snapshot {s}"
            assert masters == ([s.master] if s.master else []), f"inconsistent snapshot {s}"
        return snaps

    def admin(self, method, path, body=None):
        """One request on the admin socket; returns (status, decoded JSON or text)."""
        conn = UnixHTTPConnection(os.path.join(self.dir, "ferryd.sock"))
        try:
            data = json.dumps(body) if body is not None else None
            conn.request(method, path, body=data,
                         headers={"Content-Type": "application/json"} if data else {})
            r = conn.getresponse()
            text = r.read().decode()
            try:
                return r.status, json.loads(text)
            except ValueError:
                return r.status, text
        finally:
            conn.close()


class UnixHTTPConnection(http.client.HTTPConnection):
    def __init__(self, path):
        super().__init__("localhost", timeout=10)
        self.path = path

    def connect(self):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.settimeout(10)
        self.sock.connect(self.path)


def now():
    return time.time()
