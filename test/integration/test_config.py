"""ferryd's command line and configuration checks (--check on etc/ and on
broken files, each error naming file, line, object and parameter), SIGHUP
log reopening, SIGTERM, and $VAR substitution."""

import glob
import os
import re
import signal
import subprocess
import time

import pymysql
import pytest

from helpers import FERRYD, ROOT, Ferry, connect, free_port, wait_until


def run_ferryd(*args, env=None, timeout=30):
    e = dict(os.environ)
    e.update(env or {})
    return subprocess.run([FERRYD, *args], capture_output=True, text=True, timeout=timeout, env=e)


ETC_CONFS = sorted(glob.glob(os.path.join(ROOT, "etc", "*.conf")))


@pytest.mark.skipif(not ETC_CONFS, reason="etc/ has no *.conf files yet")
@pytest.mark.parametrize("path", ETC_CONFS, ids=os.path.basename)
def test_check_etc(path):
    p = run_ferryd("--check", "-c", path)
    assert p.returncode == 0, p.stderr
    assert p.stderr == ""


def test_version_and_help():
    p = run_ferryd("--version")
    assert p.returncode == 0
    assert re.fullmatch(r"ferryd \d+\.\d+\.\d+\S*\n", p.stdout), p.stdout
    p = run_ferryd("-V")
    assert p.returncode == 0 and p.stdout.startswith("ferryd ")
    p = run_ferryd("--help")
    assert p.returncode == 0
    assert "--check" in p.stdout and "-c" in p.stdout and "--version" in p.stdout


def test_bad_command_line():
    p = run_ferryd("--no-such-option")
    assert p.returncode == 2
    p = run_ferryd("-c", "/nonexistent/ferry.conf", "--check")
    assert p.returncode == 2
    assert "/nonexistent/ferry.conf" in p.stderr


GOOD = """ferry = { threads = 2; datadir = "/tmp"; log_file = "-"; log_level = "info"; };
servers = ( { name = "s1"; address = "127.0.0.1"; port = 3331; },
            { name = "s2"; address = "127.0.0.1"; port = 3332; } );
monitors = ( { name = "mon"; module = "mariadbmon"; servers = ["s1", "s2"];
               user = "maxmon"; password = "maxmon_pw"; interval_ms = 500; } );
services = ( { name = "conn"; router = "readconnroute"; cluster = "mon";
               router_options = "master"; user = "maxscale"; password = "maxscale_pw"; } );
listeners = ( { name = "l1"; service = "conn"; address = "127.0.0.1"; port = 4406; },
              { name = "l2"; service = "conn"; address = "127.0.0.1"; port = 4407; } );
"""
# line numbers in GOOD: 1 ferry, 2-3 servers, 4-5 monitor, 6-7 service, 8-9 listeners


def check_text(tmp_path, text, name="ferry.conf"):
    path = tmp_path / name
    path.write_text(text)
    return str(path), run_ferryd("--check", "-c", str(path))


def test_check_good(tmp_path):
    path, p = check_text(tmp_path, GOOD)
    assert p.returncode == 0, p.stderr


# (description, edit of GOOD, expected line, regex after "FILE:LINE: ")
BROKEN = [
    ("unknown parameter in a server",
     ('port = 3332; }', 'port = 3332; colour = "blue"; }'), 3,
     r"server 's2': unknown parameter 'colour'"),
    ("unknown global parameter",
     ('log_level = "info";', 'log_level = "info"; verbose = true;'), 1,
     r"ferry: unknown parameter 'verbose'"),
    ("wrong type: string port",
     ('port = 4407;', 'port = "4407";'), 9,
     r"listener 'l2': parameter 'port': expected an integer, got a string"),
    ("wrong type: integer password",
     ('password = "maxscale_pw";', 'password = 42;'), 7,
     r"service 'conn': parameter 'password': expected a string, got an integer"),
    ("wrong type: boolean interval",
     ('interval_ms = 500;', 'interval_ms = true;'), 5,
     r"monitor 'mon': parameter 'interval_ms': expected an integer, got a boolean"),
    ("out of range",
     ('port = 3331;', 'port = 70000;'), 2,
     r"server 's1': parameter 'port': 70000 is out of range 1\.\.65535"),
    ("bad enum",
     ('log_level = "info";', 'log_level = "chatty";'), 1,
     r"ferry: parameter 'log_level': 'chatty' is not one of"),
    ("dangling service name",
     ('name = "l2"; service = "conn";', 'name = "l2"; service = "nosuch";'), 9,
     r"listener 'l2': parameter 'service': no service named 'nosuch'"),
    ("dangling server name",
     ('servers = ["s1", "s2"];', 'servers = ["s1", "s9"];'), 4,
     r"monitor 'mon': parameter 'servers': no server named 's9'"),
    ("dangling monitor name",
     ('cluster = "mon";', 'cluster = "nomon";'), 6,
     r"service 'conn': parameter 'cluster': no monitor named 'nomon'"),
    ("duplicate listener port",
     ('port = 4407;', 'port = 4406;'), 9,
     r"listener 'l2': parameter 'port': port 4406 is already used by listener 'l1'"),
    ("unknown router",
     ('router = "readconnroute";', 'router = "teleport";'), 6,
     r"service 'conn': parameter 'router': no router named 'teleport'"),
    ("unknown monitor module",
     ('module = "mariadbmon";', 'module = "crystalball";'), 4,
     r"monitor 'mon': parameter 'module': no monitor module named 'crystalball'"),
    ("bad router_options",
     ('router_options = "master";', 'router_options = "leader";'), 6,
     r"service 'conn': parameter 'router_options': unknown role 'leader'"),
    ("duplicate name across kinds",
     ('name = "l2";', 'name = "conn";'), 9,
     r"listener 'conn': parameter 'name': duplicate name 'conn'"),
    ("missing required parameter",
     ('user = "maxmon"; ', ''), 4,
     r"monitor 'mon': missing required parameter 'user'"),
    ("unknown top-level setting",
     ('listeners = (', 'monitors2 = 1;\nlisteners = ('), 8,
     r"unknown setting 'monitors2'"),
    ("server in two monitors",
     ('interval_ms = 500; } );', 'interval_ms = 500; },\n'
      '             { name = "mon2"; module = "mariadbmon"; servers = ["s2"]; '
      'user = "u"; password = "p"; } );'), 6,
     r"monitor 'mon2': parameter 'servers': server 's2' already belongs to monitor 'mon'"),
    ("syntax error",
     ('port = 3332; }', 'port = = 3332; }'), 3, r".+"),
]


@pytest.mark.parametrize("desc,edit,line,pattern", BROKEN, ids=[b[0] for b in BROKEN])
def test_check_broken(tmp_path, desc, edit, line, pattern):
    old, new = edit
    assert old in GOOD
    text = GOOD.replace(old, new, 1)
    path, p = check_text(tmp_path, text)
    assert p.returncode == 2, f"{desc}: exit {p.returncode}, stderr {p.stderr!r}"
    err = p.stderr.strip()
    m = re.search(re.escape(path) + r":(\d+): (.*)", err)
    assert m, f"{desc}: no 'FILE:LINE:' in {err!r}"
    assert int(m.group(1)) == line, f"{desc}: line {m.group(1)} != {line}: {err}"
    assert re.match(pattern, m.group(2)), f"{desc}: {m.group(2)!r} !~ {pattern!r}"
    assert len(err.splitlines()) == 1, err


def test_ferryd_refuses_to_start_with_a_broken_config(tmp_path):
    path, _ = check_text(tmp_path, GOOD.replace('port = 4407;', 'port = "x";'))
    p = run_ferryd("-c", path, timeout=10)
    assert p.returncode == 2
    assert f"{path}:9:" in p.stderr


def test_substitute_variables(tmp_path, lab):
    port = free_port()
    text = f"""ferry = {{ threads = 1; datadir = "{tmp_path}"; log_file = "${{FT_LOGDIR}}/ferryd.log";
          admin_socket = "{tmp_path}/ferryd.sock"; substitute_variables = true; }};
servers = ( {{ name = "s1"; address = "$FT_HOST"; port = 3331; }} );
monitors = ( {{ name = "mon"; module = "mariadbmon"; servers = ["s1"];
               user = "maxmon"; password = "${{FT_MON_PW}}"; interval_ms = 500; }} );
services = ( {{ name = "conn"; router = "readconnroute"; cluster = "mon";
               router_options = "master"; user = "maxscale"; password = "$FT_SVC_PW"; }} );
listeners = ( {{ name = "l1"; service = "conn"; address = "127.0.0.1"; port = {port}; }} );
"""
    env = {"FT_LOGDIR": str(tmp_path), "FT_HOST": "127.0.0.1", "FT_MON_PW": "maxmon_pw",
           "FT_SVC_PW": "maxscale_pw"}
    path = tmp_path / "ferry.conf"
    path.write_text(text)
    p = run_ferryd("--check", "-c", str(path), env=env)
    assert p.returncode == 0, p.stderr
    # a variable that is not set is an error naming it
    env2 = dict(env)
    del env2["FT_SVC_PW"]
    saved = os.environ.pop("FT_SVC_PW", None)
    try:
        p = run_ferryd("--check", "-c", str(path), env=env2)
    finally:
        if saved is not None:
            os.environ["FT_SVC_PW"] = saved
    assert p.returncode == 2
    assert f"{path}:7:" in p.stderr and "FT_SVC_PW" in p.stderr, p.stderr
    # and ferryd really runs with the substituted values
    f = Ferry(tmp_path / "run", config_text=text, env=env,
              listeners=[{"name": "l1", "port": port}])
    f.start()
    try:
        assert os.path.exists(tmp_path / "ferryd.log")
        c = connect(port)
        c.close()
    finally:
        f.stop()


def test_sighup_reopens_log(ferry_factory):
    f = ferry_factory()
    connect(f.port()).close()
    rotated = f.log + ".1"
    os.rename(f.log, rotated)
    f.signal(signal.SIGHUP)
    wait_until(lambda: os.path.exists(f.log), 5, what="ferryd to create a new log file")
    connect(f.port(), user="app", password="app_pw").close()
    wait_until(lambda: "logged in" in open(f.log).read(), 5,
               what="the new session to be logged to the new file")
    old = open(rotated).read()
    assert "ferryd 0.1.0 started" in old or "started" in old
    assert f.alive()
    # a second rotation works as well
    os.rename(f.log, f.log + ".2")
    f.signal(signal.SIGHUP)
    wait_until(lambda: os.path.exists(f.log), 5, what="a second new log file")


def test_sigterm_with_open_sessions(ferry_factory):
    f = ferry_factory()
    conns = [connect(f.port()) for _ in range(20)]
    for c in conns:
        c.cursor().execute("SELECT 1")
    t0 = time.monotonic()
    f.stop(timeout=5)
    took = time.monotonic() - t0
    assert took < 5
    for c in conns:
        with pytest.raises(pymysql.err.OperationalError):
            c.cursor().execute("SELECT 1")
    assert "received SIGTERM" in f.log_text()


def test_sigint_exits_zero(ferry_factory):
    f = ferry_factory()
    c = connect(f.port())
    f.stopped = True
    f.signal(signal.SIGINT)
    assert f.proc.wait(5) == 0
    with pytest.raises(pymysql.err.OperationalError):
        c.cursor().execute("SELECT 1")


def test_listener_port_in_use(ferry_factory):
    """A listener whose port is taken: ferryd does not start (exit != 0) and
    logs why; it does not hang."""
    import socket
    s = socket.socket()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(("127.0.0.1", 0))
    s.listen(1)
    port = s.getsockname()[1]
    try:
        f = ferry_factory(start=False, listeners=[{"name": "busy", "port": port}])
        p = subprocess.run([FERRYD, "-c", f.conf], capture_output=True, text=True, timeout=15)
        assert p.returncode != 0
        assert str(port) in f.log_text() + p.stderr
    finally:
        s.close()


def test_threads_auto(ferry_factory):
    f = ferry_factory(threads='"auto"')
    c = connect(f.port())
    c.cursor().execute("SELECT 1")
    c.close()
    assert f"{os.cpu_count()} worker threads running" in f.log_text()
