/*
 * blr_sql_vars.c: the values the binlog relay reports as a MariaDB server:
 * its system variables (@@server_id, @@gtid_binlog_pos, ...), a replica's
 * user variables (@master_binlog_checksum, ...) and the few functions tools
 * select (VERSION(), UNIX_TIMESTAMP(), ...). Used by blr_sql.c for SELECT
 * lists and SHOW VARIABLES.
 */
#include "router/blr_sql_int.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "protocol/resultset.h"

/* ---- system variables ---------------------------------------------------- */

static void get_server_id(blr_sql_ctx *c, char *out, size_t cap)
{
    snprintf(out, cap, "%u", c->b->cfg.server_id);
}

static void get_version(blr_sql_ctx *c, char *out, size_t cap)
{
    snprintf(out, cap, "%s", c->version ? c->version : BLR_DEFAULT_VERSION);
}

static void get_hostname(blr_sql_ctx *c, char *out, size_t cap)
{
    if (gethostname(out, cap) < 0)
        snprintf(out, cap, "localhost");
    out[cap - 1] = '\0';
}

static void get_server_uuid(blr_sql_ctx *c, char *out, size_t cap)
{
    snprintf(out, cap, "%08x-0000-4000-8000-%012x", c->b->cfg.server_id, c->b->cfg.server_id);
}

/* The relay's committed (visible) GTID state: its binlog, current and slave position. */
static void get_gtid_state(blr_sql_ctx *c, char *out, size_t cap)
{
    gtid_pos *p = malloc(sizeof(*p));
    out[0] = '\0';
    if (!p)
        return;
    blr_store_visible(c->b->store, p);
    gtid_pos_format(p, out, cap);
    free(p);
}

static void get_basename(blr_sql_ctx *c, char *out, size_t cap)
{
    snprintf(out, cap, "%s/binlog", c->b->cfg.dir);
}

static void get_index(blr_sql_ctx *c, char *out, size_t cap)
{
    snprintf(out, cap, "%s/binlog.index", c->b->cfg.dir);
}

static void get_max_binlog_size(blr_sql_ctx *c, char *out, size_t cap)
{
    snprintf(out, cap, "%llu", (unsigned long long)c->b->cfg.max_binlog_size);
}

#define NUM  PROTO_TYPE_LONGLONG
#define STR  PROTO_TYPE_VAR_STRING
#define BOOL 0xff /* ON/OFF in SHOW VARIABLES, 1/0 in SELECT */

typedef struct sysvar {
    const char *name;
    uint8_t type;
    const char *fixed;
    void (*get)(blr_sql_ctx *c, char *out, size_t cap);
} sysvar;

/* Sorted by name (SHOW VARIABLES lists them in this order). */
static const sysvar SYSVARS[] = {
    {"autocommit", BOOL, "ON", NULL},
    {"binlog_annotate_row_events", BOOL, "ON", NULL},
    {"binlog_checksum", STR, "CRC32", NULL},
    {"binlog_format", STR, "ROW", NULL},
    {"binlog_row_image", STR, "FULL", NULL},
    {"character_set_client", STR, "utf8mb4", NULL},
    {"character_set_connection", STR, "utf8mb4", NULL},
    {"character_set_results", STR, "utf8mb4", NULL},
    {"character_set_server", STR, "utf8mb4", NULL},
    {"collation_connection", STR, "utf8mb4_general_ci", NULL},
    {"collation_server", STR, "utf8mb4_general_ci", NULL},
    {"gtid_binlog_pos", STR, NULL, get_gtid_state},
    {"gtid_binlog_state", STR, NULL, get_gtid_state},
    {"gtid_current_pos", STR, NULL, get_gtid_state},
    {"gtid_domain_id", NUM, "0", NULL},
    {"gtid_ignore_duplicates", BOOL, "OFF", NULL},
    {"gtid_slave_pos", STR, NULL, get_gtid_state},
    {"gtid_strict_mode", BOOL, "OFF", NULL},
    {"hostname", STR, NULL, get_hostname},
    {"interactive_timeout", NUM, "28800", NULL},
    {"log_bin", BOOL, "ON", NULL},
    {"log_bin_basename", STR, NULL, get_basename},
    {"log_bin_index", STR, NULL, get_index},
    {"log_slave_updates", BOOL, "ON", NULL},
    {"lower_case_table_names", NUM, "0", NULL},
    {"max_allowed_packet", NUM, "1073741824", NULL},
    {"max_binlog_size", NUM, NULL, get_max_binlog_size},
    {"net_read_timeout", NUM, "30", NULL},
    {"net_write_timeout", NUM, "60", NULL},
    {"read_only", BOOL, "ON", NULL},
    {"server_id", NUM, NULL, get_server_id},
    {"server_uuid", STR, NULL, get_server_uuid},
    {"sql_mode", STR, "", NULL},
    {"system_time_zone", STR, "UTC", NULL},
    {"time_zone", STR, "SYSTEM", NULL},
    {"transaction_isolation", STR, "REPEATABLE-READ", NULL},
    {"tx_isolation", STR, "REPEATABLE-READ", NULL},
    {"version", STR, NULL, get_version},
    {"version_comment", STR, "Ferry binlog relay", NULL},
    {"version_compile_machine", STR, "x86_64", NULL},
    {"version_compile_os", STR, "Linux", NULL},
    {"wait_timeout", NUM, "28800", NULL},
};
#define NSYSVARS (sizeof(SYSVARS) / sizeof(SYSVARS[0]))

static const sysvar *find_sysvar(const char *name, size_t len)
{
    for (size_t i = 0; i < NSYSVARS; i++)
        if (strlen(SYSVARS[i].name) == len && strncasecmp(SYSVARS[i].name, name, len) == 0)
            return &SYSVARS[i];
    return NULL;
}

static void sysvar_text(blr_sql_ctx *c, const sysvar *v, bool select, char *out, size_t cap)
{
    if (v->get)
        v->get(c, out, cap);
    else if (v->type == BOOL && select)
        snprintf(out, cap, "%d", strcmp(v->fixed, "ON") == 0);
    else
        snprintf(out, cap, "%s", v->fixed);
}

/* SQL LIKE, case-insensitive, with % _ and backslash escapes. */
bool blr_sql_like(const char *pat, const char *s)
{
    for (; *pat; pat++, s++) {
        if (*pat == '%') {
            while (pat[1] == '%')
                pat++;
            if (!pat[1])
                return true;
            for (; *s; s++)
                if (blr_sql_like(pat + 1, s))
                    return true;
            return false;
        }
        if (*pat == '\\' && pat[1])
            pat++;
        else if (*pat == '_' && *s)
            continue;
        if (!*s || tolower((unsigned char)*pat) != tolower((unsigned char)*s))
            return false;
    }
    return *s == '\0';
}

void blr_sql_show_variables(blr_sql_ctx *c, const char *like, proto_buf *out)
{
    static const proto_column cols[] = {{"Variable_name", STR}, {"Value", STR}};
    char *val = malloc(GTID_POS_TEXT_MAX);
    if (!val) {
        blr_sql_error(out, ER_OUT_OF_RESOURCES, "HY000", "Out of memory");
        return;
    }
    uint8_t seq = blr_sql_rs_begin(c, out, cols, 2);
    for (size_t i = 0; i < NSYSVARS; i++) {
        if (like && !blr_sql_like(like, SYSVARS[i].name))
            continue;
        sysvar_text(c, &SYSVARS[i], false, val, GTID_POS_TEXT_MAX);
        const char *row[2] = {SYSVARS[i].name, val};
        seq = proto_rs_row(out, seq, row, 2);
    }
    blr_sql_rs_end(c, out, seq);
    free(val);
}

/* ---- user variables ------------------------------------------------------- */

static bool user_var(blr_sql_ctx *c, const char *name, size_t len, char *out, size_t cap,
                     uint8_t *type)
{
    const blr_vars *v = c->vars;
#define IS(s) (len == strlen(s) && strncasecmp(name, s, len) == 0)
    *type = NUM;
    if (IS("master_binlog_checksum") && v->checksum != BLR_CHECKSUM_UNSET) {
        *type = STR;
        snprintf(out, cap, "%s", v->checksum == BLR_CHECKSUM_CRC32 ? "CRC32" : "NONE");
    } else if (IS("master_heartbeat_period")) {
        snprintf(out, cap, "%llu", (unsigned long long)v->heartbeat_ns);
    } else if (IS("mariadb_slave_capability") && v->capability) {
        snprintf(out, cap, "%d", v->capability);
    } else if (IS("slave_connect_state") && v->has_connect_state) {
        *type = STR;
        gtid_pos_format(&v->connect_state, out, cap);
    } else if (IS("slave_gtid_strict_mode")) {
        snprintf(out, cap, "%d", v->gtid_strict_mode);
    } else if (IS("slave_gtid_ignore_duplicates")) {
        snprintf(out, cap, "%d", v->gtid_ignore_dups);
    } else {
        *type = STR;
        return false; /* never set: NULL, as in MariaDB */
    }
#undef IS
    return true;
}

/* ---- functions ------------------------------------------------------------ */

/* 1: a value, 0: NULL, -1: not a function the relay knows. */
static int function(blr_sql_ctx *c, const char *name, size_t len, char *out, size_t cap,
                    uint8_t *type)
{
#define IS(s) (len == strlen(s) && strncasecmp(name, s, len) == 0)
    *type = STR;
    if (IS("UNIX_TIMESTAMP")) {
        *type = NUM;
        snprintf(out, cap, "%lld", (long long)time(NULL));
    } else if (IS("VERSION")) {
        get_version(c, out, cap);
    } else if (IS("USER") || IS("CURRENT_USER") || IS("SESSION_USER") || IS("SYSTEM_USER")) {
        snprintf(out, cap, "%s@%s", c->user ? c->user : "", c->client_ip ? c->client_ip : "");
    } else if (IS("CONNECTION_ID")) {
        *type = NUM;
        snprintf(out, cap, "%llu", (unsigned long long)c->conn_id);
    } else if (IS("LAST_INSERT_ID") || IS("ROW_COUNT") || IS("FOUND_ROWS")) {
        *type = NUM;
        snprintf(out, cap, "0");
    } else if (IS("NOW") || IS("CURRENT_TIMESTAMP") || IS("SYSDATE")) {
        time_t t = time(NULL);
        struct tm tm;
        localtime_r(&t, &tm);
        strftime(out, cap, "%Y-%m-%d %H:%M:%S", &tm);
    } else if (IS("DATABASE") || IS("SCHEMA")) {
        return 0; /* no default database */
    } else {
        return -1;
    }
#undef IS
    return 1;
}

/* ---- one item of a SELECT list -------------------------------------------- */

static bool is_word(char ch)
{
    return isalnum((unsigned char)ch) || ch == '_' || ch == '$';
}

static size_t word_len(const char *s, size_t n)
{
    size_t i = 0;
    while (i < n && is_word(s[i]))
        i++;
    return i;
}

static bool is_number(const char *s, size_t n)
{
    size_t i = (n > 0 && (s[0] == '-' || s[0] == '+')) ? 1 : 0;
    if (i == n)
        return false;
    for (; i < n; i++)
        if (!isdigit((unsigned char)s[i]))
            return false;
    return true;
}

/* @@[global.|session.|local.]name */
static int eval_sysvar(blr_sql_ctx *c, const char *s, size_t n, blr_sql_value *v)
{
    s += 2;
    n -= 2;
    static const char *const scopes[] = {"global.", "session.", "local."};
    for (size_t i = 0; i < 3; i++) {
        size_t l = strlen(scopes[i]);
        if (n > l && strncasecmp(s, scopes[i], l) == 0) {
            s += l;
            n -= l;
            break;
        }
    }
    const sysvar *var = word_len(s, n) == n ? find_sysvar(s, n) : NULL;
    if (!var) {
        snprintf(v->text, v->cap, "Unknown system variable '%.*s'", (int)n, s);
        return BLR_EVAL_UNKNOWN_VAR;
    }
    v->type = var->type == BOOL ? NUM : var->type;
    sysvar_text(c, var, true, v->text, v->cap);
    return BLR_EVAL_OK;
}

/* name() with no arguments */
static int eval_function(blr_sql_ctx *c, const char *s, size_t n, blr_sql_value *v)
{
    size_t w = word_len(s, n), i = w;
    while (i < n && s[i] == ' ')
        i++;
    if (w == 0 || i >= n || s[i] != '(')
        return BLR_EVAL_UNSUPPORTED;
    for (i++; i < n && s[i] == ' '; i++)
        ;
    if (i + 1 != n || s[i] != ')')
        return BLR_EVAL_UNSUPPORTED;
    int r = function(c, s, w, v->text, v->cap, &v->type);
    if (r < 0)
        return BLR_EVAL_UNSUPPORTED;
    v->is_null = r == 0;
    return BLR_EVAL_OK;
}

int blr_sql_eval(blr_sql_ctx *c, const char *s, size_t n, blr_sql_value *v)
{
    v->is_null = false;
    v->type = STR;
    v->text[0] = '\0';
    if (n > 2 && s[0] == '@' && s[1] == '@')
        return eval_sysvar(c, s, n, v);
    if (n > 1 && s[0] == '@' && word_len(s + 1, n - 1) == n - 1) {
        v->is_null = !user_var(c, s + 1, n - 1, v->text, v->cap, &v->type);
        return BLR_EVAL_OK;
    }
    if (is_number(s, n)) {
        v->type = NUM;
        snprintf(v->text, v->cap, "%.*s", (int)n, s);
        return BLR_EVAL_OK;
    }
    if (n >= 2 && (s[0] == '\'' || s[0] == '"') && s[n - 1] == s[0] &&
        !memchr(s + 1, s[0], n - 2)) {
        snprintf(v->text, v->cap, "%.*s", (int)n - 2, s + 1);
        return BLR_EVAL_OK;
    }
    if (n == 4 && strncasecmp(s, "NULL", 4) == 0) {
        v->is_null = true;
        return BLR_EVAL_OK;
    }
    return eval_function(c, s, n, v);
}
