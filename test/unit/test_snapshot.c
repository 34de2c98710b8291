/*
 * test_snapshot.c: unit tests for monitor/snapshot.c (reference counting,
 * lookup by server, the state text used in logs and the admin socket).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "monitor/snapshot.h"

static void test_new_and_refcount(void **state)
{
    cluster_snapshot *s = snapshot_new(3);
    assert_non_null(s);
    assert_int_equal(atomic_load(&s->refs), 1);
    assert_int_equal(s->nservers, 3);
    assert_int_equal(s->master, -1);
    for (size_t i = 0; i < 3; i++)
        assert_int_equal(s->servers[i].replicates_from, -1);
    assert_ptr_equal(snapshot_ref(s), s);
    assert_int_equal(atomic_load(&s->refs), 2);
    snapshot_unref(s);
    assert_int_equal(atomic_load(&s->refs), 1);
    snapshot_unref(s); /* frees; ASan would catch a double free or leak */
    assert_null(snapshot_ref(NULL));
    snapshot_unref(NULL);
}

static void test_find(void **state)
{
    int a, b, c; /* stand-ins: snapshot_find only compares pointers */
    cluster_snapshot *s = snapshot_new(2);
    s->servers[0].srv = (struct ferry_server *)&a;
    s->servers[1].srv = (struct ferry_server *)&b;
    assert_ptr_equal(snapshot_find(s, (struct ferry_server *)&a), &s->servers[0]);
    assert_ptr_equal(snapshot_find(s, (struct ferry_server *)&b), &s->servers[1]);
    assert_null(snapshot_find(s, (struct ferry_server *)&c));
    assert_null(snapshot_find(NULL, (struct ferry_server *)&a));
    snapshot_unref(s);
}

static void expect_text(uint32_t state, const char *want)
{
    char buf[128];
    snapshot_state_text(state, buf, sizeof(buf));
    assert_string_equal(buf, want);
}

static void test_state_text(void **state)
{
    expect_text(0, "Down");
    expect_text(SRV_RUNNING, "Running");
    expect_text(SRV_MASTER | SRV_SYNCED | SRV_RUNNING, "Master, Synced, Running");
    expect_text(SRV_SLAVE | SRV_RUNNING, "Slave, Running");
    expect_text(SRV_MAINT | SRV_MASTER | SRV_RUNNING, "Maintenance, Master, Running");
    expect_text(SRV_MAINT, "Maintenance, Down");
    expect_text(SRV_DRAINING | SRV_DONOR | SRV_RUNNING, "Draining, Donor, Running");
    expect_text(SRV_JOINING | SRV_RUNNING, "Joining, Running");
    expect_text(SRV_AUTH_ERROR, "Auth Error, Down");
}

static void test_state_text_truncates(void **state)
{
    char buf[10];
    snapshot_state_text(SRV_MASTER | SRV_SYNCED | SRV_RUNNING, buf, sizeof(buf));
    assert_true(strlen(buf) < sizeof(buf));
    snapshot_state_text(SRV_RUNNING, buf, 0); /* must not write */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_new_and_refcount),
        cmocka_unit_test(test_find),
        cmocka_unit_test(test_state_text),
        cmocka_unit_test(test_state_text_truncates),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
