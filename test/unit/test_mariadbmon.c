/*
 * test_mariadbmon.c: unit tests for mariadbmon_verdict, the pure function
 * that turns the polled facts of every server into Master/Slave roles.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "monitor/mariadbmon.h"
#include "monitor/snapshot.h"

#define N 4

static const char *const ADDR = "127.0.0.1";

typedef struct topo {
    mdb_facts f[N];
    uint32_t roles[N];
    int from[N];
} topo;

/* n running, writable servers on 127.0.0.1:3311.. with no replication. */
static void topo_init(topo *t, size_t n)
{
    memset(t, 0, sizeof(*t));
    for (size_t i = 0; i < n; i++) {
        t->f[i].address = ADDR;
        t->f[i].port = 3311 + (int)i;
        t->f[i].running = true;
    }
}

/* Server i replicates from host:port (IO and SQL state given); it is read-only. */
static void replicate(topo *t, size_t i, const char *host, int port, mdb_io io, bool sql)
{
    mdb_repl *r = &t->f[i].repl[t->f[i].nrepl++];
    snprintf(r->master_host, sizeof(r->master_host), "%s", host);
    r->master_port = port;
    r->io = io;
    r->sql_running = sql;
    t->f[i].read_only = true;
}

static mdb_verdict decide(topo *t, size_t n, int current)
{
    return mariadbmon_verdict(t->f, n, current, t->roles, t->from);
}

static void test_standalone_master(void **state)
{
    topo t;
    topo_init(&t, 1);
    mdb_verdict v = decide(&t, 1, -1);
    assert_int_equal(v.master, 0);
    assert_int_equal(v.nwritable, 1);
    assert_int_equal(t.roles[0], SRV_MASTER);
    assert_int_equal(t.from[0], -1);
}

static void test_master_and_two_slaves(void **state)
{
    topo t;
    topo_init(&t, 3);
    replicate(&t, 1, ADDR, 3311, MDB_IO_YES, true);
    replicate(&t, 2, "127.0.0.1", 3311, MDB_IO_YES, true);
    mdb_verdict v = decide(&t, 3, -1);
    assert_int_equal(v.master, 0);
    assert_int_equal(t.roles[0], SRV_MASTER);
    assert_int_equal(t.roles[1], SRV_SLAVE);
    assert_int_equal(t.roles[2], SRV_SLAVE);
    assert_int_equal(t.from[1], 0);
    assert_int_equal(t.from[2], 0);
}

static void test_read_only_not_master(void **state)
{
    topo t;
    topo_init(&t, 2);
    t.f[0].read_only = true;
    replicate(&t, 1, ADDR, 3311, MDB_IO_YES, true);
    mdb_verdict v = decide(&t, 2, -1);
    assert_int_equal(v.master, -1);
    assert_int_equal(v.nwritable, 0);
    assert_int_equal(t.roles[0], 0);
    assert_int_equal(t.roles[1], SRV_SLAVE);
}

static void test_slave_of_unmonitored_host(void **state)
{
    topo t;
    topo_init(&t, 2);
    replicate(&t, 1, "10.0.0.9", 3306, MDB_IO_YES, true);
    mdb_verdict v = decide(&t, 2, -1);
    assert_int_equal(v.master, 0);
    assert_int_equal(t.roles[1], 0);
    assert_int_equal(t.from[1], -1);
}

static void test_external_channel_keeps_master(void **state)
{
    /* The DR -> DC channel: the master replicates from a host outside the monitor. */
    topo t;
    topo_init(&t, 2);
    replicate(&t, 0, "10.0.0.9", 3306, MDB_IO_YES, true);
    t.f[0].read_only = false;
    replicate(&t, 1, ADDR, 3311, MDB_IO_YES, true);
    mdb_verdict v = decide(&t, 2, -1);
    assert_int_equal(v.master, 0);
    assert_int_equal(t.roles[1], SRV_SLAVE);
}

static void test_broken_replication_not_slave(void **state)
{
    topo t;
    topo_init(&t, 3);
    replicate(&t, 1, ADDR, 3311, MDB_IO_NO, true);
    replicate(&t, 2, ADDR, 3311, MDB_IO_CONNECTING, true); /* master is up: broken */
    decide(&t, 3, -1);
    assert_int_equal(t.roles[1], 0);
    assert_int_equal(t.roles[2], 0);
    topo_init(&t, 2);
    replicate(&t, 1, ADDR, 3311, MDB_IO_YES, false);
    decide(&t, 2, -1);
    assert_int_equal(t.roles[1], 0);
}

static void test_two_writable_stable(void **state)
{
    topo t;
    topo_init(&t, 2);
    mdb_verdict v = decide(&t, 2, -1);
    assert_int_equal(v.master, 0);
    assert_int_equal(v.nwritable, 2);
    assert_int_equal(t.roles[0], SRV_MASTER);
    assert_int_equal(t.roles[1], 0);
    for (int tick = 0; tick < 3; tick++) {
        v = decide(&t, 2, v.master);
        assert_int_equal(v.master, 0);
    }
    /* The current master stays even when an earlier server is also writable. */
    v = decide(&t, 2, 1);
    assert_int_equal(v.master, 1);
    assert_int_equal(t.roles[0], 0);
    assert_int_equal(t.roles[1], SRV_MASTER);
}

static void test_replicated_from_wins(void **state)
{
    topo t;
    topo_init(&t, 3);
    replicate(&t, 2, ADDR, 3312, MDB_IO_YES, true); /* slave of server 1 */
    mdb_verdict v = decide(&t, 3, 0);               /* 0 was master, but 1 has the slave */
    assert_int_equal(v.master, 1);
    assert_int_equal(v.nwritable, 2);
    assert_int_equal(t.roles[0], 0);
    assert_int_equal(t.roles[1], SRV_MASTER);
    assert_int_equal(t.roles[2], SRV_SLAVE);
}

static void test_down_master(void **state)
{
    topo t;
    topo_init(&t, 3);
    t.f[0].running = false;
    replicate(&t, 1, ADDR, 3311, MDB_IO_CONNECTING, true);
    replicate(&t, 2, ADDR, 3311, MDB_IO_YES, true);
    mdb_verdict v = decide(&t, 3, 0);
    assert_int_equal(v.master, -1);
    assert_int_equal(t.roles[0], 0);
    assert_int_equal(t.roles[1], SRV_SLAVE);
    assert_int_equal(t.roles[2], SRV_SLAVE);
    assert_int_equal(t.from[1], 0);
}

static void test_down_slave_has_no_role(void **state)
{
    topo t;
    topo_init(&t, 2);
    replicate(&t, 1, ADDR, 3311, MDB_IO_YES, true);
    t.f[1].running = false;
    decide(&t, 2, -1);
    assert_int_equal(t.roles[0], SRV_MASTER);
    assert_int_equal(t.roles[1], 0);
    assert_int_equal(t.from[1], -1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_standalone_master),
        cmocka_unit_test(test_master_and_two_slaves),
        cmocka_unit_test(test_read_only_not_master),
        cmocka_unit_test(test_slave_of_unmonitored_host),
        cmocka_unit_test(test_external_channel_keeps_master),
        cmocka_unit_test(test_broken_replication_not_slave),
        cmocka_unit_test(test_two_writable_stable),
        cmocka_unit_test(test_replicated_from_wins),
        cmocka_unit_test(test_down_master),
        cmocka_unit_test(test_down_slave_has_no_role),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
