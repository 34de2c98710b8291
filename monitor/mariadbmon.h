/*
 * mariadbmon.h: the mariadbmon module (plain MariaDB replication). Exposes
 * its ops table for server/modules.c and its pure verdict function, which
 * turns the polled facts of every server into roles, for the unit tests.
 */
#ifndef FERRY_MONITOR_MARIADBMON_H
#define FERRY_MONITOR_MARIADBMON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "server/registry.h"

#define MDB_REPL_MAX 16 /* replication connections looked at per server */

typedef enum mdb_io {
    MDB_IO_NO,         /* "No" (or anything unknown) */
    MDB_IO_CONNECTING, /* "Connecting", "Preparing" */
    MDB_IO_YES,
} mdb_io;

/* One row of SHOW ALL SLAVES STATUS. */
typedef struct mdb_repl {
    char name[64]; /* Connection_name ("" for the default connection) */
    char master_host[256];
    int master_port;
    mdb_io io;
    bool sql_running;
} mdb_repl;

/* What one poll learnt about one server. */
typedef struct mdb_facts {
    const char *address; /* the server's configured address and port */
    int port;
    bool running; /* connected and answered */
    bool read_only;
    size_t nrepl;
    mdb_repl repl[MDB_REPL_MAX];
} mdb_facts;

typedef struct mdb_verdict {
    int master;    /* index or -1 */
    int nwritable; /* running, writable, not replicating from a monitored server */
} mdb_verdict;

/*
 * Decides the roles. A server is Slave when it is running and one of its
 * replication connections points (host:port) at another monitored server
 * with the SQL thread running and the IO thread running (or reconnecting
 * while that server is down); replicates_from[i] is that server, else -1.
 * Master candidates are running, writable and replicate from no monitored
 * server; among several the one others replicate from wins, then
 * current_master, then config order. roles[i] gets SRV_MASTER, SRV_SLAVE or 0.
 */
mdb_verdict mariadbmon_verdict(const mdb_facts *f, size_t n, int current_master, uint32_t *roles,
                               int *replicates_from);

struct monitor;
/* The switchover (mariadbmon_switch.c): makes target, a replica of the
 * master old, the master. 0, or -1 with err (the old master is then
 * writable again). Runs on the monitor's thread with the facts of the poll
 * that just ran. */
int mariadbmon_switchover(struct monitor *m, const mdb_facts *f, const int *replicates_from,
                          int old, int target, char *err, size_t errlen);

extern const monitor_ops MARIADBMON_OPS;

#endif
