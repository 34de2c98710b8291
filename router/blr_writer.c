/*
 * blr_writer.c: the binlog relay's upstream thread. It follows the master
 * that the service's monitor elects, registers there as a replica from the
 * relay's committed GTID state, and hands whole event groups to the store.
 * On a lost upstream or a new master it cuts the partial group and resumes
 * from the committed state on the next master, so replicas see one stream
 * with no gap and no duplicate. Runs on its own thread (libmariadb blocks).
 */
#include <errno.h>
#include <mysql.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "monitor/monitor.h"
#include "protocol/binlog.h"
#include "protocol/packet.h"
#include "protocol/response.h"
#include "router/blr.h"
#include "router/blr_switch.h"
#include "server/clock.h"
#include "server/log.h"
#include "server/srv_sql.h"

/* COM_BINLOG_DUMP flag (protocol/command.h has it, but its COM_* names clash with mysql.h). */
#define DUMP_SEND_ANNOTATE_ROWS 0x0002
#define BLR_RETRY_MS            200
#define BLR_CONNECT_S           3
#define BLR_EXPIRE_EVERY_S      60

typedef struct blr_writer {
    blr_service *b;
    pthread_t thread;
    bool started;
    pthread_mutex_t lock; /* guards st, stop, paused, master_state */
    pthread_cond_t cond;
    bool stop, paused;
    gtid_pos *new_start; /* SET GLOBAL gtid_slave_pos, applied by the thread */
    blr_upstream_status st;
    gtid_pos master_state; /* the current master's binlog state at connect */
    bool master_known;
    /* thread only */
    MYSQL *conn;
    ferry_server *master;
    binlog_trx_tracker trx;
    bool crc, skipping, need_new_file;
    uint32_t wsrep_domain;
    bool has_wsrep_domain;
    int64_t lost_ms; /* when the previous upstream was lost, 0 if none pending */
    char lost_from[128];
    int64_t next_expire;
} blr_writer;

static const char *svc_name(const blr_writer *w)
{
    return w->b->svc->name;
}

/* ---- status ------------------------------------------------------------ */

static void set_state(blr_writer *w, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void set_state(blr_writer *w, const char *fmt, ...)
{
    va_list ap;
    pthread_mutex_lock(&w->lock);
    va_start(ap, fmt);
    vsnprintf(w->st.io_state, sizeof(w->st.io_state), fmt, ap);
    va_end(ap);
    pthread_mutex_unlock(&w->lock);
}

static void set_error(blr_writer *w, uint32_t code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void set_error(blr_writer *w, uint32_t code, const char *fmt, ...)
{
    char msg[sizeof(w->st.last_error)];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    pthread_mutex_lock(&w->lock);
    bool changed = strcmp(msg, w->st.last_error) != 0;
    w->st.last_errno = code;
    memcpy(w->st.last_error, msg, sizeof(msg));
    w->st.running = false;
    pthread_mutex_unlock(&w->lock);
    if (changed)
        log_error("binlog relay '%s': %s", svc_name(w), msg);
}

static void clear_error(blr_writer *w)
{
    pthread_mutex_lock(&w->lock);
    w->st.last_errno = 0;
    w->st.last_error[0] = '\0';
    pthread_mutex_unlock(&w->lock);
}

void blr_writer_status(blr_writer *w, blr_upstream_status *out)
{
    if (!w) {
        memset(out, 0, sizeof(*out));
        return;
    }
    pthread_mutex_lock(&w->lock);
    *out = w->st;
    pthread_mutex_unlock(&w->lock);
}

int blr_writer_master_has(blr_writer *w, const gtid_t *g)
{
    pthread_mutex_lock(&w->lock);
    int r = !w->master_known ? -1 : gtid_pos_contains(&w->master_state, g) ? 1 : 0;
    pthread_mutex_unlock(&w->lock);
    return r;
}

/* Sleeps up to ms or until stopped/kicked; returns false when stopping. */
static bool nap(blr_writer *w, int ms)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    ts.tv_sec += ms / 1000;
    ts.tv_nsec += (long)(ms % 1000) * 1000000;
    if (ts.tv_nsec >= 1000000000) {
        ts.tv_sec++;
        ts.tv_nsec -= 1000000000;
    }
    pthread_mutex_lock(&w->lock);
    if (!w->stop)
        pthread_cond_timedwait(&w->cond, &w->lock, &ts);
    bool go_on = !w->stop;
    pthread_mutex_unlock(&w->lock);
    return go_on;
}

static bool should_run(blr_writer *w)
{
    pthread_mutex_lock(&w->lock);
    bool run = !w->stop && !w->paused && !w->new_start;
    pthread_mutex_unlock(&w->lock);
    return run;
}

/* ---- following the monitor --------------------------------------------- */

/* The server the monitor currently names master, or NULL. */
static ferry_server *elected_master(blr_writer *w)
{
    monitor *m = monitor_find(w->b->svc->cluster);
    cluster_snapshot *snap = m ? monitor_latest(m) : NULL;
    ferry_server *srv = NULL;
    if (snap && snap->master >= 0)
        srv = snap->servers[snap->master].srv;
    if (snap)
        snapshot_unref(snap);
    return srv;
}

/* ---- talking to the master --------------------------------------------- */

static void disconnect(blr_writer *w)
{
    if (w->conn)
        mysql_close(w->conn);
    w->conn = NULL;
    pthread_mutex_lock(&w->lock);
    w->st.running = false;
    w->master_known = false;
    pthread_mutex_unlock(&w->lock);
}

static int sql(blr_writer *w, const char *q)
{
    if (mysql_query(w->conn, q) == 0)
        return 0;
    set_error(w, mysql_errno(w->conn), "upstream '%s': %s: %s", w->master->name, q,
              mysql_error(w->conn));
    return -1;
}

/* Runs q and copies the first column of its first row into out. */
static int sql_value(blr_writer *w, const char *q, char *out, size_t outlen)
{
    if (sql(w, q) < 0)
        return -1;
    MYSQL_RES *res = mysql_store_result(w->conn);
    MYSQL_ROW row = res ? mysql_fetch_row(res) : NULL;
    snprintf(out, outlen, "%s", row && row[0] ? row[0] : "");
    if (res)
        mysql_free_result(res);
    return 0;
}

static int connect_master(blr_writer *w)
{
    const cfg_object *o = w->b->svc->cfg;
    unsigned rtmo = (unsigned)w->b->cfg.net_timeout_s;
    w->conn = srv_sql_init(w->master, BLR_CONNECT_S, rtmo, rtmo);
    if (!w->conn) {
        set_error(w, 0, "cannot connect to upstream '%s': out of memory", w->master->name);
        return -1;
    }
    if (mysql_real_connect(w->conn, w->master->address, cfg_str(o, "user"), cfg_str(o, "password"),
                           NULL, (unsigned)w->master->port, NULL, 0))
        return 0;
    set_error(w, mysql_errno(w->conn), "cannot connect to upstream '%s' (%s:%d): %s",
              w->master->name, w->master->address, w->master->port, mysql_error(w->conn));
    return -1;
}

/* @@gtid_binlog_state lists one GTID per (domain, server_id): keep the
 * highest seq of each domain. */
static int parse_binlog_state(const char *text, gtid_pos *out)
{
    gtid_pos_init(out);
    for (const char *p = text; *p;) {
        size_t len = strcspn(p, ",");
        gtid_t g;
        if (len > 0 && gtid_parse(p, len, &g) == PROTO_OK) {
            const gtid_t *have = gtid_pos_get(out, g.domain);
            if (!have || have->seq < g.seq)
                gtid_pos_set(out, &g);
        } else if (strspn(p, " \t\n") < len) {
            return -1;
        }
        p += len + (p[len] == ',');
    }
    return 0;
}

/* The master's binlog state and, on Galera, its wsrep GTID domain. */
static int read_master_facts(blr_writer *w, gtid_pos *state)
{
    char text[GTID_POS_TEXT_MAX], v[64];
    if (sql_value(w, "SELECT @@GLOBAL.gtid_binlog_state", text, sizeof(text)) < 0)
        return -1;
    if (parse_binlog_state(text, state) < 0) {
        set_error(w, 0, "upstream '%s': cannot parse @@gtid_binlog_state '%.200s'", w->master->name,
                  text);
        return -1;
    }
    w->has_wsrep_domain = false;
    if (mysql_query(w->conn, "SELECT @@wsrep_on, @@wsrep_gtid_mode, @@wsrep_gtid_domain_id") == 0) {
        MYSQL_RES *res = mysql_store_result(w->conn);
        MYSQL_ROW row = res ? mysql_fetch_row(res) : NULL;
        if (row && row[0] && row[1] && row[2] && strcmp(row[0], "1") == 0 &&
            strcmp(row[1], "1") == 0) {
            w->has_wsrep_domain = true;
            w->wsrep_domain = (uint32_t)strtoul(row[2], NULL, 10);
        }
        if (res)
            mysql_free_result(res);
    }
    if (sql_value(w, "SELECT @@GLOBAL.binlog_checksum", v, sizeof(v)) < 0)
        return -1;
    w->crc = strcmp(v, "CRC32") == 0;
    pthread_mutex_lock(&w->lock);
    gtid_pos_copy(&w->master_state, state);
    w->master_known = true;
    pthread_mutex_unlock(&w->lock);
    return 0;
}

/* Waits (bounded by the caller's loop) until the master has our wsrep GTID. */
static int choose_start(blr_writer *w, gtid_pos *start)
{
    gtid_pos master;
    char why[256], text[GTID_POS_TEXT_MAX];
    if (read_master_facts(w, &master) < 0)
        return -1;
    if (blr_switch_state(blr_store_committed(w->b->store), &master, w->has_wsrep_domain,
                         w->wsrep_domain, start, why, sizeof(why)) == BLR_SWITCH_WAIT) {
        gtid_pos_format(&master, text, sizeof(text));
        set_state(w, "Waiting for '%s' to catch up: %s (its state: %s)", w->master->name, why,
                  text);
        return 1;
    }
    return 0;
}

static int register_and_dump(blr_writer *w, const gtid_pos *start)
{
    char q[GTID_POS_TEXT_MAX + 64], text[GTID_POS_TEXT_MAX];
    gtid_pos_format(start, text, sizeof(text));
    snprintf(q, sizeof(q), "SET @slave_connect_state='%s'", text);
    char hb[96];
    snprintf(hb, sizeof(hb), "SET @master_heartbeat_period=%lld",
             (long long)w->b->cfg.heartbeat_period_s * 1000000000LL);
    if (sql(w, hb) < 0 || sql(w, "SET @master_binlog_checksum=@@global.binlog_checksum") < 0 ||
        sql(w, "SET @mariadb_slave_capability=4") < 0 || sql(w, q) < 0 ||
        sql(w, "SET @slave_gtid_strict_mode=0") < 0 ||
        sql(w, "SET @slave_gtid_ignore_duplicates=0") < 0)
        return -1;
    proto_buf p;
    proto_buf_init(&p);
    proto_put_u32(&p, w->b->cfg.server_id); /* COM_REGISTER_SLAVE */
    proto_put_zero(&p, 3);                  /* host, user, password: empty */
    proto_put_u16(&p, 0);                   /* port */
    proto_put_u32(&p, 0);                   /* rank */
    proto_put_u32(&p, 0);                   /* master id */
    int rc = w->conn->methods->db_command(w->conn, COM_REGISTER_SLAVE, (const char *)p.data, p.len,
                                          0, NULL);
    proto_buf_reset(&p);
    proto_put_u32(&p, 4);                       /* position */
    proto_put_u16(&p, DUMP_SEND_ANNOTATE_ROWS); /* flags */
    proto_put_u32(&p, w->b->cfg.server_id);
    if (rc == 0)
        rc = w->conn->methods->db_command(w->conn, COM_BINLOG_DUMP, (const char *)p.data, p.len, 1,
                                          NULL);
    proto_buf_free(&p);
    if (rc != 0) {
        set_error(w, mysql_errno(w->conn), "upstream '%s': cannot start the binlog dump: %s",
                  w->master->name, mysql_error(w->conn));
        return -1;
    }
    log_notice("binlog relay '%s': replicating from '%s' (%s:%d) from GTID state '%s'", svc_name(w),
               w->master->name, w->master->address, w->master->port, text);
    return 0;
}

/* ---- events ------------------------------------------------------------ */

static void count_event(blr_writer *w, size_t len)
{
    pthread_mutex_lock(&w->lock);
    w->st.events++;
    w->st.bytes += len;
    w->st.last_event_ms = clock_now_ms();
    pthread_mutex_unlock(&w->lock);
}

static void note_switch_done(blr_writer *w)
{
    double stall = (double)(clock_now_ms() - w->lost_ms) / 1000.0;
    pthread_mutex_lock(&w->lock);
    w->st.last_switch_stall_s = stall;
    pthread_mutex_unlock(&w->lock);
    log_notice("binlog relay '%s': first transaction from '%s' committed %.3f s after losing "
               "'%s'",
               svc_name(w), w->master->name, stall, w->lost_from);
    w->lost_ms = 0;
}

static int commit_group(blr_writer *w)
{
    char err[512];
    if (!w->trx.has_gtid) {
        set_error(w, 0,
                  "upstream '%s' sent an event group without a GTID; the relay needs "
                  "GTIDs (MariaDB 10.0 or later)",
                  w->master->name);
        return -1;
    }
    if (blr_store_commit(w->b->store, &w->trx.gtid.gtid, err, sizeof(err)) < 0) {
        set_error(w, 0, "%s", err);
        return -1;
    }
    pthread_mutex_lock(&w->lock); /* the master has what it just sent */
    gtid_pos_update(&w->master_state, &w->trx.gtid.gtid);
    pthread_mutex_unlock(&w->lock);
    if (w->lost_ms)
        note_switch_done(w);
    return 0;
}

static int on_fde(blr_writer *w, const uint8_t *ev, size_t len)
{
    char err[512];
    if (!blr_store_has_file(w->b->store) || w->need_new_file) {
        if (blr_store_new_file(w->b->store, ev, len, err, sizeof(err)) < 0) {
            set_error(w, 0, "%s", err);
            return -1;
        }
        w->need_new_file = false;
    }
    return 0;
}

/* Events that are about the upstream's files, not the data: not relayed. */
static bool is_upstream_meta(uint8_t type)
{
    return type == BINLOG_ROTATE_EVENT || type == BINLOG_GTID_LIST_EVENT ||
           type == BINLOG_CHECKPOINT_EVENT || type == BINLOG_HEARTBEAT_EVENT ||
           type == BINLOG_STOP_EVENT;
}

static int check_event(blr_writer *w, const uint8_t *ev, size_t len, binlog_event *e)
{
    if (binlog_event_parse(ev, len, w->crc, e) != PROTO_OK || e->h.event_size != len) {
        set_error(w, 0, "upstream '%s' sent a malformed event (%zu bytes)", w->master->name, len);
        return -1;
    }
    if (!binlog_event_crc_ok(e)) {
        set_error(w, 0, "upstream '%s': checksum mismatch in a %s event ending at %u",
                  w->master->name, binlog_type_name(e->h.type), e->h.log_pos);
        return -1;
    }
    if (e->h.type == BINLOG_START_ENCRYPTION_EVENT) {
        set_error(w, 0, "upstream '%s' has encrypted binlogs, which the relay cannot read",
                  w->master->name);
        return -1;
    }
    return 0;
}

static int on_event(blr_writer *w, uint8_t *ev, size_t len)
{
    binlog_event e;
    char err[512];
    if (check_event(w, ev, len, &e) < 0)
        return -1;
    count_event(w, len);
    if (e.h.type == BINLOG_FORMAT_DESCRIPTION_EVENT) {
        binlog_trx_feed(&w->trx, ev, len);
        w->crc = w->trx.crc;
        return on_fde(w, ev, len);
    }
    if (is_upstream_meta(e.h.type))
        return 0;
    enum binlog_trx_result r = binlog_trx_feed(&w->trx, ev, len);
    if (r == BINLOG_TRX_BAD || r == BINLOG_TRX_OUTSIDE)
        return 0; /* nothing the relay keeps */
    if (r == BINLOG_TRX_BROKEN) {
        log_warning("binlog relay '%s': upstream '%s' broke off an event group; dropping it",
                    svc_name(w), w->master->name);
        if (blr_store_cut(w->b->store, err, sizeof(err)) < 0)
            return -1;
        w->skipping = false;
        if (!binlog_trx_in_group(&w->trx))
            return 0;
    }
    if (e.h.type == BINLOG_GTID_EVENT)
        w->skipping = gtid_pos_contains(blr_store_committed(w->b->store), &w->trx.gtid.gtid);
    if (!w->skipping && blr_store_append(w->b->store, ev, len, err, sizeof(err)) < 0) {
        set_error(w, 0, "%s", err);
        return -1;
    }
    if (r != BINLOG_TRX_GROUP_END)
        return 0;
    bool skipped = w->skipping;
    w->skipping = false;
    return skipped ? 0 : commit_group(w);
}

/* ---- the dump loop and the thread -------------------------------------- */

/* A planned switch waits for a group boundary. */
static bool switch_due(blr_writer *w, int64_t *next_check)
{
    int64_t now = clock_now_ms();
    if (binlog_trx_in_group(&w->trx) || now < *next_check)
        return false;
    *next_check = now + 100;
    if (!should_run(w))
        return true;
    ferry_server *elected = elected_master(w);
    if (elected == w->master)
        return false;
    log_notice("binlog relay '%s': monitor elected '%s'; leaving '%s' at a transaction boundary",
               svc_name(w), elected ? elected->name : "no master", w->master->name);
    return true;
}

/* Returns true if the upstream was lost (not a planned switch). */
static bool dump_loop(blr_writer *w)
{
    int64_t next_check = 0;
    for (;;) {
        unsigned long len = mysql_net_read_packet(w->conn);
        if (len == packet_error || len == 0) {
            set_error(w, mysql_errno(w->conn), "lost upstream '%s': %s", w->master->name,
                      mysql_error(w->conn));
            return true;
        }
        uint8_t *p = w->conn->net.read_pos;
        if (p[0] == PROTO_EOF_BYTE && len < 9) {
            set_error(w, 0, "upstream '%s' ended the binlog dump", w->master->name);
            return true;
        }
        if (on_event(w, p + 1, len - 1) < 0)
            return true;
        if (switch_due(w, &next_check))
            return false;
    }
}

static void after_session(blr_writer *w, bool lost)
{
    char err[512];
    if (blr_store_cut(w->b->store, err, sizeof(err)) < 0)
        set_error(w, 0, "%s", err);
    binlog_trx_init(&w->trx, w->crc);
    w->skipping = false;
    if (lost && !w->lost_ms) {
        w->lost_ms = clock_now_ms();
        snprintf(w->lost_from, sizeof(w->lost_from), "%s", w->master->name);
    }
}

static void run_session(blr_writer *w)
{
    gtid_pos *start = malloc(sizeof(*start));
    bool lost = true;
    if (start && connect_master(w) == 0) {
        int rc = choose_start(w, start);
        if (rc == 0 && register_and_dump(w, start) == 0) {
            clear_error(w);
            pthread_mutex_lock(&w->lock);
            w->st.running = true;
            pthread_mutex_unlock(&w->lock);
            set_state(w, "Waiting for master to send event");
            lost = dump_loop(w);
        }
        lost = lost && rc != 1;
    }
    free(start);
    disconnect(w);
    after_session(w, lost);
}

static void pick_master(blr_writer *w, ferry_server *srv)
{
    if (w->master && srv != w->master && blr_store_has_file(w->b->store)) {
        w->need_new_file = true; /* one file per master */
        pthread_mutex_lock(&w->lock);
        w->st.switches++;
        pthread_mutex_unlock(&w->lock);
    }
    w->master = srv;
    pthread_mutex_lock(&w->lock);
    snprintf(w->st.master, sizeof(w->st.master), "%s", srv->name);
    snprintf(w->st.host, sizeof(w->st.host), "%s", srv->address);
    w->st.port = srv->port;
    pthread_mutex_unlock(&w->lock);
}

static void maybe_expire(blr_writer *w)
{
    int64_t now = clock_now_ms() / 1000;
    if (w->b->cfg.expire_log_duration_s <= 0 || now < w->next_expire)
        return;
    w->next_expire = now + BLR_EXPIRE_EVERY_S;
    blr_store_expire(w->b->store, w->b->cfg.expire_log_duration_s,
                     w->b->cfg.expire_log_minimum_files);
}

/* Applies a pending SET GLOBAL gtid_slave_pos (between sessions). */
static void apply_start_pos(blr_writer *w)
{
    pthread_mutex_lock(&w->lock);
    gtid_pos *p = w->new_start;
    w->new_start = NULL;
    pthread_mutex_unlock(&w->lock);
    if (!p)
        return;
    char err[256], text[GTID_POS_TEXT_MAX];
    if (blr_store_set_initial(w->b->store, p, err, sizeof(err)) < 0)
        set_error(w, 0, "%s", err);
    else {
        gtid_pos_format(p, text, sizeof(text));
        log_notice("binlog relay '%s': starting position set to '%s'", svc_name(w), text);
    }
    free(p);
}

int blr_writer_set_start_pos(blr_writer *w, const gtid_pos *p, char *err, size_t errlen)
{
    uint32_t first, last;
    blr_store_range(w->b->store, &first, &last);
    gtid_pos *copy = malloc(sizeof(*copy));
    if (last != 0 || !copy) {
        free(copy);
        snprintf(err, errlen, "%s",
                 last ? "the relay already has binlog files; gtid_slave_pos can only be set on "
                        "an empty relay"
                      : "out of memory");
        return -1;
    }
    gtid_pos_copy(copy, p);
    pthread_mutex_lock(&w->lock);
    free(w->new_start);
    w->new_start = copy;
    pthread_cond_broadcast(&w->cond);
    pthread_mutex_unlock(&w->lock);
    return 0;
}

static void *writer_main(void *arg)
{
    blr_writer *w = arg;
    while (nap(w, 0)) {
        apply_start_pos(w);
        if (!should_run(w)) {
            set_state(w, "%s", "Stopped (STOP SLAVE)");
            nap(w, 1000);
            continue;
        }
        maybe_expire(w);
        ferry_server *srv = elected_master(w);
        if (!srv) {
            set_state(w, "Waiting for monitor '%s' to elect a master", w->b->svc->cluster);
            nap(w, BLR_RETRY_MS);
            continue;
        }
        pick_master(w, srv);
        set_state(w, "Connecting to master '%s'", srv->name);
        run_session(w);
        nap(w, BLR_RETRY_MS);
    }
    return NULL;
}

blr_writer *blr_writer_start(blr_service *b, char *err, size_t errlen)
{
    blr_writer *w = calloc(1, sizeof(*w));
    if (!w) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    w->b = b;
    pthread_mutex_init(&w->lock, NULL);
    pthread_cond_init(&w->cond, NULL);
    w->crc = blr_store_crc(b->store);
    binlog_trx_init(&w->trx, w->crc);
    if (pthread_create(&w->thread, NULL, writer_main, w) != 0) {
        snprintf(err, errlen, "cannot start the upstream thread");
        blr_writer_free(w);
        return NULL;
    }
    w->started = true;
    return w;
}

void blr_writer_stop(blr_writer *w)
{
    if (!w || !w->started)
        return;
    pthread_mutex_lock(&w->lock);
    w->stop = true;
    pthread_cond_broadcast(&w->cond);
    pthread_mutex_unlock(&w->lock);
    /* A blocked read ends by itself within the heartbeat period or net_timeout. */
    pthread_join(w->thread, NULL);
    w->started = false;
}

void blr_writer_free(blr_writer *w)
{
    if (!w)
        return;
    pthread_mutex_destroy(&w->lock);
    pthread_cond_destroy(&w->cond);
    free(w->new_start);
    free(w);
}

void blr_writer_pause(blr_writer *w, bool stop)
{
    pthread_mutex_lock(&w->lock);
    w->paused = stop;
    w->st.stopped = stop;
    pthread_cond_broadcast(&w->cond);
    pthread_mutex_unlock(&w->lock);
    log_notice("binlog relay '%s': %s", svc_name(w),
               stop ? "STOP SLAVE: upstream replication stopped"
                    : "START SLAVE: upstream replication started");
}
