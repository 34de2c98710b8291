/*
 * test_config.c: config_load against real files (one temp file per case): a full valid
 * configuration with its defaults, every error message with its file and line, environment
 * substitution, module parameters, the registry, and the Markdown reference. The modules
 * are fakes registered here (modules_register_all is never called).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "server/config.h"
#include "server/registry.h"

static const cfg_param FAKEROUTE_PARAMS[] = {
    {.name = "router_options", .type = CFG_STRING, .help = "Which servers | roles"},
    {0},
};
static const router_ops FAKEROUTE = {.name = "fakeroute", .params = FAKEROUTE_PARAMS};

static const cfg_param FAKEMON_PARAMS[] = {
    {.name = "use_priority", .type = CFG_BOOL, .def = "false", .help = "Elect by priority"},
    {0},
};
static const monitor_ops FAKEMON = {.name = "fakemon", .params = FAKEMON_PARAMS};
static const monitor_ops OTHERMON = {.name = "othermon", .params = NULL};

static char conf_path[64];

static int load(const char *text, ferry_config *cfg, char *err, size_t errlen)
{
    strcpy(conf_path, "/tmp/ferry-test-config-XXXXXX");
    int fd = mkstemp(conf_path);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
    close(fd);
    int rc = config_load(conf_path, cfg, err, errlen);
    unlink(conf_path);
    return rc;
}

static void load_ok(const char *text, ferry_config *cfg)
{
    char err[1024] = "";
    if (load(text, cfg, err, sizeof err) != 0)
        fail_msg("unexpected error: %s", err);
}

/* want is the message after "PATH:", e.g. "3: server 'a': ..." */
static void load_fails(const char *text, const char *want)
{
    ferry_config cfg;
    char err[1024], full[1200];
    assert_int_equal(load(text, &cfg, err, sizeof err), -1);
    snprintf(full, sizeof full, "%s:%s", conf_path, want);
    assert_string_equal(err, full);
    assert_null(cfg.servers); /* nothing left behind */
    assert_null(cfg.path);
}

/* 12 lines: two servers, one monitor, one service; listeners start at line 13. */
#define BASE                                                                                       \
    "servers = (\n"                                                                                \
    "  { name = \"g1\"; address = \"10.0.0.1\"; },\n"                                              \
    "  { name = \"g2\"; address = \"10.0.0.2\"; port = 3307; priority = -1; }\n"                   \
    ");\n"                                                                                         \
    "monitors = (\n"                                                                               \
    "  { name = \"m\"; module = \"fakemon\"; servers = [\"g1\", \"g2\"];\n"                        \
    "    user = \"mon\"; password = \"pw\"; }\n"                                                   \
    ");\n"                                                                                         \
    "services = (\n"                                                                               \
    "  { name = \"rw\"; router = \"fakeroute\"; cluster = \"m\";\n"                                \
    "    user = \"u\"; password = \"p\"; }\n"                                                      \
    ");\n"

static const char FULL[] =
    "ferry = {\n"
    "  threads = \"auto\";\n"
    "  datadir = \"/srv/ferry\";\n"
    "  log_level = \"debug\";\n"
    "};\n"
    "servers = (\n"
    "  { name = \"galera-71\"; address = \"192.168.56.71\"; port = 3306; priority = 1; },\n"
    "  { name = \"galera-72\"; address = \"192.168.56.72\"; priority = 2;\n"
    "    tls = { ca = \"/etc/ca.pem\"; verify_peer = true; }; },\n"
    "  { name = \"galera-73\"; address = \"192.168.56.73\"; port = 3316; priority = 3; }\n"
    ");\n"
    "monitors = (\n"
    "  { name = \"galera-monitor\"; module = \"fakemon\";\n"
    "    servers = [ \"galera-71\", \"galera-72\", \"galera-73\" ];\n"
    "    user = \"maxuser\"; password = \"secret\";\n"
    "    interval_ms = 1000; use_priority = true; script = \"/bin/notify\"; }\n"
    ");\n"
    "services = (\n"
    "  { name = \"rw\"; router = \"fakeroute\"; cluster = \"galera-monitor\";\n"
    "    user = \"maxuser\"; password = \"secret\"; },\n"
    "  { name = \"master-only\"; router = \"fakeroute\"; cluster = \"galera-monitor\";\n"
    "    router_options = \"master\"; user = \"maxuser\"; password = \"secret\";\n"
    "    users_refresh_ms = 0; }\n"
    ");\n"
    "listeners = (\n"
    "  { name = \"rw-listener\"; service = \"rw\"; address = \"127.0.0.1\"; port = 4006; },\n"
    "  { name = \"mo-listener\"; service = \"master-only\"; port = 4008;\n"
    "    tls = { cert = \"/etc/c.pem\"; key = \"/etc/k.pem\"; required = true; }; }\n"
    ");\n";

static void test_full_config(void **state)
{
    (void)state;
    ferry_config cfg;
    load_ok(FULL, &cfg);
    assert_string_equal(cfg.global.name, "ferry");
    assert_string_equal(cfg_str(&cfg.global, "threads"), "auto");
    assert_int_equal(cfg_int(&cfg.global, "threads"), 0);
    assert_string_equal(cfg_str(&cfg.global, "datadir"), "/srv/ferry");
    assert_string_equal(cfg_str(&cfg.global, "log_level"), "debug");
    assert_string_equal(cfg_str(&cfg.global, "log_file"), "-");
    assert_string_equal(cfg_str(&cfg.global, "admin_socket"), "/run/ferry/ferryd.sock");
    assert_false(cfg_bool(&cfg.global, "substitute_variables"));
    assert_true(cfg_is_set(&cfg.global, "datadir"));
    assert_false(cfg_is_set(&cfg.global, "log_file"));

    assert_int_equal(cfg.nservers, 3);
    const cfg_object *s2 = config_server(&cfg, "galera-72");
    assert_ptr_equal(s2, &cfg.servers[1]);
    assert_string_equal(s2->kind, "server");
    assert_int_equal(s2->line, 8);
    assert_int_equal(cfg_int(s2, "port"), 3306); /* default */
    assert_false(cfg_is_set(s2, "port"));
    assert_int_equal(cfg_int(s2, "priority"), 2);
    const cfg_object *tls = cfg_group(s2, "tls");
    assert_non_null(tls);
    assert_string_equal(tls->kind, "tls");
    assert_string_equal(tls->name, "galera-72");
    assert_string_equal(cfg_str(tls, "ca"), "/etc/ca.pem");
    assert_null(cfg_str(tls, "cert"));
    assert_true(cfg_bool(tls, "verify_peer"));
    assert_null(cfg_group(&cfg.servers[0], "tls"));
    assert_int_equal(cfg_int(config_server(&cfg, "galera-73"), "port"), 3316);

    assert_int_equal(cfg.nmonitors, 1);
    const cfg_object *m = config_monitor(&cfg, "galera-monitor");
    assert_non_null(m);
    size_t n;
    char **servers = cfg_list(m, "servers", &n);
    assert_int_equal(n, 3);
    assert_string_equal(servers[2], "galera-73");
    assert_int_equal(cfg_int(m, "interval_ms"), 1000);
    assert_int_equal(cfg_int(m, "connect_timeout"), 3);
    assert_int_equal(cfg_int(m, "script_timeout"), 90);
    assert_string_equal(cfg_str(m, "events"), "all");
    assert_string_equal(cfg_str(m, "script"), "/bin/notify");
    assert_true(cfg_bool(m, "use_priority")); /* the module's own parameter */

    assert_int_equal(cfg.nservices, 2);
    const cfg_object *rw = config_service(&cfg, "rw");
    assert_string_equal(cfg_str(rw, "cluster"), "galera-monitor");
    assert_null(cfg_str(rw, "router_options"));
    assert_int_equal(cfg_int(rw, "users_refresh_ms"), 5000);
    const cfg_object *mo = config_service(&cfg, "master-only");
    assert_string_equal(cfg_str(mo, "router_options"), "master");
    assert_int_equal(cfg_int(mo, "users_refresh_ms"), 0);
    assert_null(config_service(&cfg, "galera-monitor"));

    assert_int_equal(cfg.nlisteners, 2);
    assert_string_equal(cfg_str(&cfg.listeners[0], "address"), "127.0.0.1");
    assert_string_equal(cfg_str(&cfg.listeners[1], "address"), "0.0.0.0");
    assert_int_equal(cfg_int(&cfg.listeners[1], "port"), 4008);
    assert_null(cfg_group(&cfg.listeners[0], "tls"));
    tls = cfg_group(&cfg.listeners[1], "tls");
    assert_string_equal(cfg_str(tls, "key"), "/etc/k.pem");
    assert_null(cfg_str(tls, "ca"));
    assert_true(cfg_bool(tls, "required"));
    assert_string_equal(cfg.path, conf_path);
    config_free(&cfg);
    assert_null(cfg.servers);
    config_free(&cfg); /* twice is harmless */
}

static void test_empty_config(void **state)
{
    (void)state;
    ferry_config cfg;
    load_ok("# nothing\n", &cfg);
    assert_int_equal(cfg.nservers + cfg.nmonitors + cfg.nservices + cfg.nlisteners, 0);
    assert_string_equal(cfg_str(&cfg.global, "log_level"), "notice");
    assert_string_equal(cfg_str(&cfg.global, "datadir"), "/var/lib/ferry");
    assert_null(config_server(&cfg, "x"));
    config_free(&cfg);

    load_ok("servers = ();\nmonitors = [];\n", &cfg);
    assert_int_equal(cfg.nservers + cfg.nmonitors, 0);
    config_free(&cfg);
}

static void test_file_errors(void **state)
{
    (void)state;
    ferry_config cfg;
    char err[256];
    assert_int_equal(config_load("/nonexistent/ferry.conf", &cfg, err, sizeof err), -1);
    assert_string_equal(err, "/nonexistent/ferry.conf: cannot open: No such file or directory");
    load_fails("servers = (\n  { name = ; }\n);\n", "2: syntax error");
    load_fails("ferry = { threads = 1; };\nferry = { };\n", "2: duplicate setting name");
    load_fails(BASE "listener = ();\n",
               "13: unknown setting 'listener' (known: ferry, servers, monitors, services, "
               "listeners)");
    load_fails("servers = 5;\n", "1: 'servers' must be a list of groups ( { ... }, ... ), got an "
                                 "integer");
    load_fails("servers = ( \"g1\" );\n", "1: server #1: expected a group { ... }, got a string");
    load_fails("ferry = ( );\n", "1: ferry: expected a group { ... }, got a list");
}

static void test_parameter_errors(void **state)
{
    (void)state;
    load_fails(BASE
               "listeners = (\n  { name = \"rw-listener\"; service = \"rw\"; prot = 4006; }\n);\n",
               "14: listener 'rw-listener': unknown parameter 'prot' (known: name, service, "
               "address, port, tls)");
    load_fails(BASE
               "listeners = (\n  { name = \"l\"; service = \"rw\";\n    port = \"4006\"; }\n);\n",
               "15: listener 'l': parameter 'port': expected an integer, got a string");
    load_fails(BASE "listeners = (\n  { name = \"l\"; service = \"rw\"; port = 70000; }\n);\n",
               "14: listener 'l': parameter 'port': 70000 is out of range 1..65535");
    load_fails(BASE "listeners = (\n  { name = \"l\"; service = \"rw\"; port = 4.5; }\n);\n",
               "14: listener 'l': parameter 'port': expected an integer, got a float");
    load_fails(BASE "listeners = (\n  { name = \"l\"; service = \"rx\"; port = 4006; }\n);\n",
               "14: listener 'l': parameter 'service': no service named 'rx'");
    load_fails(BASE "listeners = (\n  { name = \"l\"; port = 4006; }\n);\n",
               "14: listener 'l': missing required parameter 'service'");
    load_fails("ferry = {\n  log_level = \"verbose\";\n};\n",
               "2: ferry: parameter 'log_level': 'verbose' is not one of error, warning, notice, "
               "info, debug");
    load_fails("ferry = {\n  substitute_variables = 1;\n};\n",
               "2: ferry: parameter 'substitute_variables': expected a boolean, got an integer");
    load_fails("servers = (\n  { name = \"a\";\n    address = [ \"x\" ]; }\n);\n",
               "3: server 'a': parameter 'address': expected a string, got an array");
}

static void test_missing_and_unnamed(void **state)
{
    (void)state;
    load_fails("servers = (\n  { name = \"g1\"; address = \"a\"; }\n);\n"
               "monitors = (\n  { name = \"m\"; module = \"fakemon\"; servers = [\"g1\"];\n"
               "    password = \"pw\"; }\n);\n",
               "5: monitor 'm': missing required parameter 'user'");
    load_fails(BASE "listeners = (\n  { name = \"a\"; service = \"rw\"; port = 1; },\n"
                    "  { service = \"rw\"; port = 2; }\n);\n",
               "15: listener #2: missing required parameter 'name'");
    load_fails("servers = (\n  { name = 7; address = \"a\"; }\n);\n",
               "2: server #1: parameter 'name': expected a string, got an integer");
    load_fails(
        "monitors = (\n  { name = \"m\"; servers = []; user = \"u\"; password = \"p\"; }\n);\n",
        "2: monitor 'm': missing required parameter 'module'");
    load_fails("servers = (\n  { name = \"s\"; }\n);\n",
               "2: server 's': missing required parameter 'address'");
}

static void test_names(void **state)
{
    (void)state;
    load_fails(
        BASE "listeners = (\n  { name = \"g1\"; service = \"rw\"; port = 4006; }\n);\n",
        "14: listener 'g1': parameter 'name': duplicate name 'g1' (also a server at line 2)");
    load_fails("servers = (\n  { name = \"a\"; address = \"x\"; },\n"
               "  { address = \"y\";\n    name = \"a\"; }\n);\n",
               "4: server 'a': parameter 'name': duplicate name 'a' (also a server at line 2)");
    load_fails("servers = (\n  { name = \"ferry\"; address = \"x\"; }\n);\n",
               "2: server 'ferry': parameter 'name': the name 'ferry' is reserved for the global "
               "group");
    load_fails("servers = (\n  { name = \"\"; address = \"x\"; }\n);\n",
               "2: server '': parameter 'name': the name must not be empty");
}

static void test_references(void **state)
{
    (void)state;
    load_fails(BASE "monitors2 = 1;\n", "13: unknown setting 'monitors2' (known: ferry, servers, "
                                        "monitors, services, listeners)");
    load_fails(
        "servers = (\n  { name = \"g1\"; address = \"a\"; }\n);\n"
        "monitors = (\n  { name = \"m\"; module = \"fakemon\"; user = \"u\"; password = \"p\";\n"
        "    servers = [\"g1\", \"g9\"]; }\n);\n",
        "6: monitor 'm': parameter 'servers': no server named 'g9'");
    load_fails(
        "servers = (\n  { name = \"g1\"; address = \"a\"; }\n);\n"
        "monitors = (\n  { name = \"m\"; module = \"fakemon\"; user = \"u\"; password = \"p\";\n"
        "    servers = [\"g1\", \"g1\"]; }\n);\n",
        "6: monitor 'm': parameter 'servers': server 'g1' is listed twice");
    load_fails(
        "servers = (\n  { name = \"g1\"; address = \"a\"; }\n);\n"
        "monitors = (\n  { name = \"m\"; module = \"fakemon\"; user = \"u\"; password = \"p\";\n"
        "    servers = [\"g1\"]; },\n"
        "  { name = \"m2\"; module = \"othermon\"; user = \"u\"; password = \"p\";\n"
        "    servers = [\"g1\"]; }\n);\n",
        "8: monitor 'm2': parameter 'servers': server 'g1' already belongs to monitor 'm' "
        "(line 5)");
    load_fails(
        "monitors = (\n  { name = \"m\"; module = \"fakemon\"; user = \"u\"; password = \"p\";\n"
        "    servers = [ 1 ]; }\n);\n",
        "3: monitor 'm': parameter 'servers': item 1: expected a string, got an integer");
    load_fails(
        "monitors = (\n  { name = \"m\"; module = \"fakemon\"; user = \"u\"; password = \"p\";\n"
        "    servers = \"g1\"; }\n);\n",
        "3: monitor 'm': parameter 'servers': expected a list of strings [ \"a\", \"b\" ], "
        "got a string");
    load_fails(
        "services = (\n  { name = \"s\"; router = \"fakeroute\"; user = \"u\"; password = \"p\";\n"
        "    cluster = \"zz\"; }\n);\n",
        "3: service 's': parameter 'cluster': no monitor named 'zz'");
}

static void test_duplicate_port(void **state)
{
    (void)state;
    load_fails(BASE "listeners = (\n"
                    "  { name = \"a\"; service = \"rw\"; address = \"127.0.0.1\"; port = 4006; },\n"
                    "  { name = \"b\"; service = \"rw\"; address = \"10.0.0.9\";\n"
                    "    port = 4006; }\n);\n",
               "16: listener 'b': parameter 'port': port 4006 is already used by listener 'a' "
               "(line 14)");
    ferry_config cfg;
    load_ok(BASE "listeners = (\n  { name = \"a\"; service = \"rw\"; port = 4006; },\n"
                 "  { name = \"b\"; service = \"rw\"; port = 4007; }\n);\n",
            &cfg);
    assert_int_equal(cfg.nlisteners, 2);
    config_free(&cfg);
}

static void test_modules(void **state)
{
    (void)state;
    load_fails("monitors = (\n  { name = \"m\"; servers = []; user = \"u\"; password = \"p\";\n"
               "    module = \"galeramon\"; }\n);\n",
               "3: monitor 'm': parameter 'module': no monitor module named 'galeramon' (known: "
               "fakemon, othermon)");
    load_fails("services = (\n  { name = \"s\"; cluster = \"m\"; user = \"u\"; password = \"p\";\n"
               "    router = \"readwritesplit\"; }\n);\n",
               "3: service 's': parameter 'router': no router named 'readwritesplit' (known: "
               "fakeroute)");
    /* use_priority belongs to fakemon only. */
    load_fails("monitors = (\n  { name = \"m\"; module = \"othermon\"; servers = [];\n"
               "    user = \"u\"; password = \"p\"; use_priority = true; }\n);\n",
               "3: monitor 'm': unknown parameter 'use_priority' (known: name, module, servers, "
               "user, password, interval_ms, connect_timeout, read_timeout, write_timeout, script, "
               "events, script_timeout)");
    load_fails("monitors = (\n  { name = \"m\"; module = \"fakemon\"; servers = [];\n"
               "    user = \"u\"; password = \"p\"; use_priority = \"yes\"; }\n);\n",
               "3: monitor 'm': parameter 'use_priority': expected a boolean, got a string");
    load_fails("monitors = (\n  { name = \"m\"; module = \"fakemon\"; servers = [];\n"
               "    user = \"u\"; password = \"p\"; priority = 1; }\n);\n",
               "3: monitor 'm': unknown parameter 'priority' (known: name, module, servers, user, "
               "password, interval_ms, connect_timeout, read_timeout, write_timeout, script, "
               "events, script_timeout, use_priority)");
    ferry_config cfg;
    load_ok("monitors = (\n  { name = \"m\"; module = \"othermon\"; servers = [];\n"
            "    user = \"u\"; password = \"p\"; }\n);\n",
            &cfg);
    assert_int_equal(cfg_int(&cfg.monitors[0], "interval_ms"), 2000);
    config_free(&cfg);
}

static void test_nested_groups(void **state)
{
    (void)state;
    load_fails(BASE "listeners = (\n  { name = \"l\"; service = \"rw\"; port = 4006;\n"
                    "    tls = { key = \"k.pem\"; }; }\n);\n",
               "15: listener 'l' tls: missing required parameter 'cert'");
    load_fails(BASE "listeners = (\n  { name = \"l\"; service = \"rw\"; port = 4006;\n"
                    "    tls = true; }\n);\n",
               "15: listener 'l': parameter 'tls': expected a group { ... }, got a boolean");
    load_fails(
        "servers = (\n  { name = \"s\"; address = \"a\"; tls = {\n    verify = true; }; }\n);\n",
        "3: server 's' tls: unknown parameter 'verify' (known: ca, cert, key, verify_peer)");
    load_fails("servers = (\n  { name = \"s\"; address = \"a\"; tls = {\n"
               "    verify_peer = \"yes\"; }; }\n);\n",
               "3: server 's' tls: parameter 'verify_peer': expected a boolean, got a string");
    ferry_config cfg;
    load_ok("servers = (\n  { name = \"s\"; address = \"a\"; tls = { }; }\n);\n", &cfg);
    const cfg_object *tls = cfg_group(&cfg.servers[0], "tls");
    assert_non_null(tls); /* present, so TLS is on */
    assert_true(cfg_is_set(&cfg.servers[0], "tls"));
    assert_false(cfg_bool(tls, "verify_peer"));
    config_free(&cfg);
}

#define ADMIN_HASH                                                                                 \
    "pbkdf2-sha256$1000$MDEyMzQ1Njc4OWFiY2RlZg==$Pz0s4HPO+TyHnyTxIR8Lx+fEZojc3Lc26DQkf4ZOWCk="

static void test_group_lists(void **state)
{
    (void)state;
    ferry_config cfg;
    load_ok("ferry = { admin_port = 8989; admin_users = (\n"
            "  { name = \"ops\"; password = \"" ADMIN_HASH "\"; },\n"
            "  { name = \"viewer\"; password = \"" ADMIN_HASH "\"; } ); };\n",
            &cfg);
    size_t n;
    const cfg_object *users = cfg_groups(&cfg.global, "admin_users", &n);
    assert_int_equal(n, 2);
    assert_string_equal(cfg_str(&users[1], "name"), "viewer");
    assert_string_equal(users[1].kind, "admin_users");
    assert_int_equal(users[1].line, 3);
    config_free(&cfg);
    load_ok("ferry = { admin_users = (); };\n", &cfg);
    cfg_groups(&cfg.global, "admin_users", &n);
    assert_int_equal(n, 0);
    config_free(&cfg);
    load_fails("ferry = { admin_users = (\n  { name = \"ops\"; password = \"" ADMIN_HASH "\"; },\n"
               "  { name = \"ops\"; password = \"" ADMIN_HASH "\"; } ); };\n",
               "3: ferry admin_users #2: the name 'ops' is also used at line 2");
    load_fails("ferry = { admin_users = (\n  \"ops\" ); };\n",
               "2: ferry admin_users #1: expected a group { ... }, got a string");
    load_fails("ferry = {\n admin_users = { name = \"ops\"; }; };\n",
               "2: ferry: parameter 'admin_users': expected a list of groups ( { ... }, ... ), "
               "got a group");
    load_fails("ferry = { admin_users = (\n  { name = \"ops\"; password = \"pw\"; } ); };\n",
               "2: ferry admin_users #1: parameter 'password': not a password hash (a plaintext "
               "password?): expected a hash from ferryctl hash-password "
               "(pbkdf2-sha256$ITERATIONS$SALT$HASH)");
    load_fails("ferry = {\n  admin_port = 8989; };\n",
               "2: ferry: parameter 'admin_port': the TCP admin listener needs admin_users ( { "
               "name = \"...\"; password = \"...\"; } ) with hashes from ferryctl hash-password");
}

static void test_threads(void **state)
{
    (void)state;
    ferry_config cfg;
    load_ok("ferry = { threads = 4; };\n", &cfg);
    assert_int_equal(cfg_int(&cfg.global, "threads"), 4);
    assert_string_equal(cfg_str(&cfg.global, "threads"), "4");
    config_free(&cfg);
    load_ok("ferry = { threads = \"8\"; };\n", &cfg);
    assert_int_equal(cfg_int(&cfg.global, "threads"), 8);
    config_free(&cfg);
    load_ok("ferry = { threads = \"auto\"; };\n", &cfg);
    assert_int_equal(cfg_int(&cfg.global, "threads"), 0);
    assert_true(cfg_is_set(&cfg.global, "threads"));
    config_free(&cfg);
    load_ok("ferry = { };\n", &cfg);
    assert_string_equal(cfg_str(&cfg.global, "threads"), "auto");
    assert_false(cfg_is_set(&cfg.global, "threads"));
    config_free(&cfg);
    load_fails("ferry = {\n  threads = \"x\";\n};\n",
               "2: ferry: parameter 'threads': expected \"auto\" or an integer, got 'x'");
    load_fails("ferry = {\n  threads = 0;\n};\n",
               "2: ferry: parameter 'threads': 0 is out of range 1..1024");
    load_fails("ferry = {\n  threads = \"-2\";\n};\n",
               "2: ferry: parameter 'threads': -2 is out of range 1..1024");
    load_fails("ferry = {\n  threads = true;\n};\n",
               "2: ferry: parameter 'threads': expected \"auto\" or an integer, got a boolean");
}

/* cfg_adopt copies one value (string or integer) and leaves the others. */
static void test_adopt(void **state)
{
    (void)state;
    ferry_config run, next;
    load_ok("ferry = { log_level = \"info\"; };\n"
            "servers = ( { name = \"a\"; address = \"h1\"; priority = 3; } );\n",
            &run);
    load_ok("ferry = { log_level = \"debug\"; };\n"
            "servers = ( { name = \"a\"; address = \"h2\"; priority = 7; } );\n",
            &next);
    cfg_adopt(&run.global, &next.global, "log_level");
    cfg_adopt(&run.servers[0], &next.servers[0], "priority");
    config_free(&next);
    assert_string_equal(cfg_str(&run.global, "log_level"), "debug");
    assert_int_equal(cfg_int(&run.servers[0], "priority"), 7);
    assert_true(cfg_is_set(&run.servers[0], "priority"));
    assert_string_equal(cfg_str(&run.servers[0], "address"), "h1");
    config_free(&run);
}

#define SUBST_CONF(on)                                                                             \
    "ferry = { substitute_variables = " on "; datadir = \"$FT_DIR/data\"; };\n"                    \
    "servers = (\n  { name = \"${FT_NAME}\"; address = \"a$$b\";\n"                                \
    "    tls = { cert = \"${FT_DIR}/c.pem\"; }; }\n);\n"                                           \
    "monitors = (\n  { name = \"m\"; module = \"fakemon\"; servers = [ \"$FT_NAME\" ];\n"          \
    "    user = \"u_$FT_NAME\"; password = \"${FT_PW}\"; }\n);\n"

static void test_substitution(void **state)
{
    (void)state;
    setenv("FT_DIR", "/opt", 1);
    setenv("FT_NAME", "db1", 1);
    setenv("FT_PW", "s3cr$t", 1);
    unsetenv("FT_UNSET");
    ferry_config cfg;
    load_ok(SUBST_CONF("true"), &cfg);
    assert_string_equal(cfg_str(&cfg.global, "datadir"), "/opt/data");
    assert_string_equal(cfg.servers[0].name, "db1");
    assert_string_equal(cfg_str(&cfg.servers[0], "address"), "a$b");
    assert_string_equal(cfg_str(cfg_group(&cfg.servers[0], "tls"), "cert"), "/opt/c.pem");
    assert_string_equal(cfg_list(&cfg.monitors[0], "servers", NULL)[0], "db1");
    assert_string_equal(cfg_str(&cfg.monitors[0], "user"), "u_db1");
    assert_string_equal(cfg_str(&cfg.monitors[0], "password"), "s3cr$t"); /* not re-expanded */
    config_free(&cfg);

    load_ok("servers = (\n  { name = \"$FT_NAME\"; address = \"a$$b\"; }\n);\n", &cfg);
    assert_string_equal(cfg.servers[0].name, "$FT_NAME");
    assert_string_equal(cfg_str(&cfg.servers[0], "address"), "a$$b");
    config_free(&cfg);

    load_fails("ferry = { substitute_variables = true; };\nservers = (\n"
               "  { name = \"s\"; address = \"a\";\n    tls = { key = \"$FT_UNSET\"; }; }\n);\n",
               "4: server 's' tls: parameter 'key': environment variable 'FT_UNSET' is not set");
    load_fails("ferry = { substitute_variables = true; };\nservers = (\n"
               "  { name = \"s\"; address = \"a\"; }\n);\nmonitors = (\n"
               "  { name = \"m\"; module = \"fakemon\"; servers = [ \"s\" ];\n"
               "    user = \"u\"; password = \"${FT_UNSET}\"; }\n);\n",
               "7: monitor 'm': parameter 'password': environment variable 'FT_UNSET' is not set");
    load_fails("ferry = { substitute_variables = true; };\nservers = (\n"
               "  { name = \"s\"; address = \"10$\"; }\n);\n",
               "3: server 's': parameter 'address': a '$' must start $NAME or ${NAME} (write $$ "
               "for a literal $)");
    load_fails("ferry = { substitute_variables = true; };\nservers = (\n"
               "  { name = \"s\"; address = \"${FT_DIR\"; }\n);\n",
               "3: server 's': parameter 'address': a '$' must start $NAME or ${NAME} (write $$ "
               "for a literal $)");
}

static void test_registry(void **state)
{
    (void)state;
    assert_ptr_equal(registry_router("fakeroute"), &FAKEROUTE);
    assert_null(registry_router("fakemon"));
    assert_ptr_equal(registry_monitor("othermon"), &OTHERMON);
    assert_ptr_equal(registry_monitor_at(0), &FAKEMON);
    assert_ptr_equal(registry_monitor_at(1), &OTHERMON);
    assert_null(registry_monitor_at(2));
    assert_ptr_equal(registry_router_at(0), &FAKEROUTE);
    assert_null(registry_router_at(1));
}

static void test_reference(void **state)
{
    (void)state;
    char *text = NULL;
    size_t len;
    FILE *out = open_memstream(&text, &len);
    config_print_reference(out);
    fclose(out);
    static const char *const want[] = {
        "### ferry\n\n| parameter | type | default | description |\n|---|---|---|---|\n",
        "| `threads` | `auto` or integer 1..1024 | `auto` | ",
        "| `log_level` | one of `error`, `warning`, `notice`, `info`, `debug` | `notice` |",
        "### servers\n",
        "| `port` | integer 1..65535 | `3306` | TCP port of the backend |\n",
        "| `name` | string | required | Unique name of the server |\n",
        "### servers: tls\n",
        "### monitors (all modules)\n",
        "| `servers` | list of strings | required |",
        "### monitor module fakemon\n",
        "| `use_priority` | boolean | `false` | Elect by priority |\n",
        "### services (all routers)\n",
        "### router fakeroute\n",
        "| `router_options` | string |  | Which servers \\| roles |\n",
        "### listeners\n",
        "| `port` | integer 1..65535 | required |",
        "### listeners: tls\n",
    };
    for (size_t i = 0; i < sizeof want / sizeof *want; i++)
        if (!strstr(text, want[i]))
            fail_msg("missing from the reference: %s\n---\n%s", want[i], text);
    assert_null(strstr(text, "monitor module othermon")); /* no parameters, no section */
    assert_true(strstr(text, "### monitors") < strstr(text, "### monitor module fakemon"));
    assert_true(strstr(text, "### monitor module fakemon") < strstr(text, "### services"));
    free(text);
}

/* Asking for a parameter the kind does not have is a bug: abort. */
static void test_accessor_abort(void **state)
{
    (void)state;
    ferry_config cfg;
    load_ok("servers = (\n  { name = \"s\"; address = \"a\"; }\n);\n", &cfg);
    const char *const bad[] = {"nope", "address"};
    for (int i = 0; i < 2; i++) {
        pid_t pid = fork();
        assert_true(pid >= 0);
        if (pid == 0) {
            if (!freopen("/dev/null", "w", stderr))
                _exit(1);
            cfg_int(&cfg.servers[0], bad[i]); /* "address" is a string */
            _exit(0);
        }
        int status;
        assert_int_equal(waitpid(pid, &status, 0), pid);
        assert_true(WIFSIGNALED(status) && WTERMSIG(status) == SIGABRT);
    }
    config_free(&cfg);
}

int main(void)
{
    registry_add_router(&FAKEROUTE);
    registry_add_monitor(&FAKEMON);
    registry_add_monitor(&OTHERMON);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_full_config),
        cmocka_unit_test(test_empty_config),
        cmocka_unit_test(test_file_errors),
        cmocka_unit_test(test_parameter_errors),
        cmocka_unit_test(test_missing_and_unnamed),
        cmocka_unit_test(test_names),
        cmocka_unit_test(test_references),
        cmocka_unit_test(test_duplicate_port),
        cmocka_unit_test(test_modules),
        cmocka_unit_test(test_nested_groups),
        cmocka_unit_test(test_group_lists),
        cmocka_unit_test(test_threads),
        cmocka_unit_test(test_adopt),
        cmocka_unit_test(test_substitution),
        cmocka_unit_test(test_registry),
        cmocka_unit_test(test_reference),
        cmocka_unit_test(test_accessor_abort),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
