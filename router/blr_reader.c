/*
 * blr_reader.c: sessions on a binlog relay's port, on worker threads (the
 * router entry points of blr.h). Reads whole client packets, answers the
 * commands a replica, mariadb-binlog or an operator sends (SQL through
 * blr_sql.c, dumps through blr_dump.c), drives each dump's stream
 * (blr_stream.c) with backpressure, sends heartbeats, and wakes tailing
 * replicas when the store publishes a commit. Each worker keeps its relay
 * sessions in blr_service.tailers[worker], touched only by that worker.
 */
#include "router/blr_reader.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "protocol/command.h"
#include "protocol/response.h"
#include "server/clock.h"
#include "server/log.h"
#include "server/pktio.h"
#include "server/service.h"
#include "server/users.h"

#define BLR_PACKET_MAX      (1024 * 1024)     /* longest command the relay reads */
#define PUMP_BUDGET         (8 * 1024 * 1024) /* bytes per turn before other sessions' turn */
#define ER_OUT_OF_RESOURCES 1041
#define ER_MALFORMED_PACKET 1835

/* ---- waking tailers: one pending job per (service, worker) ---------------------- */

typedef struct wake_slot {
    struct wake_slot *next;
    blr_service *b;
    atomic_bool pending[WORKER_MAX];
    atomic_int members[WORKER_MAX]; /* relay sessions of b on each worker */
} wake_slot;

static wake_slot *g_slots;
static pthread_mutex_t g_slots_lock = PTHREAD_MUTEX_INITIALIZER;

/* The slot of b, created on first use (slots live as long as the process). */
static wake_slot *slot_of(blr_service *b)
{
    pthread_mutex_lock(&g_slots_lock);
    wake_slot *sl = g_slots;
    while (sl && sl->b != b)
        sl = sl->next;
    if (!sl && (sl = calloc(1, sizeof(*sl))) != NULL) {
        sl->b = b;
        sl->next = g_slots;
        g_slots = sl;
    }
    pthread_mutex_unlock(&g_slots_lock);
    return sl;
}

static void wake_job(worker *w, void *arg)
{
    wake_slot *sl = arg;
    int id = worker_id(w);
    atomic_store(&sl->pending[id], false);
    for (blr_session *bs = sl->b->tailers[id], *next; bs; bs = next) {
        next = bs->next;
        if (bs->s->closing)
            continue;
        if (bs->dump == BLR_DUMP_TAILING)
            blr_reader_pump(bs);
        else if (bs->dump == BLR_DUMP_WAITING)
            blr_dump_retry(bs);
    }
}

void blr_readers_wake(void *arg)
{
    wake_slot *sl = slot_of(arg);
    if (!sl)
        return;
    int n = workers_count();
    for (int i = 0; i < n && i < WORKER_MAX; i++) {
        if (atomic_load(&sl->members[i]) == 0 || atomic_exchange(&sl->pending[i], true))
            continue;
        worker_post(worker_at(i), wake_job, sl);
    }
}

/* ---- the worker's list of relay sessions ----------------------------------------- */

static void join_worker(blr_session *bs)
{
    int id = worker_id(bs->s->w);
    blr_session *head = bs->b->tailers[id];
    bs->next = head;
    if (head)
        head->prev = bs;
    bs->b->tailers[id] = bs;
    wake_slot *sl = slot_of(bs->b);
    if (sl)
        atomic_fetch_add(&sl->members[id], 1);
}

static void leave_worker(blr_session *bs)
{
    int id = worker_id(bs->s->w);
    if (bs->prev)
        bs->prev->next = bs->next;
    else
        bs->b->tailers[id] = bs->next;
    if (bs->next)
        bs->next->prev = bs->prev;
    wake_slot *sl = slot_of(bs->b);
    if (sl)
        atomic_fetch_sub(&sl->members[id], 1);
}

/* ---- the registry of replicas ---------------------------------------------------- */

void blr_reader_list_replica(blr_session *bs)
{
    if (bs->info_linked)
        return;
    pthread_mutex_lock(&bs->b->replicas_lock);
    bs->info.next = bs->b->replicas;
    bs->info.connected_ms = clock_now_ms();
    bs->b->replicas = &bs->info;
    bs->info_linked = true;
    pthread_mutex_unlock(&bs->b->replicas_lock);
}

void blr_reader_note_progress(blr_session *bs)
{
    uint64_t events, bytes;
    uint32_t file_no;
    uint64_t offset;
    if (!bs->st)
        return;
    blr_stream_counters(bs->st, &events, &bytes);
    blr_stream_where(bs->st, &file_no, &offset);
    pthread_mutex_lock(&bs->b->replicas_lock);
    struct blr_replica_info *i = &bs->info;
    if (events < i->events || bytes < i->bytes)
        i->events = i->bytes = 0; /* a new dump on this session */
    bs->b->served_events += events - i->events;
    bs->b->served_bytes += bytes - i->bytes;
    bs->s->bytes_out += bytes - i->bytes;
    if (bytes != i->bytes)
        i->last_sent_ms = clock_now_ms();
    i->events = events;
    i->bytes = bytes;
    i->dump_state = (int)bs->dump;
    i->file_no = file_no;
    i->offset = offset;
    pthread_mutex_unlock(&bs->b->replicas_lock);
}

static void unlist_replica(blr_session *bs)
{
    if (!bs->info_linked)
        return;
    pthread_mutex_lock(&bs->b->replicas_lock);
    for (struct blr_replica_info **p = &bs->b->replicas; *p; p = &(*p)->next) {
        if (*p == &bs->info) {
            *p = bs->info.next;
            break;
        }
    }
    bs->info_linked = false;
    pthread_mutex_unlock(&bs->b->replicas_lock);
}

typedef struct kill_job {
    blr_service *b;
    uint64_t session_id;
} kill_job;

static void kill_same_id(worker *w, void *arg)
{
    kill_job *k = arg;
    for (blr_session *bs = k->b->tailers[worker_id(w)]; bs; bs = bs->next) {
        if (bs->s->id != k->session_id || bs->s->closing || !bs->st)
            continue;
        uint32_t file_no;
        uint64_t off;
        blr_stream_where(bs->st, &file_no, &off);
        char msg[256];
        snprintf(msg, sizeof(msg),
                 "A slave with the same server_uuid/server_id as this slave has connected to "
                 "the master; the last byte read from 'binlog.%06u' at %llu.",
                 file_no, (unsigned long long)off);
        session_send_error(bs->s, blr_stream_seq(bs->st), ER_SLAVE_SAME_ID, "HY000", "%s", msg);
        session_flush(bs->s);
        blr_dump_stop(bs, "a replica with the same server_id connected");
        session_close(bs->s, "a replica with the same server_id connected");
        break;
    }
    free(k);
}

void blr_reader_end_same_id(blr_session *bs)
{
    if (bs->info.server_id == 0)
        return;
    pthread_mutex_lock(&bs->b->replicas_lock);
    for (struct blr_replica_info *r = bs->b->replicas; r; r = r->next) {
        if (r == &bs->info || !r->dumping || r->server_id != bs->info.server_id)
            continue;
        kill_job *k = malloc(sizeof(*k));
        if (!k)
            continue;
        *k = (kill_job){bs->b, r->session_id};
        r->dumping = false; /* one kill per old dump */
        worker_post(worker_at(r->worker_id), kill_same_id, k);
    }
    pthread_mutex_unlock(&bs->b->replicas_lock);
}

/* ---- pumping the stream, heartbeats ---------------------------------------------- */

void blr_reader_arm(blr_session *bs, int64_t ms)
{
    struct timeval tv = {(time_t)(ms / 1000), (suseconds_t)(ms % 1000) * 1000};
    evtimer_add(bs->timer, &tv);
}

static void arm_heartbeat(blr_session *bs)
{
    uint64_t ns = bs->vars.heartbeat_ns, events, bytes;
    if (ns == 0)
        return;
    blr_stream_counters(bs->st, &events, &bytes);
    if (events == bs->hb_events && evtimer_pending(bs->timer, NULL))
        return;
    bs->hb_events = events;
    int64_t ms = (int64_t)(ns / 1000000);
    blr_reader_arm(bs, ms > 0 ? ms : 1);
}

/* One pump of the stream: 1 to go on, 0 to wait (for drain, a commit, the resume event). */
static int pump_once(blr_session *bs, uint64_t start)
{
    session *s = bs->s;
    char err[512];
    uint64_t events, sent;
    blr_stream_rc rc =
        blr_stream_pump(bs->st, session_output(s), FLOW_HIGH_WATER, err, sizeof(err));
    session_flush(s);
    if (rc == BLR_STREAM_ERROR) {
        blr_reader_fail(bs, blr_stream_seq(bs->st), err);
        return 0;
    }
    if (rc == BLR_STREAM_DONE) {
        blr_dump_stop(bs, "sent everything (non-blocking dump)");
        bs->dump = BLR_DUMP_OVER;
        return 0;
    }
    bs->dump = rc == BLR_STREAM_IDLE ? BLR_DUMP_TAILING : BLR_DUMP_STREAMING;
    arm_heartbeat(bs);
    if (rc == BLR_STREAM_IDLE || evbuffer_get_length(session_output(s)) > 0)
        return 0;
    blr_stream_counters(bs->st, &events, &sent);
    if (sent - start >= PUMP_BUDGET) {
        event_active(bs->resume, EV_TIMEOUT, 0);
        return 0;
    }
    return 1;
}

/*
 * Runs the stream until the client's output holds unsent bytes (the write
 * callback, client_drained, resumes it), the stream is idle or done, or this
 * turn's budget is spent (then the resume event continues it on the next
 * loop turn, after other sessions).
 */
void blr_reader_pump(blr_session *bs)
{
    uint64_t events, start;
    if (bs->s->closing || !bs->st || bs->in_pump)
        return;
    bs->in_pump = true;
    blr_stream_counters(bs->st, &events, &start);
    while (pump_once(bs, start))
        ;
    bs->in_pump = false;
    blr_reader_note_progress(bs);
}

static void on_resume(evutil_socket_t fd, short what, void *arg)
{
    blr_session *bs = arg;
    if (bs->dump == BLR_DUMP_STREAMING)
        blr_reader_pump(bs);
}

void blr_reader_fail(blr_session *bs, uint8_t seq, const char *msg)
{
    session_send_error(bs->s, seq, ER_MASTER_FATAL_ERROR_READING_BINLOG, "HY000", "%s", msg);
    session_flush(bs->s);
    log_notice("binlog relay '%s': replica %s:%d (server_id %u): error 1236: %s", bs->b->svc->name,
               bs->s->client_ip, bs->s->client_port, bs->info.server_id, msg);
    blr_dump_stop(bs, "error 1236");
    session_close(bs->s, "binlog dump error");
}

static void on_timer(evutil_socket_t fd, short what, void *arg)
{
    blr_session *bs = arg;
    if (bs->s->closing)
        return;
    if (bs->dump == BLR_DUMP_WAITING) {
        blr_dump_retry(bs);
        return;
    }
    if (!bs->st || (bs->dump != BLR_DUMP_TAILING && bs->dump != BLR_DUMP_STREAMING))
        return;
    uint64_t events, bytes;
    blr_stream_counters(bs->st, &events, &bytes);
    if (bs->dump == BLR_DUMP_TAILING && events == bs->hb_events) {
        blr_stream_heartbeat(bs->st, session_output(bs->s));
        session_flush(bs->s);
    }
    blr_stream_counters(bs->st, &bs->hb_events, &bytes);
    int64_t ms = (int64_t)(bs->vars.heartbeat_ns / 1000000);
    blr_reader_arm(bs, ms > 0 ? ms : 1);
}

/* ---- commands -------------------------------------------------------------------- */

static void reply(blr_session *bs, const proto_buf *b)
{
    evbuffer_add(session_output(bs->s), b->data, b->len);
    session_flush(bs->s);
}

static void reply_error(blr_session *bs, uint8_t seq, uint16_t code, const char *msg)
{
    session_send_error(bs->s, seq, code, code == ER_UNKNOWN_COM_ERROR ? "08S01" : "HY000", "%s",
                       msg);
    session_flush(bs->s);
}

static void reply_ok(blr_session *bs, uint8_t seq)
{
    proto_buf b;
    proto_buf_init(&b);
    proto_ok_packet(&b, seq, SERVER_STATUS_AUTOCOMMIT);
    reply(bs, &b);
    proto_buf_free(&b);
}

static void run_sql(blr_session *bs)
{
    session *s = bs->s;
    users_table *t = users_get(s->svc->users);
    char version[sizeof(t->version) + 8];
    const char *v = t->version[0] ? t->version : BLR_DEFAULT_VERSION;
    snprintf(version, sizeof(version), "%s", strncmp(v, "5.5.5-", 6) == 0 ? v + 6 : v);
    users_unref(t);
    blr_sql_ctx c = {.b = bs->b,
                     .vars = &bs->vars,
                     .caps = s->creds.caps,
                     .user = s->creds.user,
                     .client_ip = s->client_ip,
                     .conn_id = s->id,
                     .version = version};
    proto_buf out;
    proto_buf_init(&out);
    blr_sql_query(&c, (const char *)bs->pkt.data + 1, bs->pkt.len - 1, &out);
    reply(bs, &out);
    proto_buf_free(&out);
}

static void register_slave(blr_session *bs, uint8_t seq)
{
    proto_register_slave r;
    if (proto_register_slave_parse(bs->pkt.data, bs->pkt.len, &r) != PROTO_OK) {
        reply_error(bs, seq, ER_MALFORMED_PACKET, "Malformed COM_REGISTER_SLAVE packet");
        return;
    }
    pthread_mutex_lock(&bs->b->replicas_lock);
    for (struct blr_replica_info *o = bs->b->replicas; o; o = o->next)
        if (o != &bs->info && o->server_id == r.server_id)
            o->registered = false; /* the newest registration of a server_id wins */
    bs->info.server_id = r.server_id;
    snprintf(bs->info.host, sizeof(bs->info.host), "%s", r.host);
    bs->info.port = r.port;
    bs->info.master_id = r.master_id;
    bs->info.registered = true;
    pthread_mutex_unlock(&bs->b->replicas_lock);
    blr_reader_list_replica(bs);
    log_info("binlog relay '%s': replica %s:%d registered as server_id %u (report port %u)",
             bs->b->svc->name, bs->s->client_ip, bs->s->client_port, r.server_id, r.port);
    reply_ok(bs, seq);
}

static void dispatch(blr_session *bs, uint8_t seq)
{
    session *s = bs->s;
    uint8_t cmd = bs->pkt.len ? bs->pkt.data[0] : 0xff, rseq = (uint8_t)(seq + 1);
    switch (cmd) {
    case COM_QUERY:
        run_sql(bs);
        break;
    case COM_PING:
    case COM_INIT_DB:
    case COM_RESET_CONNECTION:
        reply_ok(bs, rseq);
        break;
    case COM_QUIT:
        session_close(s, "COM_QUIT");
        break;
    case COM_REGISTER_SLAVE:
        register_slave(bs, rseq);
        break;
    case COM_BINLOG_DUMP:
    case COM_BINLOG_DUMP_GTID:
        blr_dump_request(bs, bs->pkt.data, bs->pkt.len, rseq);
        break;
    default: {
        char msg[128];
        snprintf(msg, sizeof(msg), "Ferry's binlog relay does not support %s (command 0x%02x)",
                 proto_com_name(cmd), cmd);
        reply_error(bs, rseq, ER_UNKNOWN_COM_ERROR, msg);
        break;
    }
    }
}

/* ---- the router's entry points ---------------------------------------------------- */

void blr_session_start(session *s)
{
    blr_service *b = s->svc->router_data;
    blr_session *bs = s->creds.repl_slave ? calloc(1, sizeof(*bs)) : NULL;
    if (!bs || !(bs->timer = evtimer_new(worker_base(s->w), on_timer, bs)) ||
        !(bs->resume = event_new(worker_base(s->w), -1, 0, on_resume, bs))) {
        proto_buf e;
        proto_buf_init(&e);
        proto_err_write(&e, bs ? ER_OUT_OF_RESOURCES : ER_SPECIFIC_ACCESS_DENIED,
                        bs ? "HY000" : "42000",
                        bs ? "Out of memory"
                           : "Access denied; you need (at least one of) the REPLICATION SLAVE "
                             "privilege(s) for this operation");
        if (bs && bs->timer)
            event_free(bs->timer);
        free(bs);
        if (!s->creds.repl_slave)
            log_warning("binlog relay '%s': '%s'@%s refused: the account lacks REPLICATION SLAVE",
                        s->svc->name, s->creds.user, s->client_ip);
        session_login_done(s, e.data, e.len);
        proto_buf_free(&e);
        return;
    }
    bs->s = s;
    bs->b = b;
    blr_vars_init(&bs->vars);
    proto_buf_init(&bs->pkt);
    bs->info.worker_id = worker_id(s->w);
    bs->info.session_id = s->id;
    snprintf(bs->info.addr, sizeof(bs->info.addr), "%s", s->client_ip);
    s->router_data = bs;
    join_worker(bs);
    session_login_done(s, NULL, 0);
}

void blr_client_readable(session *s)
{
    blr_session *bs = s->router_data;
    while (bs && !s->closing) {
        uint8_t seq;
        int rc = pktio_next(session_input(s), BLR_PACKET_MAX, &bs->pkt, &seq);
        if (rc == PROTO_NEED_MORE)
            return;
        if (rc == PROTO_BAD) {
            session_send_error(s, 1, ER_NET_PACKET_TOO_LARGE, "08S01",
                               "Got a packet bigger than %d bytes", BLR_PACKET_MAX);
            session_flush(s);
            session_close(s, "packet too large");
            return;
        }
        s->queries++;
        bool dumping = bs->dump != BLR_DUMP_NONE && bs->dump != BLR_DUMP_OVER;
        if (dumping) {
            if (bs->pkt.len > 0 && bs->pkt.data[0] == COM_QUIT)
                session_close(s, "COM_QUIT during a binlog dump");
            continue; /* anything else during a dump is ignored, as MariaDB does */
        }
        dispatch(bs, seq);
        session_flush(s);
        if (session_output_full(s) && !s->closing) {
            /* A client that sends queries and does not read the answers
             * waits until it does, so the output stays bounded. After the
             * flush, EV_WRITE is on: the drain callback resumes it. */
            bs->client_paused = true;
            session_pause_client(s, true);
            return;
        }
    }
}

void blr_client_drained(session *s)
{
    blr_session *bs = s->router_data;
    if (bs && bs->dump == BLR_DUMP_STREAMING)
        blr_reader_pump(bs);
    if (bs && bs->client_paused && !s->closing) {
        bs->client_paused = false;
        session_pause_client(s, false);
        blr_client_readable(s);
    }
}

void blr_session_end(session *s)
{
    blr_session *bs = s->router_data;
    if (!bs)
        return;
    blr_dump_stop(bs, "the replica disconnected");
    unlist_replica(bs);
    leave_worker(bs);
    event_free(bs->timer);
    event_free(bs->resume);
    proto_buf_free(&bs->pkt);
    free(bs);
    s->router_data = NULL;
}
