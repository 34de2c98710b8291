/*
 * blr.h: the binlog relay ("binlogrouter") shared by its files:
 * binlogrouter.c (the router table, service set-up), blr_store.c (files on
 * disk), blr_writer.c (the upstream thread that follows the cluster's
 * master), blr_reader.c (serving replicas on workers) and blr_sql.c (the SQL
 * a replica or an operator sends to the relay's port).
 */
#ifndef FERRY_ROUTER_BLR_H
#define FERRY_ROUTER_BLR_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "protocol/gtid.h"
#include "router/blr_store.h"
#include "server/service.h"
#include "server/worker.h"

struct blr_writer;

/* What the upstream thread is doing, for SHOW SLAVE STATUS and the admin socket. */
typedef struct blr_upstream_status {
    char master[128]; /* server name, "" when none */
    char host[256];
    int port;
    char io_state[128]; /* e.g. "Waiting for master to send event" */
    bool running;       /* connected and dumping */
    bool stopped;       /* STOP SLAVE */
    uint32_t last_errno;
    char last_error[512];
    uint64_t events, bytes, switches;
    double last_switch_stall_s; /* from losing the old master to the first event of the new */
    int64_t last_event_ms;      /* CLOCK_REALTIME of the last event or heartbeat */
} blr_upstream_status;

typedef struct blr_config {
    uint32_t server_id;
    char dir[4096];
    int net_timeout_s;
    int heartbeat_period_s;
    uint64_t max_binlog_size;
    blr_sync_mode sync;
    int sync_ms;
    int64_t expire_log_duration_s;
    int expire_log_minimum_files;
    gtid_pos gtid_start_pos;
} blr_config;

typedef struct blr_service {
    service *svc;
    blr_config cfg;
    blr_store *store;
    struct blr_writer *writer;
    /* Replica sessions waiting for new events, one list per worker, touched
     * only by that worker (see blr_reader.c). */
    void *tailers[WORKER_MAX];
    /* Registered replicas (COM_REGISTER_SLAVE / dump), for SHOW SLAVE HOSTS
     * and to end an old dump when the same server_id connects again. */
    pthread_mutex_t replicas_lock;
    struct blr_replica_info *replicas;
    /* What all dumps have sent (for the metrics), under replicas_lock. */
    uint64_t served_events, served_bytes;
} blr_service;

/* ---- the upstream thread (blr_writer.c) ---- */
struct blr_writer *blr_writer_start(blr_service *b, char *err, size_t errlen);
/* Joins the thread; blr_writer_free releases it (status stays readable between). */
void blr_writer_stop(struct blr_writer *w);
void blr_writer_free(struct blr_writer *w);
/* All zero when w is NULL (no upstream thread). */
void blr_writer_status(struct blr_writer *w, blr_upstream_status *out);
/* STOP SLAVE / START SLAVE on the relay's port. */
void blr_writer_pause(struct blr_writer *w, bool stop);
/* SET GLOBAL gtid_slave_pos on the relay's port: the state an empty relay
 * starts from. Applied by the upstream thread, which then reconnects.
 * -1 with err if the relay already has files. */
int blr_writer_set_start_pos(struct blr_writer *w, const gtid_pos *p, char *err, size_t errlen);
/* Whether the current upstream master's binlog has g (asked of the master
 * itself, for a replica that is ahead of the relay). -1: cannot tell. */
int blr_writer_master_has(struct blr_writer *w, const gtid_t *g);

/* ---- serving replicas (blr_reader.c, blr_sql.c) ---- */
void blr_session_start(struct session *s);
void blr_client_readable(struct session *s);
void blr_client_drained(struct session *s);
void blr_session_end(struct session *s);
/* The store's listener: wakes tailing replicas on every worker. */
void blr_readers_wake(void *arg);

#endif
