/*
 * test_monitor_script.c: unit tests for the event script: splitting the
 * command line, MaxScale's variable substitution, and the runner thread
 * (order, output logging, exit status, script_timeout with SIGTERM/SIGKILL).
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

#include "monitor/script.h"
#include "server/log.h"
#include "server/srv.h"

/* ---- splitting -------------------------------------------------------- */

static void test_split(void **state)
{
    char **argv, err[128];
    int n = script_split("  /usr/bin/notify  --event=$EVENT 'a b' \"c \\\"d\\\"\" e\\ f ''", &argv,
                         err, sizeof(err));
    assert_int_equal(n, 6);
    assert_string_equal(argv[0], "/usr/bin/notify");
    assert_string_equal(argv[1], "--event=$EVENT");
    assert_string_equal(argv[2], "a b");
    assert_string_equal(argv[3], "c \"d\"");
    assert_string_equal(argv[4], "e f");
    assert_string_equal(argv[5], "");
    assert_null(argv[6]);
    script_argv_free(argv);
}

static void test_split_errors(void **state)
{
    char **argv = NULL, err[128];
    assert_int_equal(script_split("run 'open", &argv, err, sizeof(err)), -1);
    assert_non_null(strstr(err, "unbalanced"));
    assert_int_equal(script_split("   ", &argv, err, sizeof(err)), -1);
    assert_non_null(strstr(err, "empty"));
}

/* ---- substitution ----------------------------------------------------- */

static ferry_server SRV[3] = {
    {.name = "g1", .address = "10.0.0.1", .port = 3311},
    {.name = "g2", .address = "10.0.0.2", .port = 3312},
    {.name = "g3", .address = "db3.example", .port = 3313},
};

/* g1 down, g2 master, g3 slave (and, for $PARENT/$CHILDREN, replicating from g2). */
static cluster_snapshot *make_snapshot(void)
{
    cluster_snapshot *s = snapshot_new(3);
    for (int i = 0; i < 3; i++)
        s->servers[i].srv = &SRV[i];
    s->servers[1].state = SRV_MASTER | SRV_SYNCED | SRV_RUNNING;
    s->servers[2].state = SRV_SLAVE | SRV_SYNCED | SRV_RUNNING;
    s->servers[2].replicates_from = 1;
    s->master = 1;
    return s;
}

static void expect_subst(const cluster_snapshot *s, size_t initiator, mon_event ev,
                         const char *word, const char *want)
{
    char *got = script_substitute(word, s, initiator, ev);
    assert_non_null(got);
    assert_string_equal(got, want);
    free(got);
}

static void test_substitute(void **state)
{
    cluster_snapshot *s = make_snapshot();
    expect_subst(s, 0, MEV_MASTER_DOWN, "$INITIATOR", "[10.0.0.1]:3311");
    expect_subst(s, 0, MEV_MASTER_DOWN, "--event=$EVENT", "--event=master_down");
    expect_subst(s, 0, MEV_MASTER_DOWN, "$LIST",
                 "[10.0.0.1]:3311,[10.0.0.2]:3312,[db3.example]:3313");
    expect_subst(s, 0, MEV_MASTER_DOWN, "$NODELIST", "[10.0.0.2]:3312,[db3.example]:3313");
    expect_subst(s, 0, MEV_MASTER_DOWN, "$MASTERLIST", "[10.0.0.2]:3312");
    expect_subst(s, 0, MEV_MASTER_DOWN, "$SLAVELIST", "[db3.example]:3313");
    expect_subst(s, 0, MEV_MASTER_DOWN, "$SYNCEDLIST", "[10.0.0.2]:3312,[db3.example]:3313");
    expect_subst(s, 2, MEV_NEW_SLAVE, "$PARENT", "[10.0.0.2]:3312");
    expect_subst(s, 1, MEV_NEW_MASTER, "$CHILDREN", "[db3.example]:3313");
    expect_subst(s, 0, MEV_MASTER_DOWN, "$PARENT|$CHILDREN", "|");
    expect_subst(s, 0, MEV_MASTER_DOWN, "$HOME $ $$EVENT", "$HOME $ $master_down");
    expect_subst(s, 0, MEV_MASTER_DOWN, "$LISTX",
                 "[10.0.0.1]:3311,[10.0.0.2]:3312,"
                 "[db3.example]:3313X");
    snapshot_unref(s);
}

static void test_argv(void **state)
{
    cluster_snapshot *s = make_snapshot();
    char **tmpl, err[64];
    assert_int_equal(
        script_split("/bin/echo --initiator=$INITIATOR --event=$EVENT", &tmpl, err, sizeof(err)),
        3);
    char **argv = script_argv(tmpl, s, 1, MEV_NEW_MASTER);
    assert_non_null(argv);
    assert_string_equal(argv[0], "/bin/echo");
    assert_string_equal(argv[1], "--initiator=[10.0.0.2]:3312");
    assert_string_equal(argv[2], "--event=new_master");
    assert_null(argv[3]);
    script_argv_free(argv);
    script_argv_free(tmpl);
    snapshot_unref(s);
}

/* ---- the runner ------------------------------------------------------- */

static char dir[] = "/tmp/ferry-test-script-XXXXXX";

static char *slurp(const char *path)
{
    FILE *f = fopen(path, "r");
    if (!f)
        return strdup("");
    static char buf[65536];
    size_t n = fread(buf, 1, sizeof(buf) - 1, f);
    buf[n] = '\0';
    fclose(f);
    return strdup(buf);
}

static void post(script_runner *r, const char *cmd, const char *what)
{
    char **argv, err[64];
    assert_true(script_split(cmd, &argv, err, sizeof(err)) > 0);
    script_runner_post(r, argv, what);
}

/* Waits until path contains text (up to 10 s). */
static char *wait_for(const char *path, const char *text)
{
    for (int i = 0; i < 200; i++) {
        char *got = slurp(path);
        if (strstr(got, text))
            return got;
        free(got);
        usleep(50000);
    }
    return slurp(path);
}

static void test_runner(void **state)
{
    char log_path[256], out_path[256], cmd[600], err[128];
    snprintf(log_path, sizeof(log_path), "%s/ferry.log", dir);
    snprintf(out_path, sizeof(out_path), "%s/out", dir);
    assert_int_equal(log_open(log_path, LOG_LVL_NOTICE), 0);
    script_runner *r = script_runner_new("mon", 1, err, sizeof(err));
    assert_non_null(r);
    for (int i = 0; i < 5; i++) {
        snprintf(cmd, sizeof(cmd), "/bin/sh -c 'echo run %d >> %s; echo line %d; exit %d'", i,
                 out_path, i, i == 3 ? 3 : 0);
        post(r, cmd, "test");
    }
    post(r, "/bin/sh -c 'trap \"\" TERM; echo stubborn; sleep 30'", "stubborn");
    post(r, "/nonexistent/script", "missing");
    char *log = wait_for(log_path, "cannot run '/nonexistent/script'");
    char *out = slurp(out_path);
    assert_string_equal(out, "run 0\nrun 1\nrun 2\nrun 3\nrun 4\n"); /* in order */
    assert_non_null(strstr(log, "script (test): line 2"));
    assert_non_null(strstr(log, "script (test) exited with 3"));
    assert_non_null(strstr(log, "script (stubborn): stubborn"));
    assert_non_null(strstr(log, "script (stubborn) timed out: sending SIGTERM"));
    assert_non_null(strstr(log, "script (stubborn) ignored SIGTERM: sending SIGKILL"));
    assert_non_null(strstr(log, "script (stubborn) killed by signal 9"));
    free(log);
    free(out);
    script_runner_free(r);
    log_close();
}

static void test_runner_stops_a_running_script(void **state)
{
    char err[128];
    script_runner *r = script_runner_new("mon", 60, err, sizeof(err));
    assert_non_null(r);
    post(r, "/bin/sleep 30", "sleeper");
    post(r, "/bin/sleep 30", "never runs");
    usleep(200000);
    script_runner_free(r); /* must not wait 30 s */
}

static int setup(void **state)
{
    return mkdtemp(dir) ? 0 : -1;
}

static int teardown(void **state)
{
    char cmd[300];
    snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
    return system(cmd) == 0 ? 0 : -1;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_split),      cmocka_unit_test(test_split_errors),
        cmocka_unit_test(test_substitute), cmocka_unit_test(test_argv),
        cmocka_unit_test(test_runner),     cmocka_unit_test(test_runner_stops_a_running_script),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
