/*
 * test_blr_sql.c: the SQL the binlog relay answers: normalization
 * (comments, executable comments, blanks, semicolons), the exact
 * registration sequence of a MariaDB 10.11 replica and of mariadb-binlog
 * (capture 01 and 03), the user variables they set, result-set framing with
 * and without CLIENT_DEPRECATE_EOF, the operator statements against a real
 * store (SHOW MASTER STATUS, SHOW BINARY LOGS, SHOW SLAVE STATUS, SHOW SLAVE
 * HOSTS, PURGE BINARY LOGS) and the errors.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <time.h>

#include "protocol/handshake.h"
#include "protocol/response.h"
#include "router/blr_reader.h"
#include "router/blr_sql.h"
#include "test/unit/blr_testlib.h"

typedef struct fixture {
    char dir[64];
    blr_service b;
    blr_vars vars;
    blr_sql_ctx c;
    t_pkts p;
} fixture;

static int setup(void **state)
{
    fixture *f = calloc(1, sizeof(*f));
    t_mkdir(f->dir, sizeof(f->dir));
    f->b.store = t_open(f->dir, 0, BLR_SYNC_NEVER);
    f->b.cfg.server_id = 7100;
    snprintf(f->b.cfg.dir, sizeof(f->b.cfg.dir), "%s", f->dir);
    pthread_mutex_init(&f->b.replicas_lock, NULL);
    blr_vars_init(&f->vars);
    f->c = (blr_sql_ctx){.b = &f->b,
                         .vars = &f->vars,
                         .user = "repl",
                         .client_ip = "127.0.0.1",
                         .conn_id = 42,
                         .version = "10.11.19-MariaDB-log"};
    *state = f;
    return f->b.store ? 0 : -1;
}

static int teardown(void **state)
{
    fixture *f = *state;
    t_free_packets(&f->p);
    blr_store_close(f->b.store);
    pthread_mutex_destroy(&f->b.replicas_lock);
    t_rmdir(f->dir);
    free(f);
    return 0;
}

/* Runs q; the answer's packets are in f->p. */
static void run(fixture *f, const char *q)
{
    t_free_packets(&f->p);
    proto_buf out;
    proto_buf_init(&out);
    blr_sql_query(&f->c, q, strlen(q), &out);
    size_t used = 0;
    t_take_packets(out.data, out.len, &f->p, &used);
    assert_int_equal(used, out.len);
    for (size_t i = 0; i < f->p.n; i++)
        assert_int_equal(f->p.v[i].seq, (uint8_t)(i + 1));
    proto_buf_free(&out);
}

static void expect_ok(fixture *f, const char *q)
{
    run(f, q);
    assert_int_equal(f->p.n, 1);
    assert_true(proto_is_ok(f->p.v[0].payload, f->p.v[0].len));
}

static void expect_err(fixture *f, const char *q, uint16_t code, const char *text)
{
    run(f, q);
    assert_int_equal(f->p.n, 1);
    proto_err e;
    assert_int_equal(proto_err_parse(f->p.v[0].payload, f->p.v[0].len, &e), PROTO_OK);
    assert_int_equal(e.code, code);
    if (text) {
        char msg[600];
        snprintf(msg, sizeof(msg), "%.*s", (int)e.msg_len, e.msg);
        if (!strstr(msg, text))
            fail_msg("'%s' does not contain '%s'", msg, text);
    }
}

/* A decoded text result set. */
typedef struct rs {
    size_t ncols, nrows;
    char names[64][64];
    uint8_t types[64];
    char *vals[64][64]; /* [row][col], NULL for SQL NULL */
} rs;

static void rs_free(rs *r)
{
    for (size_t i = 0; i < r->nrows; i++)
        for (size_t j = 0; j < r->ncols; j++)
            free(r->vals[i][j]);
}

static void decode(fixture *f, rs *r, bool deprecate_eof)
{
    memset(r, 0, sizeof(*r));
    const t_pkts *p = &f->p;
    assert_true(p->n >= 2);
    proto_rd rd = proto_rd_init(p->v[0].payload, p->v[0].len);
    r->ncols = proto_get_lenenc(&rd, NULL);
    assert_true(r->ncols > 0 && r->ncols <= 64);
    size_t i = 1;
    for (size_t c = 0; c < r->ncols; c++, i++) {
        rd = proto_rd_init(p->v[i].payload, p->v[i].len);
        size_t n;
        for (int k = 0; k < 4; k++)
            proto_get_lenenc_str(&rd, &n);
        const uint8_t *name = proto_get_lenenc_str(&rd, &n);
        snprintf(r->names[c], sizeof(r->names[c]), "%.*s", (int)n, (const char *)name);
        proto_get_lenenc_str(&rd, &n);
        proto_get_lenenc(&rd, NULL);
        proto_get_u16(&rd);
        proto_get_u32(&rd);
        r->types[c] = proto_get_u8(&rd);
        assert_false(rd.bad);
    }
    if (!deprecate_eof) {
        assert_true(proto_is_eof(p->v[i].payload, p->v[i].len));
        i++;
    }
    for (; i + 1 < p->n; i++, r->nrows++) {
        rd = proto_rd_init(p->v[i].payload, p->v[i].len);
        for (size_t c = 0; c < r->ncols; c++) {
            bool null = false;
            if (proto_rd_left(&rd) && rd.p[rd.pos] == 0xfb) {
                proto_get_u8(&rd);
                null = true;
            }
            size_t n = 0;
            const uint8_t *v = null ? NULL : proto_get_lenenc_str(&rd, &n);
            r->vals[r->nrows][c] = null ? NULL : strndup((const char *)v, n);
        }
        assert_false(rd.bad);
    }
    const t_pkt *last = &p->v[p->n - 1];
    assert_int_equal(last->payload[0], 0xfe);
    if (deprecate_eof)
        assert_true(last->len >= 7); /* an OK packet with the EOF header */
    else
        assert_int_equal(last->len, 5);
}

static const char *value(rs *r, size_t row, const char *col)
{
    for (size_t c = 0; c < r->ncols; c++)
        if (strcmp(r->names[c], col) == 0)
            return r->vals[row][c];
    fail_msg("no column %s", col);
    return NULL;
}

static void test_normalize(void **state)
{
    (void)state;
    char out[256];
    struct {
        const char *in, *want;
    } cases[] = {
        {"SELECT 1", "SELECT 1"},
        {"  select\t\n@@version  ;;  ", "select @@version"},
        {"/* a comment */ SELECT /* b */ 1 -- trailing\n", "SELECT 1"},
        {"# hash\nSHOW MASTER STATUS", "SHOW MASTER STATUS"},
        {"/*!40101 SET NAMES utf8 */", "SET NAMES utf8"},
        {"/*M!100101 SET @x=1 */;", "SET @x=1"},
        {"SET @slave_connect_state='70-7000-24 /* not a comment */'",
         "SET @slave_connect_state='70-7000-24 /* not a comment */'"},
        {"SELECT 'it''s  two' ,  \"x\\\"y\"", "SELECT 'it''s  two' , \"x\\\"y\""},
        {"SELECT 1--1", "SELECT 1--1"},
        {"  ;  ", ""},
        {"/* only */", ""},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        long n = blr_sql_normalize(cases[i].in, strlen(cases[i].in), out, sizeof(out));
        assert_int_equal(n, (long)strlen(cases[i].want));
        assert_string_equal(out, cases[i].want);
    }
    assert_int_equal(blr_sql_normalize("SELECT 1", 8, out, 4), -1);
}

/* Capture 01: what a MariaDB 10.11 replica sends before COM_REGISTER_SLAVE. */
static void test_replica_registration(void **state)
{
    fixture *f = *state;
    rs r;
    run(f, "SELECT UNIX_TIMESTAMP()");
    decode(f, &r, false);
    assert_int_equal(r.ncols, 1);
    assert_string_equal(r.names[0], "UNIX_TIMESTAMP()");
    assert_int_equal(r.types[0], 0x08);
    long long ts = atoll(r.vals[0][0]);
    assert_true(llabs(ts - (long long)time(NULL)) < 5);
    rs_free(&r);

    run(f, "SHOW VARIABLES LIKE 'SERVER_ID'");
    decode(f, &r, false);
    assert_int_equal(r.ncols, 2);
    assert_string_equal(r.names[0], "Variable_name");
    assert_int_equal(r.nrows, 1);
    assert_string_equal(r.vals[0][0], "server_id");
    assert_string_equal(r.vals[0][1], "7100");
    rs_free(&r);

    expect_ok(f, "SET @master_heartbeat_period= 30000001024");
    assert_int_equal(f->vars.heartbeat_ns, 30000001024ull);
    expect_ok(f, "SET @master_binlog_checksum= @@global.binlog_checksum");
    assert_int_equal(f->vars.checksum, BLR_CHECKSUM_CRC32);
    run(f, "SELECT @master_binlog_checksum");
    decode(f, &r, false);
    assert_string_equal(r.names[0], "@master_binlog_checksum");
    assert_string_equal(r.vals[0][0], "CRC32");
    rs_free(&r);
    expect_ok(f, "SET @mariadb_slave_capability=4");
    assert_int_equal(f->vars.capability, 4);
    run(f, "SELECT @@GLOBAL.gtid_domain_id");
    decode(f, &r, false);
    assert_string_equal(r.names[0], "@@GLOBAL.gtid_domain_id");
    assert_string_equal(r.vals[0][0], "0");
    rs_free(&r);
    expect_ok(f, "SET @slave_connect_state='70-7000-24'");
    assert_true(f->vars.has_connect_state);
    assert_int_equal(f->vars.connect_state.n, 1);
    assert_int_equal(f->vars.connect_state.v[0].seq, 24);
    expect_ok(f, "SET @slave_gtid_strict_mode=0");
    expect_ok(f, "SET @slave_gtid_ignore_duplicates=1");
    assert_int_equal(f->vars.gtid_ignore_dups, 1);
    run(f, "SELECT @slave_connect_state, @master_heartbeat_period, @never_set");
    decode(f, &r, false);
    assert_string_equal(r.vals[0][0], "70-7000-24");
    assert_string_equal(r.vals[0][1], "30000001024");
    assert_null(r.vals[0][2]);
    rs_free(&r);
    expect_ok(f, "SET @slave_connect_state=''"); /* an empty position is a position */
    assert_true(f->vars.has_connect_state);
    assert_int_equal(f->vars.connect_state.n, 0);
}

/* Capture 03/04: mariadb-binlog. */
static void test_mariadb_binlog(void **state)
{
    fixture *f = *state;
    rs r;
    f->c.caps = CLIENT_DEPRECATE_EOF;
    run(f, "SELECT VERSION()");
    decode(f, &r, true);
    assert_string_equal(r.names[0], "VERSION()");
    assert_string_equal(r.vals[0][0], "10.11.19-MariaDB-log");
    rs_free(&r);
    expect_ok(f, "SET @master_binlog_checksum='NONE'");
    assert_int_equal(f->vars.checksum, BLR_CHECKSUM_NONE);
    expect_ok(f, "set @master_binlog_checksum = 'crc32'");
    assert_int_equal(f->vars.checksum, BLR_CHECKSUM_CRC32);
    expect_err(f, "SET @master_binlog_checksum='MD5'", 1231, "MD5");
}

static void test_select_lists(void **state)
{
    fixture *f = *state;
    rs r;
    run(f, "select @@version_comment limit 1"); /* the mariadb client's first query */
    decode(f, &r, false);
    assert_string_equal(r.vals[0][0], "Ferry binlog relay");
    rs_free(&r);
    run(f, "SELECT @@server_id AS id, @@version, 1, 'x', NULL, DATABASE(), USER(), "
           "@@global.gtid_binlog_pos, @@gtid_slave_pos, @@hostname, @@server_uuid");
    decode(f, &r, false);
    assert_int_equal(r.ncols, 11);
    assert_string_equal(r.names[0], "id");
    assert_string_equal(r.vals[0][0], "7100");
    assert_int_equal(r.types[0], 0x08);
    assert_string_equal(r.names[1], "@@version");
    assert_string_equal(r.vals[0][1], "10.11.19-MariaDB-log");
    assert_string_equal(r.vals[0][2], "1");
    assert_string_equal(r.vals[0][3], "x");
    assert_null(r.vals[0][4]);
    assert_null(r.vals[0][5]);
    assert_string_equal(r.vals[0][6], "repl@127.0.0.1");
    assert_string_equal(r.vals[0][7], "");
    assert_non_null(r.vals[0][9]);
    assert_int_equal(strlen(r.vals[0][10]), 36);
    rs_free(&r);
    run(f, "SELECT @@autocommit, @@session.tx_isolation FROM DUAL");
    decode(f, &r, false);
    assert_string_equal(r.vals[0][0], "1");
    assert_string_equal(r.vals[0][1], "REPEATABLE-READ");
    rs_free(&r);
    expect_err(f, "SELECT @@rpl_semi_sync_master_enabled", 1193, "rpl_semi_sync_master_enabled");
    expect_err(f, "SELECT * FROM mysql.user", 1235, "SELECT * FROM mysql.user");
    expect_err(f, "SELECT BINLOG_GTID_POS('binlog.000001', 4)", 1235, "BINLOG_GTID_POS");
    /* Unbalanced quotes or parentheses (found by fuzz_relay_sql: this one
     * was answered with a result set of no columns). */
    expect_err(f, "SELECT DATABASE(USER() LIMIT 1", 1235, "SELECT DATABASE(USER()");
    expect_err(f, "SELECT 1, 'x", 1235, "SELECT 1, 'x");
    expect_err(f, "SELECT 1), (2", 1235, "SELECT 1), (2");
}

static void test_show_variables(void **state)
{
    fixture *f = *state;
    rs r;
    run(f, "SHOW GLOBAL VARIABLES LIKE 'gtid\\_%'");
    decode(f, &r, false);
    assert_true(r.nrows >= 6);
    for (size_t i = 0; i < r.nrows; i++)
        assert_memory_equal(r.vals[i][0], "gtid_", 5);
    rs_free(&r);
    /* Semi-sync: an empty set tells a replica the master has none. */
    run(f, "SHOW VARIABLES LIKE 'rpl_semi_sync_master_enabled'");
    decode(f, &r, false);
    assert_int_equal(r.nrows, 0);
    rs_free(&r);
    run(f, "show variables");
    decode(f, &r, false);
    assert_true(r.nrows > 30);
    rs_free(&r);
}

static void test_set_and_misc_ok(void **state)
{
    fixture *f = *state;
    expect_ok(f, "SET NAMES utf8mb4");
    expect_ok(f, "SET autocommit=1");
    expect_ok(f, "SET SESSION sql_mode='' , @x = 5");
    expect_ok(f, "/*!40101 SET character_set_client = utf8 */;");
    expect_ok(f, "USE test");
    expect_ok(f, "COMMIT");
    expect_err(f, "SET GLOBAL read_only=1", 1235, "SET GLOBAL read_only=1");
    expect_err(f, "SET @slave_connect_state='70-7000'", 1231, "slave_connect_state");
    expect_err(f, "   ", 1065, "Query was empty");
    expect_err(f, "/* nothing */ ;", 1065, NULL);
    expect_err(f, "CHANGE MASTER TO MASTER_HOST='x'", 1235,
               "Ferry's binlog relay does not support this statement: CHANGE MASTER TO");
    expect_err(f, "STOP SLAVE", ER_OPTION_PREVENTS_STATEMENT, "not running");
    run(f, "SHOW WARNINGS");
    rs r;
    decode(f, &r, false);
    assert_int_equal(r.ncols, 3);
    assert_int_equal(r.nrows, 0);
    rs_free(&r);
}

static void test_master_status_and_logs(void **state)
{
    fixture *f = *state;
    rs r;
    run(f, "SHOW MASTER STATUS");
    decode(f, &r, false);
    assert_int_equal(r.ncols, 4);
    assert_int_equal(r.nrows, 0); /* nothing yet */
    rs_free(&r);
    t_new_file(f->b.store, true);
    t_group(f->b.store, 70, 1, "INSERT 1", true);
    t_new_file(f->b.store, true);
    t_group(f->b.store, 70, 2, "INSERT 2", true);
    blr_pos v = blr_store_visible(f->b.store, NULL);
    run(f, "show master status");
    decode(f, &r, false);
    assert_int_equal(r.nrows, 1);
    assert_string_equal(value(&r, 0, "File"), "binlog.000002");
    assert_int_equal(strtoull(value(&r, 0, "Position"), NULL, 10), v.offset);
    assert_string_equal(value(&r, 0, "Binlog_Do_DB"), "");
    rs_free(&r);
    run(f, "SHOW BINARY LOGS");
    decode(f, &r, false);
    assert_int_equal(r.nrows, 2);
    assert_string_equal(r.vals[0][0], "binlog.000001");
    assert_int_equal(atoll(r.vals[0][1]), blr_store_file_size(f->b.store, 1));
    assert_string_equal(r.vals[1][0], "binlog.000002");
    rs_free(&r);
    run(f, "SELECT @@gtid_binlog_pos, @@gtid_current_pos");
    decode(f, &r, false);
    assert_string_equal(r.vals[0][0], "70-7000-2");
    assert_string_equal(r.vals[0][1], "70-7000-2");
    rs_free(&r);
    expect_err(f, "PURGE BINARY LOGS TO 'binlog.000009'", 1373, "binlog.000009");
    expect_err(f, "PURGE BINARY LOGS TO 'galera-bin.000002'", 1373, NULL);
    assert_int_equal(blr_store_pin(f->b.store, 1), 0);
    expect_err(f, "PURGE BINARY LOGS TO 'binlog.000002'", 1378, "being read");
    blr_store_unpin(f->b.store, 1);
    expect_ok(f, "purge master logs to 'binlog.000002'");
    run(f, "SHOW MASTER LOGS");
    decode(f, &r, false);
    assert_int_equal(r.nrows, 1);
    assert_string_equal(r.vals[0][0], "binlog.000002");
    rs_free(&r);
}

static void test_slave_status(void **state)
{
    fixture *f = *state;
    t_new_file(f->b.store, true);
    t_group(f->b.store, 70, 7, "INSERT 1", true);
    f->c.caps = CLIENT_DEPRECATE_EOF;
    rs r;
    run(f, "SHOW SLAVE STATUS");
    decode(f, &r, true);
    assert_int_equal(r.ncols, 54);
    assert_string_equal(r.names[0], "Slave_IO_State");
    assert_string_equal(value(&r, 0, "Slave_IO_Running"), "Connecting"); /* no writer here */
    assert_string_equal(value(&r, 0, "Slave_SQL_Running"), "Yes");
    assert_string_equal(value(&r, 0, "Using_Gtid"), "Slave_Pos");
    assert_string_equal(value(&r, 0, "Gtid_IO_Pos"), "70-7000-7");
    assert_string_equal(value(&r, 0, "Last_IO_Errno"), "0");
    assert_string_equal(value(&r, 0, "Relay_Log_File"), "binlog.000001");
    assert_null(value(&r, 0, "Seconds_Behind_Master"));
    rs_free(&r);
    run(f, "SHOW ALL SLAVES STATUS");
    decode(f, &r, true);
    assert_int_equal(r.ncols, 56);
    assert_string_equal(r.names[0], "Connection_name");
    rs_free(&r);
    run(f, "show replica status");
    decode(f, &r, true);
    assert_int_equal(r.ncols, 54);
    rs_free(&r);
}

static void test_slave_hosts(void **state)
{
    fixture *f = *state;
    struct blr_replica_info a = {.server_id = 8000, .port = 3321, .registered = true};
    struct blr_replica_info b = {.server_id = 1, .dumping = true}; /* mariadb-binlog */
    struct blr_replica_info c = {
        .server_id = 8001, .port = 3322, .master_id = 5, .registered = true};
    snprintf(a.addr, sizeof(a.addr), "10.0.0.8");
    snprintf(c.host, sizeof(c.host), "dr-replica");
    a.next = &b;
    b.next = &c;
    f->b.replicas = &a;
    rs r;
    run(f, "SHOW SLAVE HOSTS");
    decode(f, &r, false);
    assert_int_equal(r.ncols, 4);
    assert_int_equal(r.nrows, 2);
    assert_string_equal(value(&r, 0, "Server_id"), "8000");
    assert_string_equal(value(&r, 0, "Host"), "10.0.0.8");
    assert_string_equal(value(&r, 0, "Port"), "3321");
    assert_string_equal(value(&r, 0, "Master_id"), "7100");
    assert_string_equal(value(&r, 1, "Host"), "dr-replica");
    assert_string_equal(value(&r, 1, "Master_id"), "5");
    rs_free(&r);
    f->b.replicas = NULL;
}

/* mariadb-binlog and the mariadb client negotiate MariaDB's metadata flags (ext caps 0x1d). */
static void test_mariadb_metadata_caps(void **state)
{
    fixture *f = *state;
    f->c.caps =
        CLIENT_DEPRECATE_EOF | MARIADB_CLIENT_CACHE_METADATA | MARIADB_CLIENT_EXTENDED_METADATA;
    run(f, "SELECT VERSION()");
    assert_int_equal(f->p.n, 4); /* count, definition, row, OK */
    assert_int_equal(f->p.v[0].len, 2);
    assert_memory_equal(f->p.v[0].payload, "\x01\x01", 2); /* 1 column, metadata follows */
    proto_rd rd = proto_rd_init(f->p.v[1].payload, f->p.v[1].len);
    size_t n;
    for (int i = 0; i < 6; i++)
        proto_get_lenenc_str(&rd, &n);
    assert_int_equal(proto_get_u8(&rd), 0);    /* no extended type info */
    assert_int_equal(proto_get_u8(&rd), 0x0c); /* then the fixed fields */
    assert_false(rd.bad);
    f->c.caps = MARIADB_CLIENT_CACHE_METADATA; /* and with EOF packets */
    run(f, "SELECT 1, 2");
    assert_int_equal(f->p.n, 6);
    assert_memory_equal(f->p.v[0].payload, "\x02\x01", 2);
    assert_true(proto_is_eof(f->p.v[3].payload, f->p.v[3].len));
    assert_true(proto_is_eof(f->p.v[5].payload, f->p.v[5].len));
}

int main(void)
{
    alarm(300); /* never hang a test run */
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_normalize),
        cmocka_unit_test_setup_teardown(test_replica_registration, setup, teardown),
        cmocka_unit_test_setup_teardown(test_mariadb_binlog, setup, teardown),
        cmocka_unit_test_setup_teardown(test_select_lists, setup, teardown),
        cmocka_unit_test_setup_teardown(test_show_variables, setup, teardown),
        cmocka_unit_test_setup_teardown(test_set_and_misc_ok, setup, teardown),
        cmocka_unit_test_setup_teardown(test_master_status_and_logs, setup, teardown),
        cmocka_unit_test_setup_teardown(test_slave_status, setup, teardown),
        cmocka_unit_test_setup_teardown(test_slave_hosts, setup, teardown),
        cmocka_unit_test_setup_teardown(test_mariadb_metadata_caps, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
