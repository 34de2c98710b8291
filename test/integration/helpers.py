"""helpers.py: shared code of the integration tests (imported by conftest.py
and the test_*.py files): paths, the lab wrapper, a ferryd process wrapper
that writes a config, starts ferryd and stops it with SIGTERM, and small
client helpers on top of pymysql."""

import os
import resource
import signal
import socket
import subprocess
import time

import pymysql

ROOT = os.environ.get("FERRY_SOURCE_DIR") or os.path.abspath(
    os.path.join(os.path.dirname(__file__), "..", ".."))
FERRYD = os.environ.get("FERRYD") or os.path.join(ROOT, "build", "server", "ferryd")
LAB_SH = os.path.join(ROOT, "test", "lab", "lab.sh")
HOST = "127.0.0.1"
S1_PORT = 3331
NOFILE = 65536

ACCESS_DENIED = 1045
DBACCESS_DENIED = 1044
BAD_DB = 1049
CONNECTION_KILLED = 1927


# ---------------------------------------------------------------- generic

def asan_build():
    """True when FERRYD is the AddressSanitizer build: its RSS says little about
    live memory, since ASan's quarantine keeps freed memory for a while."""
    p = subprocess.run(["ldd", FERRYD], capture_output=True, text=True)
    return "libasan" in p.stdout


def wait_until(pred, timeout, interval=0.1, what="condition"):
    """Polls pred() until it returns a true value (returned) or timeout seconds pass."""
    deadline = time.monotonic() + timeout
    last_exc = None
    while True:
        try:
            v = pred()
            if v:
                return v
        except Exception as e:  # noqa: BLE001 - remembered for the failure message
            last_exc = e
        if time.monotonic() >= deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what}"
                                 + (f" (last error: {last_exc!r})" if last_exc else ""))
        time.sleep(interval)


def free_port():
    """An unused TCP port on 127.0.0.1 (the kernel's ephemeral choice)."""
    with socket.socket() as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


def raise_nofile():
    """Raises this process's RLIMIT_NOFILE as far as the hard limit allows."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    want = NOFILE if hard == resource.RLIM_INFINITY else min(NOFILE, hard)
    if soft < want:
        resource.setrlimit(resource.RLIMIT_NOFILE, (want, hard))


def lab(*args, timeout=300, check=True):
    """Runs test/lab/lab.sh ARGS; returns the CompletedProcess."""
    p = subprocess.run([LAB_SH, *args], capture_output=True, text=True, timeout=timeout)
    if check and p.returncode != 0:
        raise AssertionError(f"lab.sh {' '.join(args)} failed ({p.returncode}):\n"
                             f"{p.stdout}\n{p.stderr}")
    return p


# ---------------------------------------------------------------- clients

def connect(port, user="app", password="app_pw", **kw):
    args = dict(host=HOST, port=port, user=user, password=password, connect_timeout=10,
                read_timeout=60, write_timeout=60, autocommit=True)
    args.update(kw)
    return pymysql.connect(**args)


def direct(user="admin", password="admin_pw", **kw):
    """A connection straight to s1 (not through Ferry)."""
    return connect(S1_PORT, user=user, password=password, **kw)


def fetch_all(conn, sql, args=None):
    """Runs sql on conn, closes conn and returns all rows."""
    try:
        with conn.cursor() as cur:
            cur.execute(sql, args)
            return cur.fetchall()
    finally:
        conn.close()


def admin_query(sql, args=None):
    """Runs sql as admin directly on s1; returns all rows."""
    return fetch_all(direct(), sql, args)


def query(port, sql, user="app", password="app_pw", **kw):
    return fetch_all(connect(port, user=user, password=password, **kw), sql)


def login_error(port, user, password, **kw):
    """Tries a login; returns (errno, message) of the refusal, or None if it worked."""
    try:
        c = connect(port, user=user, password=password, **kw)
    except pymysql.err.MySQLError as e:
        return (e.args[0], e.args[1] if len(e.args) > 1 else "")
    c.close()
    return None


def error_of(fn):
    """Calls fn(); returns (errno, message) of the pymysql error it raised."""
    try:
        fn()
    except pymysql.err.MySQLError as e:
        return (e.args[0], e.args[1] if len(e.args) > 1 else "")
    raise AssertionError("expected an error, the call succeeded")


def app_backend_threads(user="app"):
    """Ids of user's connections on s1 (as seen in the processlist)."""
    return {r[0] for r in admin_query(
        "SELECT ID FROM information_schema.PROCESSLIST WHERE USER = %s", (user,))}


def blob_pattern(size):
    """The bytes ferry_client sends for blob:SIZE: byte k is (k*31+7) % 251."""
    base = bytes(((k * 31 + 7) % 251) for k in range(251))
    return (base * (size // 251 + 1))[:size]


def run_client(binary, port, *steps, user="app", password="app_pw", opts=(), timeout=120):
    """Runs ferry_client against 127.0.0.1:port; returns (rc, stdout lines)."""
    p = subprocess.run([binary, *opts, HOST, str(port), user, password, *steps],
                       capture_output=True, text=True, timeout=timeout)
    assert p.returncode in (0, 1), f"ferry_client failed: rc={p.returncode}\n{p.stderr}"
    return p.returncode, p.stdout.splitlines()


# ---------------------------------------------------------------- ferryd

def default_listeners(tls_files):
    """plain (no TLS), tls (TLS offered) and tls_req (TLS required)."""
    tls = {"cert": tls_files["cert"], "key": tls_files["key"], "ca": tls_files["ca"]}
    return [{"name": "plain"},
            {"name": "tls", "tls": dict(tls, required=False)},
            {"name": "tls_req", "tls": dict(tls, required=True)}]


def tls_block(tls):
    if not tls:
        return ""
    parts = [f'cert = "{tls["cert"]}"; key = "{tls["key"]}";']
    if tls.get("ca"):
        parts.append(f'ca = "{tls["ca"]}";')
    parts.append(f'required = {"true" if tls.get("required") else "false"};')
    return " tls = { " + " ".join(parts) + " };"


class Ferry:
    """One ferryd process with its own directory, config and log.

    listeners: list of dicts {name, port (optional: picked), tls (optional dict
    cert/key/ca/required)}. All listeners go to service "conn" (readconnroute
    with router_options) in front of servers (list of (name, port)).
    """

    def __init__(self, workdir, listeners=None, servers=(("s1", S1_PORT),),
                 router_options="master", threads=2, users_refresh_ms=None,
                 interval_ms=500, log_level="info", config_text=None, env=None):
        self.dir = str(workdir)
        os.makedirs(self.dir, exist_ok=True)
        self.conf = os.path.join(self.dir, "ferry.conf")
        self.log = os.path.join(self.dir, "ferryd.log")
        self.out = os.path.join(self.dir, "ferryd.out")
        self.env = env
        self.proc = None
        self.stopped = False
        self.listeners = []
        for i, lst in enumerate(listeners or [{"name": "plain"}]):
            lst = dict(lst)
            lst.setdefault("name", f"l{i}")
            lst.setdefault("port", free_port())
            self.listeners.append(lst)
        if config_text is None:
            config_text = self._config(servers, router_options, threads, users_refresh_ms,
                                       interval_ms, log_level)
        with open(self.conf, "w") as f:
            f.write(config_text)

    def _config(self, servers, router_options, threads, users_refresh_ms, interval_ms,
                log_level):
        srv = ",\n  ".join(f'{{ name = "{n}"; address = "{HOST}"; port = {p}; }}'
                           for n, p in servers)
        names = ", ".join(f'"{n}"' for n, _ in servers)
        refresh = f" users_refresh_ms = {users_refresh_ms};" if users_refresh_ms is not None else ""
        lst = ",\n  ".join(
            f'{{ name = "{l["name"]}"; service = "conn"; address = "{HOST}"; port = {l["port"]};'
            f'{tls_block(l.get("tls"))} }}' for l in self.listeners)
        return f"""# written by test/integration/helpers.py
ferry = {{ threads = {threads}; datadir = "{self.dir}"; log_file = "{self.log}";
          log_level = "{log_level}"; admin_socket = "{self.dir}/ferryd.sock"; }};
servers = (
  {srv}
);
monitors = ( {{ name = "mon"; module = "mariadbmon"; servers = [{names}];
               user = "maxmon"; password = "maxmon_pw"; interval_ms = {interval_ms}; }} );
services = ( {{ name = "conn"; router = "readconnroute"; cluster = "mon";
               router_options = "{router_options}"; user = "maxscale";
               password = "maxscale_pw";{refresh} }} );
listeners = (
  {lst}
);
"""

    def port(self, name=None):
        if name is None:
            return self.listeners[0]["port"]
        for lst in self.listeners:
            if lst["name"] == name:
                return lst["port"]
        raise KeyError(name)

    @property
    def pid(self):
        return self.proc.pid

    def alive(self):
        return self.proc is not None and self.proc.poll() is None

    def log_text(self):
        try:
            with open(self.log, errors="replace") as f:
                return f.read()
        except FileNotFoundError:
            return ""

    def tail(self, n=40):
        out = ""
        try:
            with open(self.out, errors="replace") as f:
                out = f.read()[-4000:]
        except FileNotFoundError:
            pass
        lines = self.log_text().splitlines()[-n:]
        return (f"--- {self.log} (last {n} lines) ---\n" + "\n".join(lines)
                + (f"\n--- {self.out} ---\n{out}" if out.strip() else ""))

    def rss_kb(self):
        with open(f"/proc/{self.pid}/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
        raise AssertionError("no VmRSS")

    def start(self, wait_login=True, timeout=10):
        assert os.access(FERRYD, os.X_OK), f"no ferryd binary at {FERRYD} (build it first)"
        self.stopped = False  # a restart after kill() is stopped again at teardown

        def limits():
            soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
            want = NOFILE if hard == resource.RLIM_INFINITY else min(NOFILE, hard)
            resource.setrlimit(resource.RLIMIT_NOFILE, (want, hard))

        env = dict(os.environ)
        env.update(self.env or {})
        with open(self.out, "ab") as out:
            self.proc = subprocess.Popen([FERRYD, "-c", self.conf], stdin=subprocess.DEVNULL,
                                         stdout=out, stderr=out, preexec_fn=limits, env=env)
        deadline = time.monotonic() + timeout
        for lst in self.listeners:
            while True:
                if self.proc.poll() is not None:
                    raise AssertionError(f"ferryd exited with {self.proc.returncode} during "
                                         f"startup\n{self.tail()}")
                try:
                    socket.create_connection((HOST, lst["port"]), timeout=1).close()
                    break
                except OSError:
                    pass
                if time.monotonic() > deadline:
                    self.kill()
                    raise AssertionError(f"ferryd listener {lst['name']} (port {lst['port']}) "
                                         f"not accepting after {timeout}s\n{self.tail()}")
                time.sleep(0.05)
        if wait_login:
            plain = [l for l in self.listeners if not (l.get("tls") or {}).get("required")]
            port = plain[0]["port"]
            last = None
            while True:
                try:
                    connect(port, connect_timeout=3).close()
                    break
                except pymysql.err.MySQLError as e:
                    last = e
                if time.monotonic() > deadline:
                    self.kill()
                    raise AssertionError(f"no login through ferryd after {timeout}s "
                                         f"(last error {last!r})\n{self.tail()}")
                time.sleep(0.1)
        return self

    def signal(self, sig):
        self.proc.send_signal(sig)

    def kill(self):
        self.stopped = True
        if self.alive():
            self.proc.kill()
            self.proc.wait()

    def stop(self, timeout=10):
        """SIGTERM; asserts that ferryd was still running and exits 0 within timeout."""
        if self.proc is None or self.stopped:
            return
        self.stopped = True
        rc = self.proc.poll()
        if rc is not None:
            raise AssertionError(f"ferryd died during the test with exit code {rc}\n"
                                 f"{self.tail()}")
        self.proc.send_signal(signal.SIGTERM)
        try:
            rc = self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.kill()
            raise AssertionError(f"ferryd did not exit within {timeout}s of SIGTERM\n"
                                 f"{self.tail()}")
        if rc != 0:
            raise AssertionError(f"ferryd exited with {rc} after SIGTERM (expected 0)\n"
                                 f"{self.tail()}")
