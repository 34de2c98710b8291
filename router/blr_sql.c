/*
 * blr_sql.c: the statements the binlog relay answers on its port (see
 * blr_sql.h). A statement is normalized (comments out, blanks collapsed)
 * and matched, case-insensitively, against a table of PCRE2 patterns; the
 * first match's handler writes the answer. Anything else gets ERR 1235
 * naming the statement. Runs on the client's worker.
 */
#define PCRE2_CODE_UNIT_WIDTH 8
#include "router/blr_sql_int.h"

#include <ctype.h>
#include <pcre2.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "protocol/resultset.h"
#include "router/blr_reader.h"
#include "server/log.h"
#include "server/service.h"

#define NUM        PROTO_TYPE_LONGLONG
#define STR        PROTO_TYPE_VAR_STRING
#define MAX_CAPS   4
#define MAX_ITEMS  64
#define QUOTED     "['\"]([^'\"]*)['\"]"
#define ER_SYNTAX  "42000"
#define ER_GENERAL "HY000"

typedef struct sql_args {
    char head[84]; /* the statement's start, for error messages */
    char *q;       /* the normalized statement (writable) */
    size_t len;
    char *cap[MAX_CAPS]; /* captures, NUL-terminated in place; NULL if unset */
    size_t cap_len[MAX_CAPS];
} sql_args;

typedef void (*sql_fn)(blr_sql_ctx *c, sql_args *a, proto_buf *out);

void blr_vars_init(blr_vars *v)
{
    memset(v, 0, sizeof(*v));
    gtid_pos_init(&v->connect_state);
}

void blr_sql_error(proto_buf *out, uint16_t code, const char *state, const char *fmt, ...)
{
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    proto_err_packet(out, 1, code, state, msg);
}

static void ok(proto_buf *out)
{
    proto_ok_packet(out, 1, BLR_STATUS);
}

/* A whole result set from rows of C strings (NULL: SQL NULL). */
static void result(blr_sql_ctx *c, proto_buf *out, const proto_column *cols, size_t ncols,
                   const char *const *vals, size_t nrows)
{
    uint8_t seq = proto_rs_begin(out, 1, cols, ncols, c->deprecate_eof);
    for (size_t r = 0; r < nrows; r++)
        seq = proto_rs_row(out, seq, vals + r * ncols, ncols);
    proto_rs_end(out, seq, BLR_STATUS, c->deprecate_eof);
}

/* ---- a replica's user variables ----------------------------------------------- */

static uint64_t cap_u64(const sql_args *a, int i)
{
    return strtoull(a->cap[i], NULL, 10);
}

static void set_heartbeat(blr_sql_ctx *c, sql_args *a, proto_buf *out)
{
    c->vars->heartbeat_ns = cap_u64(a, 0);
    ok(out);
}

static void set_checksum(blr_sql_ctx *c, sql_args *a, proto_buf *out)
{
    char *v = a->cap[0];
    size_t n = a->cap_len[0];
    if (n >= 2 && (v[0] == '\'' || v[0] == '"') && v[n - 1] == v[0]) {
        v[n - 1] = '\0';
        v++;
    }
    if (strcasecmp(v, "NONE") == 0)
        c->vars->checksum = BLR_CHECKSUM_NONE;
    else if (strcasecmp(v, "CRC32") == 0 || strcasecmp(v, "@@global.binlog_checksum") == 0 ||
             strcasecmp(v, "@@binlog_checksum") == 0)
        c->vars->checksum = BLR_CHECKSUM_CRC32;
    else {
        blr_sql_error(out, ER_WRONG_VALUE_FOR_VAR, ER_SYNTAX,
                      "Variable 'master_binlog_checksum' can't be set to the value of '%s' "
                      "(use NONE, CRC32 or @@global.binlog_checksum)",
                      v);
        return;
    }
    ok(out);
}

static void set_capability(blr_sql_ctx *c, sql_args *a, proto_buf *out)
{
    c->vars->capability = (int)cap_u64(a, 0);
    ok(out);
}

static void set_connect_state(blr_sql_ctx *c, sql_args *a, proto_buf *out)
{
    const char *why = NULL;
    if (gtid_pos_parse(&c->vars->connect_state, a->cap[0], a->cap_len[0], &why) != 0) {
        c->vars->has_connect_state = false;
        blr_sql_error(out, ER_WRONG_VALUE_FOR_VAR, ER_SYNTAX,
                      "Variable 'slave_connect_state' can't be set to the value of '%.200s': %s",
                      a->cap[0], why ? why : "not a GTID position");
        return;
    }
    c->vars->has_connect_state = true;
    ok(out);
}

static void set_strict(blr_sql_ctx *c, sql_args *a, proto_buf *out)
{
    c->vars->gtid_strict_mode = (int)cap_u64(a, 0);
    ok(out);
}

static void set_ignore_dups(blr_sql_ctx *c, sql_args *a, proto_buf *out)
{
    c->vars->gtid_ignore_dups = (int)cap_u64(a, 0);
    ok(out);
}

/* ---- operator statements ------------------------------------------------------ */

static void set_gtid_slave_pos(blr_sql_ctx *c, sql_args *a, proto_buf *out)
{
    gtid_pos *p = malloc(sizeof(*p));
    const char *why = NULL;
    char err[512] = "";
    if (!p) {
        blr_sql_error(out, ER_OUT_OF_RESOURCES, ER_GENERAL, "Out of memory");
        return;
    }
    if (gtid_pos_parse(p, a->cap[0], a->cap_len[0], &why) != 0)
        blr_sql_error(out, ER_WRONG_VALUE_FOR_VAR, ER_SYNTAX,
                      "Variable 'gtid_slave_pos' can't be set to the value of '%.200s': %s",
                      a->cap[0], why ? why : "not a GTID position");
    else if (!c->b->writer ||
             blr_writer_set_start_pos(c->b->writer, p, err, sizeof(err)) < 0)
        blr_sql_error(out, ER_OPTION_PREVENTS_STATEMENT, ER_GENERAL, "%s",
                      err[0] ? err : "The relay's upstream is not running");
    else {
        log_notice("binlog relay '%s': start position set to '%s' by SET GLOBAL gtid_slave_pos",
                   c->b->svc ? c->b->svc->name : "", a->cap[0]);
        ok(out);
    }
    free(p);
}

static void stop_start(blr_sql_ctx *c, sql_args *a, proto_buf *out)
{
    bool stop = strncasecmp(a->cap[0], "STOP", 4) == 0;
    if (!c->b->writer) {
        blr_sql_error(out, ER_OPTION_PREVENTS_STATEMENT, ER_GENERAL,
                      "The relay's upstream is not running");
        return;
    }
    blr_writer_pause(c->b->writer, stop);
    log_notice("binlog relay '%s': %s SLAVE by '%s' from %s", c->b->svc ? c->b->svc->name : "",
               stop ? "STOP" : "START", c->user ? c->user : "", c->client_ip ? c->client_ip : "");
    ok(out);
}

static void purge_to(blr_sql_ctx *c, sql_args *a, proto_buf *out)
{
    char err[512];
    uint32_t no = blr_store_file_no(a->cap[0], a->cap_len[0]);
    if (!no || blr_store_file_size(c->b->store, no) < 0) {
        blr_sql_error(out, ER_UNKNOWN_TARGET_BINLOG, ER_GENERAL,
                      "Target log '%.100s' not found in binlog index", a->cap[0]);
        return;
    }
    if (blr_store_purge_to(c->b->store, no, err, sizeof(err)) < 0) {
        blr_sql_error(out, ER_LOG_IN_USE, ER_GENERAL, "%s", err);
        return;
    }
    ok(out);
}

static void show_master_status(blr_sql_ctx *c, sql_args *a, proto_buf *out)
{
    static const proto_column cols[] = {
        {"File", STR}, {"Position", NUM}, {"Binlog_Do_DB", STR}, {"Binlog_Ignore_DB", STR}};
    blr_pos v = blr_store_visible(c->b->store, NULL);
    char name[BLR_NAME_MAX], pos[32];
    blr_store_file_name(v.file_no, name);
    snprintf(pos, sizeof(pos), "%llu", (unsigned long long)v.offset);
    const char *row[] = {name, pos, "", ""};
    result(c, out, cols, 4, row, v.file_no ? 1 : 0);
}

static void show_binary_logs(blr_sql_ctx *c, sql_args *a, proto_buf *out)
{
    static const proto_column cols[] = {{"Log_name", STR}, {"File_size", NUM}};
    uint32_t first, last;
    blr_store_range(c->b->store, &first, &last);
    uint8_t seq = proto_rs_begin(out, 1, cols, 2, c->deprecate_eof);
    for (uint32_t no = first; no && no <= last; no++) {
        int64_t size = blr_store_file_size(c->b->store, no);
        if (size < 0)
            continue;
        char name[BLR_NAME_MAX], sz[32];
        blr_store_file_name(no, name);
        snprintf(sz, sizeof(sz), "%lld", (long long)size);
        const char *row[] = {name, sz};
        seq = proto_rs_row(out, seq, row, 2);
    }
    proto_rs_end(out, seq, BLR_STATUS, c->deprecate_eof);
}

static void show_slave_hosts(blr_sql_ctx *c, sql_args *a, proto_buf *out)
{
    static const proto_column cols[] = {
        {"Server_id", NUM}, {"Host", STR}, {"Port", NUM}, {"Master_id", NUM}};
    uint8_t seq = proto_rs_begin(out, 1, cols, 4, c->deprecate_eof);
    pthread_mutex_lock(&c->b->replicas_lock);
    for (const struct blr_replica_info *r = c->b->replicas; r; r = r->next) {
        if (!r->registered)
            continue;
        char id[16], port[8], master[16];
        snprintf(id, sizeof(id), "%u", r->server_id);
        snprintf(port, sizeof(port), "%u", r->port);
        snprintf(master, sizeof(master), "%u", r->master_id ? r->master_id : c->b->cfg.server_id);
        const char *row[] = {id, r->host[0] ? r->host : r->addr, port, master};
        seq = proto_rs_row(out, seq, row, 4);
    }
    pthread_mutex_unlock(&c->b->replicas_lock);
    proto_rs_end(out, seq, BLR_STATUS, c->deprecate_eof);
}

static void show_variables(blr_sql_ctx *c, sql_args *a, proto_buf *out)
{
    blr_sql_show_variables(c, a->cap[0], out);
}

static void empty_warnings(blr_sql_ctx *c, sql_args *a, proto_buf *out)
{
    static const proto_column cols[] = {{"Level", STR}, {"Code", NUM}, {"Message", STR}};
    result(c, out, cols, 3, NULL, 0);
}

static void empty_status(blr_sql_ctx *c, sql_args *a, proto_buf *out)
{
    static const proto_column cols[] = {{"Variable_name", STR}, {"Value", STR}};
    result(c, out, cols, 2, NULL, 0);
}

static void show_databases(blr_sql_ctx *c, sql_args *a, proto_buf *out)
{
    static const proto_column cols[] = {{"Database", STR}};
    const char *row[] = {"information_schema"};
    result(c, out, cols, 1, row, 1);
}

static void say_ok(blr_sql_ctx *c, sql_args *a, proto_buf *out)
{
    ok(out);
}

static void unsupported(blr_sql_ctx *c, sql_args *a, proto_buf *out)
{
    blr_sql_error(out, ER_NOT_SUPPORTED_YET, ER_SYNTAX,
                  "Ferry's binlog relay does not support this statement: %s", a->head);
}

/* ---- SHOW SLAVE STATUS: the relay's upstream ------------------------------------ */

typedef struct field {
    const char *name;
    uint8_t type;
    const char *val;
} field;

static uint64_t relay_space(blr_store *st)
{
    uint32_t first, last;
    uint64_t sum = 0;
    blr_store_range(st, &first, &last);
    for (uint32_t no = first; no && no <= last; no++) {
        int64_t size = blr_store_file_size(st, no);
        sum += size > 0 ? (uint64_t)size : 0;
    }
    return sum;
}

static void send_fields(blr_sql_ctx *c, const field *f, size_t n, proto_buf *out)
{
    proto_column cols[64];
    const char *vals[64];
    for (size_t i = 0; i < n && i < 64; i++) {
        cols[i] = (proto_column){f[i].name, f[i].type};
        vals[i] = f[i].val;
    }
    result(c, out, cols, n < 64 ? n : 64, vals, 1);
}

static void show_slave_status(blr_sql_ctx *c, sql_args *a, proto_buf *out)
{
    blr_upstream_status st;
    memset(&st, 0, sizeof(st));
    if (c->b->writer)
        blr_writer_status(c->b->writer, &st);
    char *gtid = malloc(GTID_POS_TEXT_MAX);
    gtid_pos *state = malloc(sizeof(*state));
    if (!gtid || !state) {
        free(gtid);
        free(state);
        blr_sql_error(out, ER_OUT_OF_RESOURCES, ER_GENERAL, "Out of memory");
        return;
    }
    blr_pos v = blr_store_visible(c->b->store, state);
    gtid_pos_format(state, gtid, GTID_POS_TEXT_MAX);
    char port[16], io_errno[16], pos[32], space[32], file[BLR_NAME_MAX];
    snprintf(port, sizeof(port), "%d", st.port);
    snprintf(io_errno, sizeof(io_errno), "%u", st.last_errno);
    snprintf(pos, sizeof(pos), "%llu", (unsigned long long)v.offset);
    snprintf(space, sizeof(space), "%llu", (unsigned long long)relay_space(c->b->store));
    blr_store_file_name(v.file_no, file);
    const char *user = c->b->svc && c->b->svc->cfg ? cfg_str(c->b->svc->cfg, "user") : "";
    const char *io = st.stopped ? "No" : st.running ? "Yes" : "Connecting";
    const char *idle = "Slave has read all relay log; waiting for more updates";
    const field f[] = {
        {"Connection_name", STR, ""}, {"Slave_SQL_State", STR, idle},
        {"Slave_IO_State", STR, st.io_state}, {"Master_Host", STR, st.host},
        {"Master_User", STR, user ? user : ""}, {"Master_Port", NUM, port},
        {"Connect_Retry", NUM, "1"}, {"Master_Log_File", STR, ""},
        {"Read_Master_Log_Pos", NUM, "0"}, {"Relay_Log_File", STR, v.file_no ? file : ""},
        {"Relay_Log_Pos", NUM, pos}, {"Relay_Master_Log_File", STR, ""},
        {"Slave_IO_Running", STR, io}, {"Slave_SQL_Running", STR, "Yes"},
        {"Replicate_Rewrite_DB", STR, ""}, {"Replicate_Do_DB", STR, ""},
        {"Replicate_Ignore_DB", STR, ""}, {"Replicate_Do_Table", STR, ""},
        {"Replicate_Ignore_Table", STR, ""}, {"Replicate_Wild_Do_Table", STR, ""},
        {"Replicate_Wild_Ignore_Table", STR, ""}, {"Last_Errno", NUM, "0"},
        {"Last_Error", STR, ""}, {"Skip_Counter", NUM, "0"},
        {"Exec_Master_Log_Pos", NUM, "0"}, {"Relay_Log_Space", NUM, space},
        {"Until_Condition", STR, "None"}, {"Until_Log_File", STR, ""},
        {"Until_Log_Pos", NUM, "0"}, {"Master_SSL_Allowed", STR, "No"},
        {"Master_SSL_CA_File", STR, ""}, {"Master_SSL_CA_Path", STR, ""},
        {"Master_SSL_Cert", STR, ""}, {"Master_SSL_Cipher", STR, ""},
        {"Master_SSL_Key", STR, ""}, {"Seconds_Behind_Master", NUM, st.running ? "0" : NULL},
        {"Master_SSL_Verify_Server_Cert", STR, "No"}, {"Last_IO_Errno", NUM, io_errno},
        {"Last_IO_Error", STR, st.last_error}, {"Last_SQL_Errno", NUM, "0"},
        {"Last_SQL_Error", STR, ""}, {"Replicate_Ignore_Server_Ids", STR, ""},
        {"Master_Server_Id", NUM, "0"}, {"Master_SSL_Crl", STR, ""},
        {"Master_SSL_Crlpath", STR, ""}, {"Using_Gtid", STR, "Slave_Pos"},
        {"Gtid_IO_Pos", STR, gtid}, {"Replicate_Do_Domain_Ids", STR, ""},
        {"Replicate_Ignore_Domain_Ids", STR, ""}, {"Parallel_Mode", STR, "none"},
        {"SQL_Delay", NUM, "0"}, {"SQL_Remaining_Delay", NUM, NULL},
        {"Slave_SQL_Running_State", STR, idle}, {"Slave_DDL_Groups", NUM, "0"},
        {"Slave_Non_Transactional_Groups", NUM, "0"}, {"Slave_Transactional_Groups", NUM, "0"},
    };
    bool all = a->cap[0] != NULL; /* SHOW ALL SLAVES STATUS starts with two more columns */
    size_t skip = all ? 0 : 2;
    send_fields(c, f + skip, sizeof(f) / sizeof(f[0]) - skip, out);
    free(gtid);
    free(state);
}

/* ---- SELECT <items> -------------------------------------------------------------- */

/* Splits at top-level commas (outside quotes and parentheses); NULs at the commas. */
static size_t split_items(char *s, size_t n, char **items, size_t *lens, size_t max)
{
    size_t count = 0, start = 0;
    int depth = 0;
    char quote = 0;
    for (size_t i = 0; i <= n; i++) {
        char ch = i < n ? s[i] : ',';
        if (quote) {
            quote = ch == quote ? 0 : quote;
            continue;
        }
        if (ch == '\'' || ch == '"' || ch == '`')
            quote = ch;
        else if (ch == '(')
            depth++;
        else if (ch == ')')
            depth--;
        else if (ch == ',' && depth == 0) {
            if (count == max)
                return max + 1;
            while (start < i && s[start] == ' ')
                start++;
            size_t end = i;
            while (end > start && s[end - 1] == ' ')
                end--;
            items[count] = s + start;
            lens[count++] = end - start;
            if (i < n)
                s[i] = '\0';
            start = i + 1;
        }
    }
    return count;
}

/* "expr AS alias": cuts the alias off (unquoted) and returns it, or NULL. */
static char *take_alias(char *item, size_t *len)
{
    for (size_t i = *len; i >= 4; i--) {
        if (strncasecmp(item + i - 4, " AS ", 4) != 0)
            continue;
        char *alias = item + i;
        size_t alen = *len - i;
        if (alen >= 2 && strchr("'\"`", alias[0]) && alias[alen - 1] == alias[0]) {
            alias++;
            alen -= 2;
        }
        alias[alen] = '\0';
        *len = i - 4;
        return memchr(alias, '\'', alen) || memchr(alias, '"', alen) ? NULL : alias;
    }
    return NULL;
}

static void select_list(blr_sql_ctx *c, sql_args *a, proto_buf *out)
{
    char *items[MAX_ITEMS];
    size_t lens[MAX_ITEMS];
    size_t n = split_items(a->cap[0], a->cap_len[0], items, lens, MAX_ITEMS);
    proto_column cols[MAX_ITEMS];
    const char *vals[MAX_ITEMS];
    char *texts = n <= MAX_ITEMS ? malloc(n * GTID_POS_TEXT_MAX) : NULL;
    if (!texts) {
        unsupported(c, a, out);
        return;
    }
    for (size_t i = 0; i < n; i++) {
        char *alias = take_alias(items[i], &lens[i]);
        blr_sql_value v = {.text = texts + i * GTID_POS_TEXT_MAX, .cap = GTID_POS_TEXT_MAX};
        int rc = blr_sql_eval(c, items[i], lens[i], &v);
        if (rc == BLR_EVAL_UNKNOWN_VAR) {
            blr_sql_error(out, ER_UNKNOWN_SYSTEM_VARIABLE, ER_GENERAL, "%s", v.text);
            free(texts);
            return;
        }
        if (rc != BLR_EVAL_OK) {
            unsupported(c, a, out);
            free(texts);
            return;
        }
        items[i][lens[i]] = '\0';
        cols[i] = (proto_column){alias ? alias : items[i], v.type};
        vals[i] = v.is_null ? NULL : v.text;
    }
    result(c, out, cols, n, vals, 1);
    free(texts);
}

/* ---- the statement table ------------------------------------------------------- */

static const struct sql_stmt {
    const char *re;
    sql_fn fn;
} STMTS[] = {
    {"^SET\\s+@master_heartbeat_period\\s*=\\s*(\\d+)$", set_heartbeat},
    {"^SET\\s+@master_binlog_checksum\\s*=\\s*(\\S+)$", set_checksum},
    {"^SET\\s+@mariadb_slave_capability\\s*=\\s*(\\d+)$", set_capability},
    {"^SET\\s+@slave_connect_state\\s*=\\s*" QUOTED "$", set_connect_state},
    {"^SET\\s+@slave_gtid_strict_mode\\s*=\\s*(\\d+)$", set_strict},
    {"^SET\\s+@slave_gtid_ignore_duplicates\\s*=\\s*(\\d+)$", set_ignore_dups},
    {"^SET\\s+(?:GLOBAL\\s+|@@GLOBAL\\.)gtid_slave_pos\\s*=\\s*" QUOTED "$", set_gtid_slave_pos},
    {"^SET\\s+(?:GLOBAL\\s|@@GLOBAL\\.).*$", unsupported},
    {"^SET\\s.*$", say_ok},
    {"^SHOW\\s+(?:GLOBAL\\s+|SESSION\\s+|LOCAL\\s+)?VARIABLES(?:\\s+LIKE\\s+" QUOTED ")?$",
     show_variables},
    {"^SHOW\\s+(?:GLOBAL\\s+|SESSION\\s+|LOCAL\\s+)?STATUS(?:\\s+LIKE\\s+" QUOTED ")?$",
     empty_status},
    {"^SHOW\\s+(?:MASTER|BINLOG)\\s+STATUS$", show_master_status},
    {"^SHOW\\s+(?:BINARY|MASTER)\\s+LOGS$", show_binary_logs},
    {"^SHOW\\s+(ALL\\s+)?(?:SLAVE|REPLICA)S?\\s+(?:'[^']*'\\s+)?STATUS$", show_slave_status},
    {"^SHOW\\s+(?:SLAVE|REPLICA)\\s+HOSTS$", show_slave_hosts},
    {"^SHOW\\s+(?:WARNINGS|ERRORS)(?:\\s+LIMIT\\s.*)?$", empty_warnings},
    {"^SHOW\\s+DATABASES$", show_databases},
    {"^PURGE\\s+(?:BINARY|MASTER)\\s+LOGS\\s+TO\\s+" QUOTED "$", purge_to},
    {"^(STOP|START)\\s+(?:SLAVE|REPLICA)(?:\\s+(?:IO_THREAD|SQL_THREAD)"
     "(?:\\s*,\\s*(?:IO_THREAD|SQL_THREAD))?)?$",
     stop_start},
    {"^SELECT\\s+(.+?)(?:\\s+FROM\\s+DUAL)?(?:\\s+LIMIT\\s+\\d+)?$", select_list},
    {"^(?:BEGIN|COMMIT|ROLLBACK|START\\s+TRANSACTION|USE\\s+\\S+)$", say_ok},
};
#define NSTMTS (sizeof(STMTS) / sizeof(STMTS[0]))

static pcre2_code *g_re[NSTMTS];
static pthread_once_t g_once = PTHREAD_ONCE_INIT;

static void compile_all(void)
{
    for (size_t i = 0; i < NSTMTS; i++) {
        int code;
        PCRE2_SIZE at;
        g_re[i] = pcre2_compile((PCRE2_SPTR)STMTS[i].re, PCRE2_ZERO_TERMINATED,
                                PCRE2_CASELESS | PCRE2_DOTALL, &code, &at, NULL);
        if (!g_re[i])
            log_error("binlog relay: bad SQL pattern %zu at %zu (%d)", i, (size_t)at, code);
    }
}

/* Runs the first handler whose pattern matches; false if none does. */
static bool dispatch(blr_sql_ctx *c, char *q, size_t n, proto_buf *out)
{
    pcre2_match_data *md = pcre2_match_data_create(MAX_CAPS + 1, NULL);
    bool done = false;
    for (size_t i = 0; md && !done && i < NSTMTS; i++) {
        int rc = g_re[i] ? pcre2_match(g_re[i], (PCRE2_SPTR)q, n, 0, 0, md, NULL) : -1;
        if (rc <= 0)
            continue;
        PCRE2_SIZE *ov = pcre2_get_ovector_pointer(md);
        uint32_t count = (uint32_t)rc; /* pairs past the last group that matched are stale */
        sql_args a = {.q = q, .len = n};
        snprintf(a.head, sizeof(a.head), "%.80s", q);
        for (uint32_t k = 1; k < count && k <= MAX_CAPS; k++) {
            if (ov[2 * k] == PCRE2_UNSET)
                continue;
            a.cap[k - 1] = q + ov[2 * k];
            a.cap_len[k - 1] = ov[2 * k + 1] - ov[2 * k];
        }
        for (int k = 0; k < MAX_CAPS; k++) /* NUL-terminate in place, from the right */
            if (a.cap[MAX_CAPS - 1 - k])
                a.cap[MAX_CAPS - 1 - k][a.cap_len[MAX_CAPS - 1 - k]] = '\0';
        STMTS[i].fn(c, &a, out);
        done = true;
    }
    pcre2_match_data_free(md);
    return done;
}

void blr_sql_query(blr_sql_ctx *c, const char *q, size_t len, proto_buf *out)
{
    pthread_once(&g_once, compile_all);
    if (len > BLR_SQL_MAX) {
        blr_sql_error(out, ER_NOT_SUPPORTED_YET, ER_SYNTAX,
                      "Ferry's binlog relay does not support this statement: %.80s", q);
        return;
    }
    char *norm = malloc(len + 1);
    long n = norm ? blr_sql_normalize(q, len, norm, len + 1) : -1;
    if (n < 0)
        blr_sql_error(out, ER_OUT_OF_RESOURCES, ER_GENERAL, "Out of memory");
    else if (n == 0)
        blr_sql_error(out, ER_EMPTY_QUERY, ER_SYNTAX, "Query was empty");
    else if (!dispatch(c, norm, (size_t)n, out)) {
        sql_args a = {.q = norm, .len = (size_t)n};
        snprintf(a.head, sizeof(a.head), "%.80s", norm);
        unsupported(c, &a, out);
    }
    free(norm);
}

/* ---- normalization ------------------------------------------------------------- */

typedef struct norm {
    const char *q;
    size_t len, i;
    char *out;
    size_t cap, o;
    bool space;
    int exec; /* open executable comments */
} norm;

static bool emit(norm *s, char ch)
{
    if (s->space && s->o > 0) {
        if (s->o + 1 >= s->cap)
            return false;
        s->out[s->o++] = ' ';
    }
    s->space = false;
    if (s->o + 1 >= s->cap)
        return false;
    s->out[s->o++] = ch;
    return true;
}

/* Copies a quoted string or identifier verbatim. */
static bool copy_quoted(norm *s)
{
    char quote = s->q[s->i++];
    if (!emit(s, quote))
        return false;
    while (s->i < s->len) {
        char ch = s->q[s->i++];
        if (!emit(s, ch))
            return false;
        if (ch == '\\' && quote != '`' && s->i < s->len) {
            if (!emit(s, s->q[s->i++]))
                return false;
        } else if (ch == quote) {
            if (s->i < s->len && s->q[s->i] == quote) {
                if (!emit(s, s->q[s->i++]))
                    return false;
                continue;
            }
            break;
        }
    }
    return true;
}

/* At a comment start: an executable comment's text is kept, any other comment dropped. */
static void skip_comment(norm *s)
{
    const char *q = s->q;
    size_t i = s->i + 2;
    if (i < s->len && (q[i] == '!' || (q[i] == 'M' && i + 1 < s->len && q[i + 1] == '!'))) {
        i += q[i] == '!' ? 1 : 2;
        while (i < s->len && isdigit((unsigned char)q[i]))
            i++;
        s->exec++;
        s->i = i;
    } else {
        while (i + 1 < s->len && !(q[i] == '*' && q[i + 1] == '/'))
            i++;
        s->i = i + 1 < s->len ? i + 2 : s->len;
    }
    s->space = true;
}

long blr_sql_normalize(const char *q, size_t len, char *out, size_t cap)
{
    norm s = {.q = q, .len = len, .out = out, .cap = cap};
    if (cap == 0)
        return -1;
    while (s.i < len) {
        char ch = q[s.i], next = s.i + 1 < len ? q[s.i + 1] : '\0';
        if (ch == '\'' || ch == '"' || ch == '`') {
            if (!copy_quoted(&s))
                return -1;
        } else if (ch == '/' && next == '*') {
            skip_comment(&s);
        } else if (s.exec && ch == '*' && next == '/') {
            s.exec--;
            s.i += 2;
            s.space = true;
        } else if (ch == '#' || (ch == '-' && next == '-' &&
                                 (s.i + 2 >= len || isspace((unsigned char)q[s.i + 2])))) {
            while (s.i < len && q[s.i] != '\n')
                s.i++;
            s.space = true;
        } else if (isspace((unsigned char)ch)) {
            s.space = true;
            s.i++;
        } else {
            if (!emit(&s, ch))
                return -1;
            s.i++;
        }
    }
    while (s.o > 0 && (out[s.o - 1] == ';' || out[s.o - 1] == ' '))
        s.o--;
    out[s.o] = '\0';
    return (long)s.o;
}
