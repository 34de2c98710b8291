/*
 * users.h: the backend user accounts a service's clients log in with. A
 * loader thread per service reads mysql.user from the first reachable server
 * of the service's cluster with the service's credentials and publishes an
 * immutable, reference-counted table; sessions look accounts up in it and,
 * when a login fails on a table older than users_refresh_ms, ask for a reload
 * and retry once it arrives.
 */
#ifndef FERRY_SERVER_USERS_H
#define FERRY_SERVER_USERS_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "protocol/auth.h"
#include "server/worker.h"

struct service;
struct ferry_config;

typedef struct user_account {
    char *user;
    char *host; /* as in mysql.user: 'localhost', '%', '10.0.%', '10.0.0.0/255.0.0.0', ... */
    bool has_hash;
    uint8_t hash[PROTO_SHA1_LEN]; /* SHA1(SHA1(password)) */
    bool native;                  /* mysql_native_password (or no plugin with a Password hash) */
    bool repl_slave;              /* has the REPLICATION SLAVE privilege (global) */
} user_account;

typedef struct users_table {
    atomic_int refs;
    int64_t loaded_ms; /* CLOCK_MONOTONIC */
    char version[64];  /* the backend's VERSION(), for Ferry's greeting */
    size_t n;
    user_account *accounts; /* most specific host first */
} users_table;

typedef struct users_cache users_cache;

/* Creates the caches of every service and loads each once (a failure leaves
 * an empty table and is logged). Then starts the loader threads. */
int users_init_all(const struct ferry_config *cfg);
/* Stops the loader threads (sessions may still read the tables)... */
void users_stop_all(void);
/* ...then, once the workers are gone, frees the caches. */
void users_free_all(void);

/* The current table, referenced (never NULL). */
users_table *users_get(users_cache *c);
void users_unref(users_table *t);
/* Asks the loader thread for a reload now (admin reload); returns at once. */
void users_request_reload(users_cache *c);
/* Reloads unless the table is younger than min_age_ms, then runs fn(w, arg) on w
 * (with fn NULL: only asks for the reload, returns at once). */
void users_refresh(users_cache *c, int64_t min_age_ms, worker *w, worker_fn fn, void *arg);

/* Looks up user at client address ip: the first account whose user matches
 * exactly and whose host pattern matches, most specific host first. */
const user_account *users_match(const users_table *t, const char *user, const char *ip);
/* Whether host pattern pat matches client address ip (exposed for tests). */
bool users_host_match(const char *pat, const char *ip);
/* Columns of one mysql.user row, in the order users_table_build takes them. */
enum {
    USERS_COL_USER,
    USERS_COL_HOST,
    USERS_COL_PASSWORD,
    USERS_COL_PLUGIN,
    USERS_COL_AUTH,
    USERS_COL_REPL_SLAVE,
    USERS_NCOLS
};
/* Builds a table from mysql.user rows, sorted by specificity (exposed for tests). */
users_table *users_table_build(char *const (*rows)[USERS_NCOLS], size_t n);

#endif
