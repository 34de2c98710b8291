/*
 * galeramon.h: the galeramon module (Galera clusters). Exposes its ops table
 * for server/modules.c and its pure decision functions for the unit tests:
 * node states from the polled wsrep facts, the majority cluster, the master
 * election, and for the inbound cross-DC channel the plan of actions and the
 * gtid_slave_pos a new master must start from. monitor/README.md describes
 * the behaviour.
 */
#ifndef FERRY_MONITOR_GALERAMON_H
#define FERRY_MONITOR_GALERAMON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "server/registry.h"

/* What one poll learnt about one node, plus what operators set. */
typedef struct gal_facts {
    bool running;    /* connected, and SHOW GLOBAL STATUS answered */
    bool vars_ok;    /* the variables query answered too */
    bool wsrep;      /* it reports wsrep_local_state: a Galera node */
    int local_state; /* wsrep_local_state: 1 Joining, 2 Donor/Desynced, 3 Joined, 4 Synced */
    bool primary;    /* wsrep_cluster_status is Primary */
    char cluster_uuid[40];
    int local_index;     /* wsrep_local_index, -1 when unknown */
    bool desync;         /* @@wsrep_desync */
    bool ready;          /* wsrep_ready */
    bool reject_queries; /* @@wsrep_reject_queries is not NONE */
    bool donor_serves;   /* as a Donor it keeps serving (galeramon_donor_serves) */
    uint32_t admin_bits; /* SRV_MAINT, SRV_DRAINING */
    int priority;
    bool preferred; /* the target of an operator's switchover */
} gal_facts;

typedef struct gal_policy {
    bool use_priority;
    bool disable_master_failback;
    bool available_when_donor;
    bool root_node_as_master;
} gal_policy;

/* True when a Donor with this SST method keeps serving queries: mariabackup
 * (or xtrabackup) and wsrep_sst_donor_rejects_queries off. */
bool galeramon_donor_serves(const char *sst_method, bool donor_rejects_queries);

/* A node that reports the cluster state uuid most reachable nodes report
 * (ties: more of them in a Primary component, then the one holding
 * current_master, then config order), or -1 when none reports one. */
int galeramon_majority(const gal_facts *f, size_t n, int current_master);

/* Running, Synced, Donor and Joining bits of one node. Synced ("usable"):
 * state 4 (or a serving Donor with available_when_donor), Primary, not
 * desynced, ready, not rejecting queries, in the cluster uuid. */
uint32_t galeramon_node_state(const gal_facts *f, const char *cluster_uuid,
                              bool available_when_donor);

/* The master among nodes with states[] (see monitor/README.md): a usable
 * switchover target first; with disable_master_failback the usable current
 * master stays; then the lowest
 * positive priority (use_priority), then the lowest wsrep_local_index among
 * the rest; negative priorities, Maintenance and Draining never win;
 * root_node_as_master wants local index 0. Index, or -1. */
int galeramon_elect(const gal_facts *f, const uint32_t *states, size_t n, const gal_policy *p,
                    int current_master);

/* All of it: states[i] gets the node state plus Master or Slave; returns the
 * master (exactly one, or -1). */
int galeramon_verdict(const gal_facts *f, size_t n, const gal_policy *p, int current_master,
                      uint32_t *states);

/* ---- the inbound cross-DC channel ------------------------------------- */

/* The channel as seen on one node by SHOW ALL SLAVES STATUS. */
typedef struct gal_channel {
    bool known;       /* the query answered this tick */
    bool present;     /* the named connection exists */
    bool matches;     /* host, port, user and use_gtid are as configured */
    bool io_running;  /* Slave_IO_Running Yes or Connecting */
    bool sql_running; /* Slave_SQL_Running Yes */
} gal_channel;

typedef enum gal_action {
    GAL_KEEP,   /* nothing to do */
    GAL_REMOVE, /* STOP SLAVE, RESET SLAVE ALL: a node that is not the master */
    GAL_CREATE, /* (remove), check gtid_slave_pos, CHANGE MASTER, START SLAVE: the master */
    GAL_START,  /* START SLAVE: the master's channel is configured but stopped */
} gal_action;

/* What to do on each node so that the channel runs on the master only.
 * Nodes whose channel is not known are left alone. */
void galeramon_channel_plan(const gal_channel *c, size_t n, int master, gal_action *out);

/* The gtid_slave_pos a new master must hold before START SLAVE: its current
 * slave_pos, where every domain that is not local (local_domains: the
 * cluster's wsrep_gtid_domain_id and the nodes' gtid_domain_id) and that
 * appears further on in one of the applied[] GTID lists (the node's
 * gtid_binlog_pos, the old master's gtid_slave_pos) takes that further
 * position. Written to out sorted by domain; returns true when it differs
 * from slave_pos. */
bool galeramon_inbound_slave_pos(const char *slave_pos, const char *const *applied, size_t napplied,
                                 const uint32_t *local_domains, size_t nlocal, char *out,
                                 size_t outlen);

extern const monitor_ops GALERAMON_OPS;

#endif
