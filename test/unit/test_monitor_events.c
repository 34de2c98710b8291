/*
 * test_monitor_events.c: unit tests for monitor/events.c: the event of one
 * server's state change (MaxScale's names), the order of a tick's events,
 * and the `events` parameter.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "monitor/events.h"
#include "monitor/snapshot.h"

#define R  SRV_RUNNING
#define M  (SRV_MASTER | SRV_SYNCED | SRV_RUNNING)
#define S  (SRV_SLAVE | SRV_SYNCED | SRV_RUNNING)
#define SY (SRV_SYNCED | SRV_RUNNING)

static void expect(uint32_t before, uint32_t after, const char *name)
{
    mon_event ev = monitor_event_for(before, after);
    if (!name) {
        assert_int_equal(ev, MEV_NONE);
        return;
    }
    assert_non_null(monitor_event_name(ev));
    assert_string_equal(monitor_event_name(ev), name);
}

static void test_up_and_down(void **state)
{
    expect(M, 0, "master_down");
    expect(S, 0, "slave_down");
    expect(SY, 0, "synced_down");
    expect(SRV_DONOR | R, 0, "donor_down");
    expect(R, 0, "server_down");
    expect(R | SRV_JOINING, SRV_AUTH_ERROR, "server_down");
    expect(0, M, "master_up");
    expect(0, S, "slave_up");
    expect(0, SY, "synced_up");
    expect(0, SRV_DONOR | R, "donor_up");
    expect(0, R, "server_up");
}

static void test_roles(void **state)
{
    expect(S, M, "new_master");
    expect(M, S, "new_slave");
    expect(M, SY, "lost_master");
    expect(M, R, "lost_master");
    expect(S, R, "lost_slave");
    expect(SY, S, "new_slave");
    expect(SY, R, "lost_synced");
    expect(R, SY, "new_synced");
    expect(SRV_JOINING | R, SY, "new_synced");
    expect(SRV_DONOR | R, S, "new_slave");
}

static void test_no_event(void **state)
{
    expect(M, M, NULL);
    expect(0, 0, NULL);
    expect(0, SRV_AUTH_ERROR, NULL);
    expect(R, R | SRV_JOINING, NULL);
    expect(S, S | SRV_DRAINING, NULL);
    expect(M, M | SRV_MAINT, NULL);          /* into maintenance */
    expect(SY | SRV_MAINT, M, NULL);         /* out of it */
    expect(SY | SRV_MAINT, SRV_MAINT, NULL); /* down while in maintenance */
    expect(MON_STATE_UNKNOWN, M, NULL);
    expect(R, R | SRV_DONOR, NULL); /* Donor appears: no donor_new in the list */
}

static void test_failover_order(void **state)
{
    /* g1 (master) dies, g2 becomes master, g3 stays slave */
    uint32_t before[3] = {M, S, S}, after[3] = {0, M, S};
    mon_event_rec ev[3];
    assert_int_equal(monitor_events_derive(before, after, 3, ev), 2);
    assert_int_equal(ev[0].server, 0);
    assert_int_equal(ev[0].event, MEV_MASTER_DOWN);
    assert_int_equal(ev[1].server, 1);
    assert_int_equal(ev[1].event, MEV_NEW_MASTER);
}

static void test_failback_order(void **state)
{
    /* g1 returns and takes Master back from g2; g3 goes down in the same tick */
    uint32_t before[3] = {0, M, S}, after[3] = {M, S, 0};
    mon_event_rec ev[3];
    assert_int_equal(monitor_events_derive(before, after, 3, ev), 3);
    assert_int_equal(ev[0].server, 1); /* the old master first */
    assert_int_equal(ev[0].event, MEV_NEW_SLAVE);
    assert_int_equal(ev[1].server, 2);
    assert_int_equal(ev[1].event, MEV_SLAVE_DOWN);
    assert_int_equal(ev[2].server, 0); /* the new master last */
    assert_int_equal(ev[2].event, MEV_MASTER_UP);
}

static void test_gains_after_losses(void **state)
{
    uint32_t before[4] = {0, S, R, MON_STATE_UNKNOWN}, after[4] = {S, R, SY, 0};
    mon_event_rec ev[4];
    assert_int_equal(monitor_events_derive(before, after, 4, ev), 3);
    assert_int_equal(ev[0].event, MEV_LOST_SLAVE);
    assert_int_equal(ev[1].event, MEV_SLAVE_UP);
    assert_int_equal(ev[2].event, MEV_NEW_SYNCED);
}

static void test_parse(void **state)
{
    uint32_t mask;
    char err[512];
    assert_int_equal(monitor_events_parse("all", &mask, err, sizeof(err)), 0);
    assert_int_equal(mask, MEV_ALL);
    assert_int_equal(
        monitor_events_parse(" master_down, new_master ,slave_up", &mask, err, sizeof(err)), 0);
    assert_int_equal(mask, MEV_MASTER_DOWN | MEV_NEW_MASTER | MEV_SLAVE_UP);
    assert_int_equal(monitor_events_parse("master_down,bogus", &mask, err, sizeof(err)), -1);
    assert_non_null(strstr(err, "unknown event 'bogus'"));
    assert_non_null(strstr(err, "lost_synced"));
    assert_int_equal(monitor_events_parse(" , ", &mask, err, sizeof(err)), -1);
}

static void test_names_are_unique(void **state)
{
    for (int i = 0; i < 16; i++) {
        const char *a = monitor_event_name((mon_event)(1u << i));
        assert_non_null(a);
        for (int k = 0; k < i; k++)
            assert_string_not_equal(a, monitor_event_name((mon_event)(1u << k)));
    }
    assert_null(monitor_event_name(MEV_NONE));
    assert_null(monitor_event_name(MEV_MASTER_UP | MEV_SLAVE_UP));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_up_and_down),    cmocka_unit_test(test_roles),
        cmocka_unit_test(test_no_event),       cmocka_unit_test(test_failover_order),
        cmocka_unit_test(test_failback_order), cmocka_unit_test(test_gains_after_losses),
        cmocka_unit_test(test_parse),          cmocka_unit_test(test_names_are_unique),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
