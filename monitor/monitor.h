/*
 * monitor.h: the monitor framework. Each configured monitor runs on its own
 * thread: every interval_ms it lets its module (mariadbmon, galeramon) poll
 * the servers over libmariadb with connect/read/write timeouts, then
 * publishes a new cluster_snapshot to every worker. Workers read their own
 * copy with monitor_view(), without locks. Publishing also derives events
 * and runs the event script (events.h, script.h) and saves the journal
 * (journal.h), for every module.
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
    int priority;        /* election priority: the config's, or set at runtime */
} mon_server;

struct script_runner;

typedef struct monitor {
    int index;
    const char *name;
    const cfg_object *cfg;
    const monitor_ops *ops;
    void *data; /* the module's */
    size_t nservers;
    mon_server *servers;
    pthread_t thread;
    pthread_mutex_t lock; /* guards latest, admin_bits, priority, preferred and stop */
    pthread_cond_t wake;
    bool stop;
    bool kick;     /* tick now instead of at the end of the interval (operator change) */
    int preferred; /* switchover target (server index) or -1 */
    char switchover_error[512];
    int64_t tick_started_us;  /* CLOCK_MONOTONIC at the start of the current tick */
    uint64_t master_changes;  /* monitor thread only */
    cluster_snapshot *latest; /* last published, for the admin socket */
    uint64_t seq;
    /* journal (journal.h) */
    char *journal_path; /* NULL: no journal */
    char *journal_text; /* last saved */
    uint32_t *restored; /* the journal's states for the first publish's events, then NULL */
    int journal_master; /* the journal's master at start, or -1 */
    /* events and the script (events.h, script.h) */
    uint32_t event_mask;
    char **script_argv; /* the split `script`, or NULL */
    struct script_runner *scripts;
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
/* Runs a statement that returns no rows (any result is discarded). 0, or -1
 * with the error in ms->cur.last_error, prefixed with label (or with the SQL
 * when label is NULL: give a label when the SQL holds a password). A client
 * error closes the connection. */
int monitor_exec(monitor *m, mon_server *ms, const char *sql, const char *label);
/* Runs a query expected to return one row; copies up to n columns as strings
 * into out[i] (each outlen bytes; NULL -> ""). Returns 0 or -1 (error in ms->cur). */
int monitor_query_row(monitor *m, mon_server *ms, const char *sql, char out[][SNAP_GTID_MAX],
                      size_t n);
/* For modules: the index of a result column by name (case-insensitive), or -1;
 * and a row's value in a column ("" for NULL or col -1). */
int monitor_column(MYSQL_RES *res, const char *name);
const char *monitor_field(char **row, int col);
/* For modules, after a query that failed on a live connection (a server
 * error, say a missing privilege): logs ms->cur.last_error as a warning
 * ("what: error") when it differs from last (lastlen bytes, remembered
 * across ticks), then clears it so the server stays Running. */
void monitor_note_error(monitor *m, mon_server *ms, char *last, size_t lastlen, const char *what);
/* Builds a snapshot from the servers' cur states (plus admin bits) and hands it
 * to every worker. master is an index or -1. */
void monitor_publish(monitor *m, int master);

/* For modules: the operator-set bits and priorities of every server, copied
 * under the lock (arrays of m->nservers). */
void monitor_admin_state(monitor *m, uint32_t *admin_bits, int *priority);

/* Operator controls (from the admin socket). Each returns 0, or -1 when the
 * monitor has no such server (or the bits are not SRV_MAINT / SRV_DRAINING),
 * and makes the monitor tick at once. */
/* Sets or clears SRV_MAINT / SRV_DRAINING. */
int monitor_set_admin_bits(monitor *m, const char *server, uint32_t bits, bool on);
/* Changes a server's election priority (see galeramon's use_priority). */
int monitor_set_priority(monitor *m, const char *server, int priority);
/* Switchover: the module makes server the master at its next tick
 * (galeramon: while it stays usable; mariadbmon: by re-pointing the
 * replication). 0; -1 when the monitor has no such server; -2 when the
 * module has no switchover (monitor_ops.switchover). */
int monitor_switchover(monitor *m, const char *server);
/* For modules: the switchover target's index, or -1. */
int monitor_preferred(monitor *m);
/* For modules: the switchover to idx is over: done (failure NULL), or it
 * failed or stopped holding (logged, and kept for monitor_switchover_error). */
void monitor_end_switchover(monitor *m, int idx, const char *failure);
/* Why the last switchover ended without its target as master ("" if it did not). */
void monitor_switchover_error(monitor *m, char *out, size_t outlen);
/* The latest snapshot as JSON (snapshot_to_json; malloc'ed), or NULL before
 * the first tick or when out of memory. */
char *monitor_json(monitor *m);

#endif
