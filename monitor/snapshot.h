/*
 * snapshot.h: the published view of a cluster. A monitor builds a new
 * snapshot after every tick and hands it to every worker; a snapshot is never
 * changed after that, so workers and the admin socket read it without locks.
 * Reference counted: the last unref frees it.
 */
#ifndef FERRY_MONITOR_SNAPSHOT_H
#define FERRY_MONITOR_SNAPSHOT_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct ferry_server;

/* Server state bits. */
#define SRV_RUNNING    (1u << 0) /* reachable, monitor user logged in */
#define SRV_MASTER     (1u << 1)
#define SRV_SLAVE      (1u << 2)
#define SRV_SYNCED     (1u << 3) /* Galera: usable member of the primary component */
#define SRV_DONOR      (1u << 4)
#define SRV_JOINING    (1u << 5) /* Galera: joining or joined, not yet synced */
#define SRV_MAINT      (1u << 6) /* set by an operator */
#define SRV_DRAINING   (1u << 7) /* set by an operator: no new sessions */
#define SRV_AUTH_ERROR (1u << 8) /* the monitor user cannot log in (wrong password, no grant) */

#define SNAP_GTID_MAX 1024

typedef struct snap_server {
    struct ferry_server *srv;
    uint32_t state;
    uint32_t server_id;
    bool read_only;
    char version[64];
    char gtid_current_pos[SNAP_GTID_MAX];
    char gtid_binlog_pos[SNAP_GTID_MAX];
    int priority;            /* election priority in force (config, or changed at runtime) */
    uint32_t gtid_domain_id; /* @@gtid_domain_id */
    /* Galera (galeramon only) */
    bool wsrep; /* the server reports wsrep status (a Galera node) */
    int wsrep_local_state;
    char wsrep_state_comment[32];
    char cluster_status[16]; /* Primary, non-Primary, Disconnected */
    char cluster_uuid[40];
    int cluster_size;
    int local_index;
    bool desync;    /* @@wsrep_desync */
    bool ready;     /* wsrep_ready */
    int recv_queue; /* wsrep_local_recv_queue */
    uint32_t wsrep_gtid_domain_id;
    char inbound[192]; /* the inbound cross-DC channel on this server ("" when absent) */
    /* Replication (mariadbmon): the monitored server this one replicates from, or -1. */
    int replicates_from;
    char last_error[256]; /* why the server is Down, or "" */
} snap_server;

typedef struct cluster_snapshot {
    atomic_int refs;
    uint64_t seq;     /* increases with every tick */
    int64_t taken_ms; /* CLOCK_REALTIME, milliseconds */
    int monitor_index;
    const char *monitor;
    int master;              /* index into servers, or -1 */
    int64_t tick_us;         /* how long the tick that built it took */
    uint64_t master_changes; /* times the master changed since ferryd started */
    size_t nservers;
    snap_server servers[];
} cluster_snapshot;

cluster_snapshot *snapshot_new(size_t nservers);
cluster_snapshot *snapshot_ref(cluster_snapshot *s);
void snapshot_unref(cluster_snapshot *s);
/* The entry for srv, or NULL if the monitor does not watch it. */
const snap_server *snapshot_find(const cluster_snapshot *s, const struct ferry_server *srv);
/* "Master, Running" style text for logs and the admin socket. */
void snapshot_state_text(uint32_t state, char *out, size_t outlen);
/* The names of the state bits, one at a time: i = 0, 1, ... until NULL. Skips
 * bits not in state; "Down" comes last when SRV_RUNNING is not set. */
const char *snapshot_state_name(uint32_t state, size_t *i);
/* The server whose cluster facts (uuid, size) speak for the cluster: the
 * master, else the first Synced server, else NULL. */
const snap_server *snapshot_cluster_ref(const cluster_snapshot *s);
/* The snapshot as a JSON object (malloc'ed text; NULL when out of memory):
 * monitor, seq, master, cluster uuid and size, and per server its states as
 * an array of names, priority, GTID positions and Galera facts. For the
 * admin socket and ferryd's debug log. */
char *snapshot_to_json(const cluster_snapshot *s);

#endif
