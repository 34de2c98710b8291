/*
 * blr_sql_int.h: what blr_sql.c (statements) and blr_sql_vars.c (variables,
 * functions) share. Not for other files: they use blr_sql.h.
 */
#ifndef FERRY_ROUTER_BLR_SQL_INT_H
#define FERRY_ROUTER_BLR_SQL_INT_H

#include "protocol/handshake.h"
#include "protocol/response.h"
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
/* An ERR packet with sequence 1. */
void blr_sql_error(proto_buf *out, uint16_t code, const char *state, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

#endif
