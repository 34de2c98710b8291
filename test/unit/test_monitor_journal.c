/*
 * test_monitor_journal.c: unit tests for monitor/journal.c: the text round
 * trip, what a damaged or foreign file gives, priorities changed at runtime
 * against the config, and the atomic file write.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "monitor/events.h"
#include "monitor/journal.h"
#include "server/srv.h"

static ferry_server SRV[3] = {
    {.name = "g1", .address = "127.0.0.1", .port = 3311, .priority = 1},
    {.name = "g2", .address = "127.0.0.1", .port = 3312, .priority = 2},
    {.name = "g 3", .address = "127.0.0.1", .port = 3313, .priority = 3},
};
static const char *const NAMES[3] = {"g1", "g2", "g 3"};
static const int CFG_PRIO[3] = {1, 2, 3};

static cluster_snapshot *make_snapshot(void)
{
    cluster_snapshot *s = snapshot_new(3);
    for (int i = 0; i < 3; i++) {
        s->servers[i].srv = &SRV[i];
        s->servers[i].priority = SRV[i].priority;
    }
    s->servers[0].state = 0;
    s->servers[1].state = SRV_MASTER | SRV_SYNCED | SRV_RUNNING;
    s->servers[2].state = SRV_MAINT | SRV_SYNCED | SRV_RUNNING;
    s->servers[2].priority = 9; /* changed at runtime */
    s->master = 1;
    return s;
}

static void test_round_trip(void **state)
{
    cluster_snapshot *s = make_snapshot();
    char *text = journal_format(s);
    assert_non_null(text);
    uint32_t st[3];
    int prio[3];
    assert_int_equal(journal_parse(text, NAMES, CFG_PRIO, 3, st, prio), 1);
    for (int i = 0; i < 3; i++)
        assert_int_equal(st[i], s->servers[i].state);
    assert_int_equal(prio[0], 1);
    assert_int_equal(prio[2], 9);
    free(text);
    snapshot_unref(s);
}

static void test_no_master_and_unknown_servers(void **state)
{
    const char *text = "ferry-monitor-journal 1\nmaster\t\nserver\t1\t0\t0\tgone\n"
                       "server\t9\t2\t2\tg2\nend\n";
    uint32_t st[3];
    int prio[3];
    assert_int_equal(journal_parse(text, NAMES, CFG_PRIO, 3, st, prio), -1);
    assert_int_equal(st[0], MON_STATE_UNKNOWN);
    assert_int_equal(st[1], 9);
    assert_int_equal(st[2], MON_STATE_UNKNOWN);
    assert_int_equal(prio[1], 2);
    assert_int_equal(prio[2], 3);
}

static void test_master_not_in_monitor(void **state)
{
    uint32_t st[3];
    int prio[3];
    assert_int_equal(journal_parse("ferry-monitor-journal 1\nmaster\tother\nend\n", NAMES, CFG_PRIO,
                                   3, st, prio),
                     -1);
}

static void test_config_priority_changed(void **state)
{
    /* written when g1's config priority was 5 and an operator set 4 */
    const char *text = "ferry-monitor-journal 1\nmaster\tg1\nserver\t3\t4\t5\tg1\nend\n";
    uint32_t st[3];
    int prio[3];
    assert_int_equal(journal_parse(text, NAMES, CFG_PRIO, 3, st, prio), 0);
    assert_int_equal(prio[0], 1); /* the config changed since: it wins */
}

static void test_damaged(void **state)
{
    uint32_t st[3];
    int prio[3];
    const char *bad[] = {
        "",
        "something else\nend\n",
        "ferry-monitor-journal 1\nmaster\tg2\nserver\t3\t1\t1\tg1\n", /* cut short */
        "ferry-monitor-journal 1\nmaster\tg2\nserver\tzz\nend\n",
        "ferry-monitor-journal 2\nend\n",
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        assert_int_equal(journal_parse(bad[i], NAMES, CFG_PRIO, 3, st, prio),
                         JOURNAL_NOT_A_JOURNAL);
        assert_int_equal(st[0], MON_STATE_UNKNOWN);
        assert_int_equal(prio[0], 1);
    }
}

static void test_file(void **state)
{
    char dir[] = "/tmp/ferry-test-journal-XXXXXX", path[128], tmp[140];
    assert_non_null(mkdtemp(dir));
    snprintf(path, sizeof(path), "%s/monitor-x.journal", dir);
    snprintf(tmp, sizeof(tmp), "%s.tmp", path);
    assert_null(journal_read(path));
    assert_int_equal(journal_write(path, "first\n"), 0);
    assert_int_equal(journal_write(path, "second\n"), 0);
    char *text = journal_read(path);
    assert_string_equal(text, "second\n");
    free(text);
    assert_int_not_equal(access(tmp, F_OK), 0);
    unlink(path);
    assert_int_equal(journal_write("/nonexistent-dir/x.journal", "x"), -1);
    rmdir(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_round_trip),
        cmocka_unit_test(test_no_master_and_unknown_servers),
        cmocka_unit_test(test_master_not_in_monitor),
        cmocka_unit_test(test_config_priority_changed),
        cmocka_unit_test(test_damaged),
        cmocka_unit_test(test_file),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
