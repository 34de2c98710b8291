"""test_admin_metrics.py: GET /metrics on the admin socket and on
metrics_port parses with prometheus_client's text parser, and its counters
and gauges move as clients come and go."""

import urllib.request

from prometheus_client.parser import text_string_to_metric_families

import helpers
from admin_helpers import api


def scrape(ferry):
    url = f"http://{helpers.HOST}:{ferry.metrics_port}/metrics"
    with urllib.request.urlopen(url, timeout=10) as r:
        assert r.headers["Content-Type"].startswith("text/plain; version=0.0.4")
        text = r.read().decode()
    samples = {}
    for family in text_string_to_metric_families(text):
        for s in family.samples:
            samples[(s.name, tuple(sorted(s.labels.items())))] = s.value
    return samples


def value(samples, name, **labels):
    return samples[(name, tuple(sorted(labels.items())))]


def test_metrics_parse_on_both_endpoints(admin_ferry):
    samples = scrape(admin_ferry)
    assert value(samples, "ferry_server_up", server="s1") == 1
    assert value(samples, "ferry_server_master", server="s1") == 1
    assert value(samples, "ferry_monitor_ticks_total", monitor="mon") >= 1
    assert value(samples, "process_resident_memory_bytes") > 0
    assert value(samples, "process_threads") >= 3
    status, text = api(admin_ferry, "GET", "/metrics")
    assert status == 200
    names = {f.name for f in text_string_to_metric_families(text)}
    assert {"ferry_server_up", "ferry_service_sessions", "process_cpu_seconds"} <= names


def test_metrics_port_serves_only_metrics(admin_ferry):
    url = f"http://{helpers.HOST}:{admin_ferry.metrics_port}/v1/servers"
    try:
        urllib.request.urlopen(url, timeout=10)
        raise AssertionError("metrics_port served /v1/servers")
    except urllib.error.HTTPError as e:
        assert e.code == 404


def test_counters_move_with_traffic(admin_ferry):
    before = scrape(admin_ferry)
    accepted = value(before, "ferry_sessions_accepted_total")
    conns = [helpers.connect(admin_ferry.port()) for _ in range(3)]
    try:
        for c in conns:
            with c.cursor() as cur:
                cur.execute("SELECT 1")
        during = scrape(admin_ferry)
        assert value(during, "ferry_sessions_accepted_total") >= accepted + 3
        assert (value(during, "ferry_server_queries_total", server="s1")
                >= value(before, "ferry_server_queries_total", server="s1") + 3)
        # SELECT 1's answer is > 40 bytes; the query 13 with its header.
        assert (value(during, "ferry_service_bytes_out_total", service="conn")
                >= value(before, "ferry_service_bytes_out_total", service="conn") + 3 * 40)
        assert (value(during, "ferry_service_bytes_in_total", service="conn")
                >= value(before, "ferry_service_bytes_in_total", service="conn") + 3 * 13)
        assert value(during, "ferry_service_sessions", service="conn") >= 3
        assert value(during, "ferry_server_connections", server="s1") >= 3
        lst = admin_ferry.listeners[0]["name"]
        assert value(during, "ferry_listener_sessions", listener=lst) >= 3
    finally:
        for c in conns:
            c.close()
    helpers.wait_until(
        lambda: value(scrape(admin_ferry), "ferry_service_sessions", service="conn") == 0, 10,
        what="the sessions gauge to drop back")
    # Ended sessions keep counting in the byte totals.
    after = scrape(admin_ferry)
    assert (value(after, "ferry_service_bytes_out_total", service="conn")
            >= value(during, "ferry_service_bytes_out_total", service="conn"))
    assert value(after, "ferry_server_errors_total", server="s1") == 0
    assert 0 < value(after, "ferry_monitor_last_tick_duration_seconds", monitor="mon") < 5
    assert value(after, "ferry_monitor_master_changes_total", monitor="mon") == 0
    ticks = value(before, "ferry_monitor_ticks_total", monitor="mon")
    helpers.wait_until(
        lambda: value(scrape(admin_ferry), "ferry_monitor_ticks_total", monitor="mon") > ticks,
        10, what="the monitor's tick counter to move")


def test_server_errors_count_a_backend_connection_lost(admin_ferry):
    """s1 kills the backend connection of a session: ferry_server_errors_total
    counts it (it would stay 0 if the counter were never moved)."""
    before = value(scrape(admin_ferry), "ferry_server_errors_total", server="s1")
    c = helpers.connect(admin_ferry.port())
    try:
        with c.cursor() as cur:
            cur.execute("SELECT CONNECTION_ID()")
            (backend_id,) = cur.fetchone()
        helpers.admin_query(f"KILL {backend_id}")
        helpers.wait_until(
            lambda: value(scrape(admin_ferry), "ferry_server_errors_total", server="s1")
            == before + 1, 10, what="the errors counter to count the lost backend")
    finally:
        c.close()
