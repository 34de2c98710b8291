"""Many sessions at once: 1,000 concurrent connections, and parallel sessions
that each check they get their own answers back."""

import random
import threading
import time

import pymysql

from helpers import app_backend_threads, connect, wait_until

N = 1000


def run_threads(worker, n, timeout=300):
    """Runs worker(i) for i in 0..n-1, each on a thread of its own, and waits for them."""
    threads = [threading.Thread(target=worker, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout)


def test_1000_concurrent_connections(ferry):
    before = app_backend_threads()
    barrier = threading.Barrier(N + 1, timeout=120)
    release = threading.Event()
    results = [None] * N
    errors = []

    def worker(i):
        try:
            c = connect(ferry.port(), connect_timeout=60, read_timeout=60)
            try:
                cur = c.cursor()
                cur.execute("SELECT CONNECTION_ID()")
                cid = cur.fetchone()[0]
                cur.execute(f"SELECT {i} * 2, SUM(seq) FROM test.seq_1_to_{i + 1}")
                got = cur.fetchone()
                assert got == (i * 2, (i + 1) * (i + 2) // 2), (i, got)
                results[i] = cid
                barrier.wait()          # all N sessions are open at the same time
                release.wait(120)
                cur.execute("SELECT %s", (f"bye{i}",))
                assert cur.fetchone() == (f"bye{i}",)
            finally:
                c.close()
        except Exception as e:  # noqa: BLE001 - reported below
            errors.append(f"connection {i}: {e!r}")
            try:
                barrier.abort()
            except threading.BrokenBarrierError:
                pass

    threads = [threading.Thread(target=worker, args=(i,), daemon=True) for i in range(N)]
    t0 = time.monotonic()
    for t in threads:
        t.start()
    try:
        barrier.wait()
    except threading.BrokenBarrierError:
        pass
    opened = time.monotonic() - t0
    try:
        assert not errors, f"{len(errors)} of {N} sessions failed, first: {errors[:5]}"
        # every client session has its own backend connection on s1
        now = app_backend_threads()
        assert len(now - before) >= N, f"s1 shows {len(now - before)} new app connections"
        assert len(set(results)) == N
        assert set(results) <= now
    finally:
        release.set()
        for t in threads:
            t.join(60)
    assert not errors, f"{len(errors)} of {N} sessions failed, first: {errors[:5]}"
    assert all(not t.is_alive() for t in threads)
    print(f"{N} sessions opened in {opened:.1f}s")
    # the backend connections are closed with the sessions
    wait_until(lambda: not (app_backend_threads() & set(results)), 15, interval=0.2,
               what="the backend connections of the closed sessions to go away")
    # and Ferry still serves
    c = connect(ferry.port())
    c.cursor().execute("SELECT 1")
    c.close()
    assert ferry.alive()


def test_parallel_sessions_get_their_own_answers(ferry):
    """16 sessions doing 150 queries each with varying result sizes: any mixed-up
    or truncated answer fails."""
    errors = []

    def worker(i):
        rnd = random.Random(i)
        try:
            c = connect(ferry.port())
            cur = c.cursor()
            for q in range(150):
                n = rnd.choice([1, 10, 100, 2000])
                tag = f"s{i}q{q}"
                cur.execute(f"SELECT '{tag}', seq, REPEAT('x', seq % 50) "
                            f"FROM test.seq_1_to_{n}")
                rows = cur.fetchall()
                assert len(rows) == n, (tag, len(rows))
                assert rows[0][0] == tag and rows[-1][1] == n, (tag, rows[0], rows[-1])
            c.close()
        except Exception as e:  # noqa: BLE001
            errors.append(f"session {i}: {e!r}")

    run_threads(worker, 16)
    assert not errors, errors[:5]


def test_connect_disconnect_storm(ferry):
    """2,000 short sessions from 20 threads (login, one query, quit), some of
    them quitting without COM_QUIT."""
    errors = []
    count = [0]
    ids = set()
    lock = threading.Lock()

    def worker(i):
        try:
            for k in range(100):
                c = connect(ferry.port())
                cur = c.cursor()
                cur.execute("SELECT %s, CONNECTION_ID()", (k,))
                got, cid = cur.fetchone()
                assert got == k
                if k % 3 == 0:
                    c._sock.close()   # vanish without COM_QUIT
                else:
                    c.close()
                with lock:
                    count[0] += 1
                    ids.add(cid)
        except Exception as e:  # noqa: BLE001
            errors.append(f"thread {i}: {e!r}")

    run_threads(worker, 20)
    assert not errors, errors[:5]
    assert count[0] == 2000 and len(ids) == 2000
    wait_until(lambda: not (app_backend_threads() & ids), 15, interval=0.2,
               what="the backend connections of the storm to close")
    try:
        connect(ferry.port()).close()
    except pymysql.err.MySQLError as e:
        raise AssertionError(f"Ferry stopped serving after the storm: {e}")
