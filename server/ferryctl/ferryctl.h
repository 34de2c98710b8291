/*
 * ferryctl.h: what ferryctl's files share: the options of one run, the
 * command table (ferryctl.c dispatches, commands.c runs) and the rendering
 * of the API's JSON as text (render.c).
 */
#ifndef FERRYCTL_FERRYCTL_H
#define FERRYCTL_FERRYCTL_H

#include <jansson.h>
#include <stdbool.h>
#include <stdio.h>

#include "conn.h"

#define EXIT_FAIL  1 /* the API said no, or ferryd is not reachable */
#define EXIT_USAGE 2

typedef struct ctl {
    admin_target target;  /* -S, FERRY_SOCKET, or the default; or --host/--port */
    const char *key_file; /* -k, for keygen and encrypt */
    const char *owner;    /* --owner, for keygen */
    bool json;
} ctl;

typedef struct command {
    const char *verb, *noun; /* "list", "servers"; noun NULL for one-word commands */
    int min_args, max_args;  /* after the words */
    const char *args;        /* "NAME maintenance|drain", for usage */
    const char *help;
    int (*run)(const ctl *c, char **argv, const void *data);
    const void *data;
} command;

extern const command COMMANDS[];

/* One column of a list: title and the key of each object (or a formatter). */
typedef struct column {
    const char *title;
    const char *key;
    const char *(*format)(json_t *row, char *buf, size_t len); /* NULL: the key's value */
    bool optional; /* shown only when some row has the key */
} column;

typedef struct list_view {
    const char *path; /* "/v1/servers" */
    const column *cols;
} list_view;

/* ---- commands.c ---- */
int cmd_list(const ctl *c, char **argv, const void *data);
int cmd_show(const ctl *c, char **argv, const void *data);
int cmd_set(const ctl *c, char **argv, const void *data);
int cmd_clear(const ctl *c, char **argv, const void *data);
int cmd_alter(const ctl *c, char **argv, const void *data);
int cmd_switchover(const ctl *c, char **argv, const void *data);
int cmd_binlog_status(const ctl *c, char **argv, const void *data);
int cmd_kill(const ctl *c, char **argv, const void *data);
int cmd_reload(const ctl *c, char **argv, const void *data);
int cmd_rotate(const ctl *c, char **argv, const void *data);
int cmd_metrics(const ctl *c, char **argv, const void *data);
int cmd_keygen(const ctl *c, char **argv, const void *data);
int cmd_encrypt(const ctl *c, char **argv, const void *data);
int cmd_hash_password(const ctl *c, char **argv, const void *data);

/* ---- render.c ---- */
/* A JSON value as table text: arrays joined with ", ", objects as "key: value" lines. */
char *render_value(json_t *v);
/* Prints an array of objects as a table of the view's columns. */
void render_list(json_t *rows, const column *cols, FILE *out);
/* The columns of binlog status's files and replicas tables. */
extern const column BINLOG_FILE_COLS[], BINLOG_REPLICA_COLS[];
/* Prints one object as a two-column table (Field, Value), skipping keys in skip. */
void render_object(json_t *obj, const char *const *skip, FILE *out);
/* Formatters for columns. */
const char *fmt_client(json_t *row, char *buf, size_t len);
const char *fmt_age(json_t *row, char *buf, size_t len);

#endif
