/*
 * galeramon_inbound.c: the inbound cross-DC channel of galeramon
 * (inbound_replication). Each poll thread reads the channel's state on its
 * node (SHOW ALL SLAVES STATUS) for the snapshot; after every published
 * verdict the tick hands the master to the worker thread, which re-reads
 * every node over its own connections and makes the channel run on the
 * master only: it stops and removes it on every other reachable node, then
 * creates (after checking gtid_slave_pos) or restarts it on the master.
 * Failures are logged once with the server's error and retried after the
 * next tick. monitor/README.md explains what gtid_slave_pos must hold.
 */
#include <mysql.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "monitor/galeramon_int.h"
#include "server/log.h"
#include "server/srv.h"

#define SQL_MAX 2048

/* ---- reading (poll threads) ------------------------------------------- */

static bool is_running(const char *v)
{
    return strcasecmp(v, "Yes") == 0 || strcasecmp(v, "Connecting") == 0 ||
           strcasecmp(v, "Preparing") == 0;
}

typedef struct cols {
    int name, io, sql, host, port, user, gtid, io_err, sql_err;
} cols;

static cols find_cols(MYSQL_RES *res)
{
    return (cols){
        .name = monitor_column(res, "Connection_name"),
        .io = monitor_column(res, "Slave_IO_Running"),
        .sql = monitor_column(res, "Slave_SQL_Running"),
        .host = monitor_column(res, "Master_Host"),
        .port = monitor_column(res, "Master_Port"),
        .user = monitor_column(res, "Master_User"),
        .gtid = monitor_column(res, "Using_Gtid"),
        .io_err = monitor_column(res, "Last_IO_Error"),
        .sql_err = monitor_column(res, "Last_SQL_Error"),
    };
}

static void read_channel(const gal_inbound *cfg, MYSQL_ROW row, const cols *c, gal_seen *in)
{
    const char *io_err = monitor_field(row, c->io_err), *sql_err = monitor_field(row, c->sql_err);
    in->c.present = true;
    snprintf(in->io, sizeof(in->io), "%s", monitor_field(row, c->io));
    snprintf(in->sql, sizeof(in->sql), "%s", monitor_field(row, c->sql));
    in->c.io_running = is_running(in->io);
    in->c.sql_running = strcasecmp(in->sql, "Yes") == 0;
    in->c.matches = strcasecmp(monitor_field(row, c->host), cfg->host) == 0 &&
                    atoi(monitor_field(row, c->port)) == cfg->port &&
                    strcmp(monitor_field(row, c->user), cfg->user) == 0 &&
                    strcasecmp(monitor_field(row, c->gtid), cfg->use_gtid) == 0;
    snprintf(in->error, sizeof(in->error), "%s%s%s", io_err, *io_err && *sql_err ? "; " : "",
             sql_err);
}

void galeramon_inbound_poll(monitor *m, mon_server *ms, gal_node *node)
{
    const gal_state *st = m->data;
    MYSQL_RES *res = monitor_query(m, ms, "SHOW ALL SLAVES STATUS");
    if (res) {
        cols c = find_cols(res);
        MYSQL_ROW row;
        node->in.c.known = true;
        while ((row = mysql_fetch_row(res)))
            if (strcasecmp(monitor_field(row, c.name), st->inbound.name) == 0)
                read_channel(&st->inbound, row, &c, &node->in);
        mysql_free_result(res);
    }
    monitor_note_error(m, ms, node->slaves_error, sizeof(node->slaves_error),
                       "cannot read the replication channels (SHOW ALL SLAVES STATUS)");
}

void galeramon_inbound_text(const gal_state *st, const gal_node *node, char *out, size_t len)
{
    const gal_seen *in = &node->in;
    if (!st->has_inbound || !in->c.known || !in->c.present) {
        snprintf(out, len, "%s", "");
        return;
    }
    snprintf(out, len, "%s: IO %s, SQL %s%s%s", st->inbound.name, in->io, in->sql,
             in->error[0] ? ": " : "", in->error);
}

/* ---- acting (the worker thread) --------------------------------------- */

/* One node as the worker sees it. */
typedef struct target {
    monitor *m;
    const gal_inbound *cfg;
    mon_server *ms;
    gal_node *node;
} target;

static target target_of(monitor *m, gal_state *st, size_t i)
{
    return (target){m, &st->inbound, &st->worker.conns[i], &st->worker.nodes[i]};
}

/* Logs a failed action once per distinct error (the server's error is in
 * ms->cur.last_error). Returns -1. */
static int action_failed(const target *t, const char *what)
{
    if (strcmp(t->node->action_error, t->ms->cur.last_error) != 0)
        log_error("monitor '%s': inbound channel '%s' on '%s': %s failed: %s (retrying after "
                  "every tick)",
                  t->m->name, t->cfg->name, t->ms->srv->name, what, t->ms->cur.last_error);
    snprintf(t->node->action_error, sizeof(t->node->action_error), "%s", t->ms->cur.last_error);
    return -1;
}

static void action_done(const target *t)
{
    t->node->action_error[0] = '\0';
}

/* Runs "VERB SLAVE 'name' [tail]". */
static int slave_cmd(const target *t, const char *verb, const char *tail)
{
    char sql[256];
    snprintf(sql, sizeof(sql), "%s SLAVE '%s'%s", verb, t->cfg->name, tail);
    return monitor_exec(t->m, t->ms, sql, NULL) == 0 ? 0 : action_failed(t, sql);
}

static int drop_channel(const target *t)
{
    return slave_cmd(t, "STOP", "") == 0 && slave_cmd(t, "RESET", " ALL") == 0 ? 0 : -1;
}

/* Stops and removes the channel on a node that is not the master; keeps its
 * gtid_slave_pos afterwards in applied (what it has applied, for the new master). */
static void remove_channel(const target *t, char *applied)
{
    if (drop_channel(t) != 0)
        return;
    action_done(t);
    char pos[1][SNAP_GTID_MAX];
    if (monitor_query_row(t->m, t->ms, "SELECT @@gtid_slave_pos", pos, 1) == 0)
        memcpy(applied, pos[0], SNAP_GTID_MAX);
    log_notice("monitor '%s': inbound channel '%s' stopped and removed on '%s' (not the master; "
               "its gtid_slave_pos: '%s')",
               t->m->name, t->cfg->name, t->ms->srv->name, applied);
}

/* Reads the node's positions after waiting until it has applied every
 * write-set the cluster committed so far (wsrep_sync_wait). */
static int read_positions(const target *t, char pos[2][SNAP_GTID_MAX])
{
    if (monitor_exec(t->m, t->ms, "SET SESSION wsrep_sync_wait = 1", NULL) != 0)
        return -1;
    int rc = monitor_query_row(t->m, t->ms, "SELECT @@gtid_slave_pos, @@gtid_binlog_pos", pos, 2);
    if (monitor_exec(t->m, t->ms, "SET SESSION wsrep_sync_wait = 0", NULL) != 0)
        return -1;
    return rc;
}

/* Moves the master's gtid_slave_pos past what the cluster has already
 * applied from the remote: its own binlog, and the gtid_slave_pos of the
 * nodes the channel was just removed from (applied[], "" for the others).
 * README: "What gtid_slave_pos must hold". */
static int fix_slave_pos(const target *t, const gal_worker *w, size_t n,
                         char applied[][SNAP_GTID_MAX])
{
    char pos[2][SNAP_GTID_MAX], want[SNAP_GTID_MAX], sql[SNAP_GTID_MAX + 64];
    const char *lists[GAL_LOCAL_DOMAINS_MAX];
    size_t nlists = 0;
    if (read_positions(t, pos) != 0)
        return action_failed(t, "reading gtid_slave_pos");
    lists[nlists++] = pos[1];
    for (size_t k = 0; k < n && nlists < GAL_LOCAL_DOMAINS_MAX; k++)
        lists[nlists++] = applied[k];
    if (!galeramon_inbound_slave_pos(pos[0], lists, nlists, w->local_domains, w->nlocal, want,
                                     sizeof(want)))
        return 0;
    snprintf(sql, sizeof(sql), "SET GLOBAL gtid_slave_pos = '%s'", want);
    if (monitor_exec(t->m, t->ms, sql, NULL) != 0)
        return action_failed(t, "SET GLOBAL gtid_slave_pos");
    log_notice("monitor '%s': '%s': gtid_slave_pos moved from '%s' to '%s' (what the cluster "
               "has already applied from the remote site)",
               t->m->name, t->ms->srv->name, pos[0], want);
    return 0;
}

/* An escaped copy of s for a quoted SQL string (malloc'ed). */
static char *escaped(MYSQL *c, const char *s)
{
    size_t n = strlen(s);
    char *out = malloc(2 * n + 1);
    if (out)
        mysql_real_escape_string(c, out, s, (unsigned long)n);
    return out;
}

static int change_master(const target *t)
{
    const gal_inbound *in = t->cfg;
    char sql[SQL_MAX], label[128];
    if (!monitor_connect(t->m, t->ms))
        return action_failed(t, "connecting");
    char *host = escaped(t->ms->conn, in->host), *user = escaped(t->ms->conn, in->user);
    char *password = escaped(t->ms->conn, in->password);
    int n = host && user && password
                ? snprintf(sql, sizeof(sql),
                           "CHANGE MASTER '%s' TO MASTER_HOST = '%s', MASTER_PORT = %d, "
                           "MASTER_USER = '%s', MASTER_PASSWORD = '%s', MASTER_USE_GTID = %s",
                           in->name, host, in->port, user, password, in->use_gtid)
                : -1;
    free(host);
    free(user);
    free(password);
    snprintf(label, sizeof(label), "CHANGE MASTER '%s' TO MASTER_HOST = '%s', ...", in->name,
             in->host);
    if (n < 0 || (size_t)n >= sizeof(sql)) {
        snprintf(t->ms->cur.last_error, sizeof(t->ms->cur.last_error), "statement too long");
        return action_failed(t, label);
    }
    return monitor_exec(t->m, t->ms, sql, label) == 0 ? 0 : action_failed(t, label);
}

static void create_channel(const target *t, const gal_worker *w, size_t n,
                           char applied[][SNAP_GTID_MAX])
{
    if (t->node->in.c.present && drop_channel(t) != 0)
        return;
    if (strcmp(t->cfg->use_gtid, "slave_pos") == 0 && fix_slave_pos(t, w, n, applied) != 0)
        return;
    if (change_master(t) != 0 || slave_cmd(t, "START", "") != 0)
        return;
    action_done(t);
    log_notice("monitor '%s': inbound channel '%s' started on the master '%s' (from %s:%d)",
               t->m->name, t->cfg->name, t->ms->srv->name, t->cfg->host, t->cfg->port);
}

static void start_channel(const target *t)
{
    if (slave_cmd(t, "START", "") != 0)
        return;
    action_done(t);
    log_notice("monitor '%s': inbound channel '%s' was stopped on the master '%s' (IO %s, SQL "
               "%s): started it",
               t->m->name, t->cfg->name, t->ms->srv->name, t->node->in.io, t->node->in.sql);
}

/* The channel's own errors on the master (Last_IO_Error, Last_SQL_Error), once each. */
static void report_errors(monitor *m, gal_state *st, int master)
{
    gal_worker *w = &st->worker;
    for (size_t i = 0; i < m->nservers; i++) {
        gal_node *node = &w->nodes[i];
        const char *now = (int)i == master && node->in.c.present ? node->in.error : "";
        if (now[0] && strcmp(now, node->channel_error) != 0)
            log_warning("monitor '%s': inbound channel '%s' on '%s' reports: %s", m->name,
                        st->inbound.name, m->servers[i].srv->name, now);
        snprintf(node->channel_error, sizeof(node->channel_error), "%s", now);
    }
}

/* One pass: read every node, then act. */
static void reconcile(monitor *m, gal_state *st, int master, char applied[][SNAP_GTID_MAX])
{
    gal_worker *w = &st->worker;
    size_t n = m->nservers;
    for (size_t i = 0; i < n; i++) {
        memset(&w->nodes[i].in, 0, sizeof(w->nodes[i].in));
        w->conns[i].cur.last_error[0] = '\0';
        galeramon_inbound_poll(m, &w->conns[i], &w->nodes[i]);
        w->channels[i] = w->nodes[i].in.c;
        applied[i][0] = '\0';
    }
    galeramon_channel_plan(w->channels, n, master, w->actions);
    for (size_t i = 0; i < n; i++) {
        target t = target_of(m, st, i);
        if (w->actions[i] == GAL_REMOVE)
            remove_channel(&t, applied[i]);
    }
    if (master >= 0) {
        target t = target_of(m, st, (size_t)master);
        if (w->actions[master] == GAL_CREATE)
            create_channel(&t, w, n, applied);
        else if (w->actions[master] == GAL_START)
            start_channel(&t);
    }
    report_errors(m, st, master);
}

static void *worker_main(void *arg)
{
    monitor *m = arg;
    gal_state *st = m->data;
    gal_worker *w = &st->worker;
    char(*applied)[SNAP_GTID_MAX] = calloc(m->nservers ? m->nservers : 1, SNAP_GTID_MAX);
    pthread_mutex_lock(&w->lock);
    while (applied) {
        while (!w->stop && !w->pending)
            pthread_cond_wait(&w->wake, &w->lock);
        if (w->stop)
            break;
        int master = w->master;
        w->pending = false;
        pthread_mutex_unlock(&w->lock);
        reconcile(m, st, master, applied);
        pthread_mutex_lock(&w->lock);
    }
    pthread_mutex_unlock(&w->lock);
    if (!applied)
        log_error("monitor '%s': out of memory: the inbound channel is not managed", m->name);
    free(applied);
    return NULL;
}

void galeramon_inbound_post(monitor *m, gal_state *st)
{
    gal_worker *w = &st->worker;
    pthread_mutex_lock(&w->lock);
    w->master = st->master;
    memcpy(w->local_domains, st->local_domains, sizeof(w->local_domains));
    w->nlocal = st->nlocal;
    w->pending = true; /* a busy worker takes the latest verdict when it is done */
    pthread_cond_signal(&w->wake);
    pthread_mutex_unlock(&w->lock);
}

int galeramon_inbound_start(monitor *m, gal_state *st, char *err, size_t errlen)
{
    gal_worker *w = &st->worker;
    size_t n = m->nservers ? m->nservers : 1;
    w->conns = calloc(n, sizeof(*w->conns));
    w->nodes = calloc(n, sizeof(*w->nodes));
    w->channels = calloc(n, sizeof(*w->channels));
    w->actions = calloc(n, sizeof(*w->actions));
    if (!w->conns || !w->nodes || !w->channels || !w->actions) {
        snprintf(err, errlen, "monitor '%s': out of memory", m->name);
        return -1;
    }
    for (size_t i = 0; i < m->nservers; i++)
        w->conns[i].srv = m->servers[i].srv;
    pthread_mutex_init(&w->lock, NULL);
    pthread_cond_init(&w->wake, NULL);
    sigset_t all, old;
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &old);
    int rc = pthread_create(&w->thread, NULL, worker_main, m);
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    w->started = rc == 0;
    if (rc != 0)
        snprintf(err, errlen, "monitor '%s': cannot start the inbound channel thread: %s", m->name,
                 strerror(rc));
    return rc == 0 ? 0 : -1;
}

void galeramon_inbound_stop(monitor *m, gal_state *st)
{
    gal_worker *w = &st->worker;
    if (w->started) {
        pthread_mutex_lock(&w->lock);
        w->stop = true;
        pthread_cond_signal(&w->wake);
        pthread_mutex_unlock(&w->lock);
        pthread_join(w->thread, NULL);
        pthread_cond_destroy(&w->wake);
        pthread_mutex_destroy(&w->lock);
        w->started = false;
    }
    for (size_t i = 0; w->conns && i < m->nservers; i++)
        monitor_disconnect(&w->conns[i]);
    free(w->conns);
    free(w->nodes);
    free(w->channels);
    free(w->actions);
    memset(w, 0, sizeof(*w));
}
