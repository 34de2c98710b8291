/*
 * galeramon_int.h: galeramon's module state, shared by galeramon.c (params,
 * polling, the tick) and galeramon_inbound.c (the inbound cross-DC channel).
 * Private to those two files.
 */
#ifndef FERRY_MONITOR_GALERAMON_INT_H
#define FERRY_MONITOR_GALERAMON_INT_H

#include <pthread.h>

#include "monitor/galeramon.h"
#include "monitor/monitor.h"

#define GAL_LOCAL_DOMAINS_MAX 64
#define GAL_ERR_MAX           256

/* inbound_replication = { ... } */
typedef struct gal_inbound {
    const char *name, *host, *user, *password, *use_gtid;
    int port;
} gal_inbound;

/* The inbound channel on one node, as the poll saw it. */
typedef struct gal_seen {
    gal_channel c;
    char io[16], sql[16];    /* Slave_IO_Running, Slave_SQL_Running */
    char error[GAL_ERR_MAX]; /* Last_IO_Error / Last_SQL_Error */
} gal_seen;

/* One node: written by its poll thread, read by the tick afterwards. */
typedef struct gal_node {
    gal_facts f;
    uint32_t gtid_domain_id, wsrep_gtid_domain_id;
    gal_seen in;
    char vars_error[GAL_ERR_MAX];    /* last failure of the variables query, logged once */
    char slaves_error[GAL_ERR_MAX];  /* last failure of SHOW ALL SLAVES STATUS, logged once */
    char action_error[GAL_ERR_MAX];  /* last failure of a channel action, logged once */
    char channel_error[GAL_ERR_MAX]; /* last channel error reported by the server, logged once */
} gal_node;

/* The thread that moves the inbound channel, so that a slow statement (a
 * STOP SLAVE, a causal read on a node that waits for the cluster) never
 * delays the verdicts. It has its own connections and re-reads every node's
 * channel right before acting. */
typedef struct gal_worker {
    pthread_t thread;
    bool started;
    pthread_mutex_t lock;
    pthread_cond_t wake;
    bool stop, pending;
    int master; /* the latest verdict, posted by the tick */
    uint32_t local_domains[GAL_LOCAL_DOMAINS_MAX];
    size_t nlocal;
    mon_server *conns; /* its own connections, one per node */
    gal_node *nodes;   /* what it read, and its once-only log state */
    gal_channel *channels;
    gal_action *actions;
} gal_worker;

typedef struct gal_state {
    gal_policy policy;
    bool has_inbound;
    gal_inbound inbound;
    int master; /* the last verdict */
    gal_node *nodes;
    uint32_t *states;
    uint32_t *admin_bits;
    int *priority;
    gal_worker worker;
    uint32_t local_domains[GAL_LOCAL_DOMAINS_MAX]; /* every domain id a node reported as its own */
    size_t nlocal;
} gal_state;

/* Reads the channel's state on one node into node->in (poll threads, and the worker). */
void galeramon_inbound_poll(monitor *m, mon_server *ms, gal_node *node);
/* Starts the worker (from init). 0, or -1 with err. */
int galeramon_inbound_start(monitor *m, gal_state *st, char *err, size_t errlen);
/* After the verdict was published: hands the master to the worker, which makes
 * the channel run there only. Never waits for the worker. */
void galeramon_inbound_post(monitor *m, gal_state *st);
/* Stops the worker (waits for its current statement) and closes its connections. */
void galeramon_inbound_stop(monitor *m, gal_state *st);
/* The channel's one-line description for the snapshot ("" when absent). */
void galeramon_inbound_text(const gal_state *st, const gal_node *node, char *out, size_t len);

#endif
