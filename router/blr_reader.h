/*
 * blr_reader.h: a replica's (or an operator's) session on the relay's port,
 * shared by blr_reader.c (session life, commands, waking, heartbeats, the
 * registry of replicas) and blr_dump.c (where a dump starts). Everything
 * here runs on the session's worker, except the registry, which is under
 * blr_service.replicas_lock.
 */
#ifndef FERRY_ROUTER_BLR_READER_H
#define FERRY_ROUTER_BLR_READER_H

#include <event2/event.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdint.h>

#include "router/blr.h"
#include "router/blr_sql.h"
#include "router/blr_stream.h"
#include "server/session.h"

#define ER_SLAVE_SAME_ID 4052

/* One connected replica in blr_service.replicas (SHOW SLAVE HOSTS, same server_id). */
struct blr_replica_info {
    struct blr_replica_info *next;
    uint32_t server_id;
    char host[256]; /* report_host of COM_REGISTER_SLAVE */
    uint16_t port;
    uint32_t master_id;
    bool registered; /* sent COM_REGISTER_SLAVE */
    bool dumping;    /* sent COM_BINLOG_DUMP */
    int worker_id;
    uint64_t session_id;
    char addr[INET6_ADDRSTRLEN];
    /* The dump's progress, updated after each pump (blr_reader_note_progress). */
    int dump_state;   /* blr_dump_state */
    uint32_t file_no; /* next event's file and offset */
    uint64_t offset;
    uint64_t events, bytes; /* sent by this dump */
    int64_t last_sent_ms;   /* CLOCK_REALTIME of the last send */
    int64_t connected_ms;
};

typedef enum blr_dump_state {
    BLR_DUMP_NONE,      /* answering SQL and commands */
    BLR_DUMP_WAITING,   /* the replica is ahead of the relay: waiting for the relay */
    BLR_DUMP_STREAMING, /* sending; resumed by client_drained when the output was full */
    BLR_DUMP_TAILING,   /* at the visible end: woken by commits, sends heartbeats */
    BLR_DUMP_OVER,      /* a non-blocking dump sent its EOF */
} blr_dump_state;

typedef struct blr_session {
    session *s;
    blr_service *b;
    blr_vars vars;
    proto_buf pkt;
    struct blr_replica_info info;
    bool info_linked;
    blr_dump_state dump;
    blr_stream *st;
    blr_stream_opts opts;
    uint8_t dump_seq;      /* first sequence number of the dump's answer */
    struct event *timer;   /* heartbeats while tailing, re-checks while waiting */
    struct event *resume;  /* continues a long catch-up on the next loop turn */
    bool in_pump;          /* a filter (TLS, compression) may call client_drained from inside a
                              write: the pump must not re-enter itself */
    bool client_paused;    /* answers the client has not read fill the output: read no more */
    uint64_t hb_events;    /* events sent when the heartbeat timer was last armed */
    blr_pos wait_seen;     /* waiting: the relay's visible end at the last change */
    int64_t wait_since_ms; /* waiting: when that end last moved */
    char start[192];       /* where the dump asked to start, for the log */
    struct blr_session *prev, *next; /* the worker's list: blr_service.tailers[worker] */
} blr_session;

/* ---- blr_reader.c ---- */
/* Sends what the stream has, then waits for drain, a commit or the timer. */
void blr_reader_pump(blr_session *bs);
/* Ends the dump with ERR 1236 (msg) and closes the session. */
void blr_reader_fail(blr_session *bs, uint8_t seq, const char *msg);
/* (Re)arms the session's timer. */
void blr_reader_arm(blr_session *bs, int64_t ms);
/* Puts the session's info in the registry (once). */
void blr_reader_list_replica(blr_session *bs);
/* Publishes the dump's position and counters in its registry entry and
 * adds what it sent to the service's totals. */
void blr_reader_note_progress(blr_session *bs);
/* Ends other dumps of the same server_id (ERR 4052 on their workers). */
void blr_reader_end_same_id(blr_session *bs);

/* ---- blr_dump.c ---- */
/* COM_BINLOG_DUMP / COM_BINLOG_DUMP_GTID; seq: the answer's first sequence number. */
void blr_dump_request(blr_session *bs, const uint8_t *p, size_t len, uint8_t seq);
/* A waiting dump: try again to find the replica's start. */
void blr_dump_retry(blr_session *bs);
/* Ends the dump (logs it, unpins its file). */
void blr_dump_stop(blr_session *bs, const char *why);

#endif
