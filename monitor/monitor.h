/*
 * monitor.h: the monitor framework. Each configured monitor runs on its own
 * thread: every interval_ms it lets its module (mariadbmon, galeramon) poll
 * the servers over libmariadb with connect/read/write timeouts, then
 * publishes a new cluster_snapshot to every worker. Workers read their own
 * copy with monitor_view(), without locks.
 */
#ifndef FERRY_MONITOR_MONITOR_H
#define FERRY_MONITOR_MONITOR_H

#include <pthread.h>
#include <stdbool.h>

#include "monitor/snapshot.h"
#include "server/config.h"
#include "server/registry.h"
#include "server/srv.h"

#define MONITOR_MAX 32

/* libmariadb's handles, declared here rather than by including <mysql.h>,
 * whose CLIENT_* and SERVER_* macros clash with protocol/'s: routers include
 * this header next to server/session.h. Only the files that talk SQL
 * (monitor_sql.c, the modules) include <mysql.h>. */
typedef struct st_mysql MYSQL;
typedef struct st_mysql_res MYSQL_RES;

/* One server as a monitor sees it: its connection and the state being built. */
typedef struct mon_server {
    ferry_server *srv;
    MYSQL *conn;         /* NULL when not connected */
    snap_server cur;     /* filled by the module's tick */
    uint32_t admin_bits; /* SRV_MAINT / SRV_DRAINING set by operators */
} mon_server;

typedef struct monitor {
    int index;
    const char *name;
    const cfg_object *cfg;
    const monitor_ops *ops;
    void *data; /* the module's */
    size_t nservers;
    mon_server *servers;
    pthread_t thread;
    pthread_mutex_t lock; /* guards latest, admin_bits and the stop flag */
    pthread_cond_t wake;
    bool stop;
    bool kick;                /* tick now instead of at the end of the interval (operator change) */
    cluster_snapshot *latest; /* last published, for the admin socket */
    uint64_t seq;
} monitor;

/* Creates every configured monitor and runs each one's first tick, so routers
 * have a view before the first client arrives. 0 or -1 with err. */
int monitors_init(const ferry_config *cfg, char *err, size_t errlen);
/* Starts the monitor threads (after workers are running). */
int monitors_start(void);
void monitors_stop(void);
size_t monitors_count(void);
monitor *monitor_at(size_t i);
monitor *monitor_find(const char *name);

/* The calling worker's current view of monitor index i (NULL before the first tick). */
const cluster_snapshot *monitor_view(int index);
/* The latest snapshot, referenced (caller unrefs); any thread. */
cluster_snapshot *monitor_latest(monitor *m);

/* For modules: polls every server at once, each on its own short-lived thread,
 * so a hung node delays the tick by at most the libmariadb timeouts, not once
 * per node. Resets each ms->cur (srv set, replicates_from -1) before calling
 * poll(m, ms); returns when every poll has returned. A poll touches only its
 * own ms (and the module's per-server data). */
typedef void (*monitor_poll_fn)(monitor *m, mon_server *ms);
void monitor_poll_all(monitor *m, monitor_poll_fn poll);

/* For modules: connects (or reuses) ms->conn with the monitor's timeouts and
 * credentials. Returns NULL and fills ms->cur.last_error on failure. */
MYSQL *monitor_connect(monitor *m, mon_server *ms);
/* Closes ms->conn if open. */
void monitor_disconnect(mon_server *ms);
/* Runs a query and returns its stored result (caller mysql_free_result), or
 * NULL with the error in ms->cur.last_error. On a client/connection error the
 * connection is closed, so the next tick reconnects. */
MYSQL_RES *monitor_query(monitor *m, mon_server *ms, const char *sql);
/* Runs a query expected to return one row; copies up to n columns as strings
 * into out[i] (each outlen bytes; NULL -> ""). Returns 0 or -1 (error in ms->cur). */
int monitor_query_row(monitor *m, mon_server *ms, const char *sql, char out[][SNAP_GTID_MAX],
                      size_t n);
/* Builds a snapshot from the servers' cur states (plus admin bits) and hands it
 * to every worker. master is an index or -1. */
void monitor_publish(monitor *m, int master);

/* Operator controls (from the admin socket): set or clear SRV_MAINT / SRV_DRAINING. */
int monitor_set_admin_bits(monitor *m, const char *server, uint32_t bits, bool on);

#endif
