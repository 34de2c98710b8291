/*
 * blr_sql_int.h: what blr_sql.c (statements) and blr_sql_vars.c (variables,
 * functions) share. Not for other files: they use blr_sql.h.
 */
#ifndef FERRY_ROUTER_BLR_SQL_INT_H
#define FERRY_ROUTER_BLR_SQL_INT_H

#include "protocol/handshake.h"
#include "protocol/response.h"
#include "protocol/resultset.h"
#include "router/blr_sql.h"

#define BLR_STATUS SERVER_STATUS_AUTOCOMMIT

/* MariaDB error numbers the relay's SQL answers use beyond protocol/response.h. */
#define ER_OUT_OF_RESOURCES        1041
#define ER_EMPTY_QUERY             1065
#define ER_UNKNOWN_SYSTEM_VARIABLE 1193
#define ER_WRONG_VALUE_FOR_VAR     1231
#define ER_UNKNOWN_TARGET_BINLOG   1373
#define ER_LOG_IN_USE              1378

enum { BLR_EVAL_OK, BLR_EVAL_UNKNOWN_VAR, BLR_EVAL_UNSUPPORTED };

typedef struct blr_sql_value {
    bool is_null;
    uint8_t type; /* PROTO_TYPE_* */
    char *text;   /* the value, or the error message */
    size_t cap;
} blr_sql_value;

/* Evaluates one SELECT item: @@var, @var, a literal or a known function(). */
int blr_sql_eval(blr_sql_ctx *c, const char *s, size_t n, blr_sql_value *v);
/* SQL LIKE (case-insensitive, % _ and backslash escapes). */
bool blr_sql_like(const char *pat, const char *s);
/* SHOW VARIABLES [LIKE pat] (like NULL: all). */
void blr_sql_show_variables(blr_sql_ctx *c, const char *like, proto_buf *out);
/* Column count and definitions of a result set (sequence from 1), in the form the
 * client's capabilities ask for; returns the next sequence number. */
uint8_t blr_sql_rs_begin(blr_sql_ctx *c, proto_buf *out, const proto_column *cols, size_t n);
/* The final EOF (or OK with DEPRECATE_EOF). */
void blr_sql_rs_end(blr_sql_ctx *c, proto_buf *out, uint8_t seq);
/* An ERR packet with sequence 1. */
void blr_sql_error(proto_buf *out, uint16_t code, const char *state, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

#define BLR_SQL_MAX_CAPS 4

typedef struct sql_args {
    char head[84]; /* the statement's start, for error messages */
    char *q;       /* the normalized statement (writable) */
    size_t len;
    char *cap[BLR_SQL_MAX_CAPS]; /* captures, NUL-terminated in place; NULL if unset */
    size_t cap_len[BLR_SQL_MAX_CAPS];
} sql_args;

typedef void (*sql_fn)(blr_sql_ctx *c, sql_args *a, proto_buf *out);

/* An OK packet with sequence 1. */
void blr_sql_ok(proto_buf *out);
/* A whole result set from rows of C strings (NULL: SQL NULL). */
void blr_sql_result(blr_sql_ctx *c, proto_buf *out, const proto_column *cols, size_t ncols,
                    const char *const *vals, size_t nrows);

/* Operator statements (blr_sql_admin.c). */
void blr_sql_set_gtid_slave_pos(blr_sql_ctx *c, sql_args *a, proto_buf *out);
void blr_sql_stop_start(blr_sql_ctx *c, sql_args *a, proto_buf *out);
void blr_sql_purge_to(blr_sql_ctx *c, sql_args *a, proto_buf *out);
void blr_sql_show_master_status(blr_sql_ctx *c, sql_args *a, proto_buf *out);
void blr_sql_show_binary_logs(blr_sql_ctx *c, sql_args *a, proto_buf *out);
void blr_sql_show_slave_hosts(blr_sql_ctx *c, sql_args *a, proto_buf *out);
void blr_sql_show_slave_status(blr_sql_ctx *c, sql_args *a, proto_buf *out);

#endif
