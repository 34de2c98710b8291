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

#include "protocol/packet.h"
#include "protocol/resultset.h"
#include "router/blr_reader.h"
#include "server/log.h"
#include "server/service.h"

#define NUM        PROTO_TYPE_LONGLONG
#define STR        PROTO_TYPE_VAR_STRING
#define MAX_CAPS   BLR_SQL_MAX_CAPS
#define MAX_ITEMS  64
#define QUOTED     "['\"]([^'\"]*)['\"]"
#define ER_SYNTAX  "42000"
#define ER_GENERAL "HY000"

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

void blr_sql_ok(proto_buf *out)
{
    proto_ok_packet(out, 1, BLR_STATUS);
}

static bool deprecate_eof(const blr_sql_ctx *c)
{
    return (c->caps & CLIENT_DEPRECATE_EOF) != 0;
}

/* Re-frames a definition packet with the (empty) extended metadata after the column's name. */
static void put_extended_coldef(proto_buf *out, uint8_t seq, const uint8_t *p, size_t len)
{
    proto_rd r = proto_rd_init(p, len);
    size_t n;
    for (int i = 0; i < 6; i++) /* catalog, schema, table, org_table, name, org_name */
        proto_get_lenenc_str(&r, &n);
    size_t at = r.bad ? len : r.pos, off = proto_pkt_begin(out);
    proto_put_bytes(out, p, at);
    proto_put_u8(out, 0); /* no extended type info */
    proto_put_bytes(out, p + at, len - at);
    proto_pkt_end(out, off, seq);
}

uint8_t blr_sql_rs_begin(blr_sql_ctx *c, proto_buf *out, const proto_column *cols, size_t n)
{
    bool cache = c->caps & MARIADB_CLIENT_CACHE_METADATA;
    bool ext = c->caps & MARIADB_CLIENT_EXTENDED_METADATA;
    if (!cache && !ext)
        return proto_rs_begin(out, 1, cols, n, deprecate_eof(c));
    proto_buf b;
    proto_buf_init(&b);
    proto_rs_begin(&b, 1, cols, n, true);
    uint8_t seq = 1;
    for (size_t at = 0, wire, len; at < b.len; at += wire, seq++) {
        uint8_t first;
        proto_logical_peek(b.data + at, b.len - at, &wire, &len, &first);
        const uint8_t *p = b.data + at + PROTO_HEADER_LEN;
        size_t off = proto_pkt_begin(out);
        if (seq > 1 && ext) {
            out->len = off;
            put_extended_coldef(out, seq, p, len);
            continue;
        }
        proto_put_bytes(out, p, len);
        if (seq == 1 && cache)
            proto_put_u8(out, 1); /* metadata follows */
        proto_pkt_end(out, off, seq);
    }
    proto_buf_free(&b);
    if (!deprecate_eof(c)) {
        size_t off = proto_pkt_begin(out);
        proto_eof_write(out, 0, 0);
        proto_pkt_end(out, off, seq++);
    }
    return seq;
}

void blr_sql_rs_end(blr_sql_ctx *c, proto_buf *out, uint8_t seq)
{
    proto_rs_end(out, seq, BLR_STATUS, deprecate_eof(c));
}

void blr_sql_result(blr_sql_ctx *c, proto_buf *out, const proto_column *cols, size_t ncols,
                    const char *const *vals, size_t nrows)
{
    uint8_t seq = blr_sql_rs_begin(c, out, cols, ncols);
    for (size_t r = 0; r < nrows; r++)
        seq = proto_rs_row(out, seq, vals + r * ncols, ncols);
    blr_sql_rs_end(c, out, seq);
}

/* ---- a replica's user variables ----------------------------------------------- */

static uint64_t cap_u64(const sql_args *a, int i)
{
    return strtoull(a->cap[i], NULL, 10);
}

static void set_heartbeat(blr_sql_ctx *c, sql_args *a, proto_buf *out)
{
    c->vars->heartbeat_ns = cap_u64(a, 0);
    blr_sql_ok(out);
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
    blr_sql_ok(out);
}

static void set_capability(blr_sql_ctx *c, sql_args *a, proto_buf *out)
{
    c->vars->capability = (int)cap_u64(a, 0);
    blr_sql_ok(out);
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
    blr_sql_ok(out);
}

static void set_strict(blr_sql_ctx *c, sql_args *a, proto_buf *out)
{
    c->vars->gtid_strict_mode = (int)cap_u64(a, 0);
    blr_sql_ok(out);
}

static void set_ignore_dups(blr_sql_ctx *c, sql_args *a, proto_buf *out)
{
    c->vars->gtid_ignore_dups = (int)cap_u64(a, 0);
    blr_sql_ok(out);
}

static void show_variables(blr_sql_ctx *c, sql_args *a, proto_buf *out)
{
    blr_sql_show_variables(c, a->cap[0], out);
}

static void empty_warnings(blr_sql_ctx *c, sql_args *a, proto_buf *out)
{
    static const proto_column cols[] = {{"Level", STR}, {"Code", NUM}, {"Message", STR}};
    blr_sql_result(c, out, cols, 3, NULL, 0);
}

static void empty_status(blr_sql_ctx *c, sql_args *a, proto_buf *out)
{
    static const proto_column cols[] = {{"Variable_name", STR}, {"Value", STR}};
    blr_sql_result(c, out, cols, 2, NULL, 0);
}

static void show_databases(blr_sql_ctx *c, sql_args *a, proto_buf *out)
{
    static const proto_column cols[] = {{"Database", STR}};
    const char *row[] = {"information_schema"};
    blr_sql_result(c, out, cols, 1, row, 1);
}

static void say_ok(blr_sql_ctx *c, sql_args *a, proto_buf *out)
{
    blr_sql_ok(out);
}

static void unsupported(blr_sql_ctx *c, sql_args *a, proto_buf *out)
{
    blr_sql_error(out, ER_NOT_SUPPORTED_YET, ER_SYNTAX,
                  "Ferry's binlog relay does not support this statement: %s", a->head);
}

/* ---- SELECT <items> -------------------------------------------------------------- */

/* Splits at top-level commas (outside quotes and parentheses); NULs at the
 * commas. Returns the number of items, 0 when a quote or a parenthesis is
 * left open (or closed before it opened), max + 1 when there are too many. */
static size_t split_items(char *s, size_t n, char **items, size_t *lens, size_t max)
{
    size_t count = 0, start = 0;
    int depth = 0;
    char quote = 0;
    for (size_t i = 0; i <= n; i++) {
        if (i == n && (quote || depth != 0))
            return 0;
        char ch = i < n ? s[i] : ',';
        if (quote) {
            quote = ch == quote ? 0 : quote;
            continue;
        }
        if (ch == '\'' || ch == '"' || ch == '`')
            quote = ch;
        else if (ch == '(')
            depth++;
        else if (ch == ')' && --depth < 0)
            return 0;
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
    char *texts = n && n <= MAX_ITEMS ? malloc(n * GTID_POS_TEXT_MAX) : NULL;
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
    blr_sql_result(c, out, cols, n, vals, 1);
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
    {"^SET\\s+(?:GLOBAL\\s+|@@GLOBAL\\.)gtid_slave_pos\\s*=\\s*" QUOTED "$",
     blr_sql_set_gtid_slave_pos},
    {"^SET\\s+(?:GLOBAL\\s|@@GLOBAL\\.).*$", unsupported},
    {"^SET\\s.*$", say_ok},
    {"^SHOW\\s+(?:GLOBAL\\s+|SESSION\\s+|LOCAL\\s+)?VARIABLES(?:\\s+LIKE\\s+" QUOTED ")?$",
     show_variables},
    {"^SHOW\\s+(?:GLOBAL\\s+|SESSION\\s+|LOCAL\\s+)?STATUS(?:\\s+LIKE\\s+" QUOTED ")?$",
     empty_status},
    {"^SHOW\\s+(?:MASTER|BINLOG)\\s+STATUS$", blr_sql_show_master_status},
    {"^SHOW\\s+(?:BINARY|MASTER)\\s+LOGS$", blr_sql_show_binary_logs},
    {"^SHOW\\s+(ALL\\s+)?(?:SLAVE|REPLICA)S?\\s+(?:'[^']*'\\s+)?STATUS$",
     blr_sql_show_slave_status},
    {"^SHOW\\s+(?:SLAVE|REPLICA)\\s+HOSTS$", blr_sql_show_slave_hosts},
    {"^SHOW\\s+(?:WARNINGS|ERRORS)(?:\\s+LIMIT\\s.*)?$", empty_warnings},
    {"^SHOW\\s+DATABASES$", show_databases},
    {"^PURGE\\s+(?:BINARY|MASTER)\\s+LOGS\\s+TO\\s+" QUOTED "$", blr_sql_purge_to},
    {"^(STOP|START)\\s+(?:SLAVE|REPLICA)(?:\\s+(?:IO_THREAD|SQL_THREAD)"
     "(?:\\s*,\\s*(?:IO_THREAD|SQL_THREAD))?)?$",
     blr_sql_stop_start},
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
