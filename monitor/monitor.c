/*
 * monitor.c: the monitor framework. ferryd's main calls monitors_init (which
 * runs each monitor's first tick synchronously), monitors_start once the
 * workers run, and monitors_stop at shutdown. Each monitor thread calls its
 * module's tick every interval_ms; the module polls every server at once
 * (monitor_poll_all here; monitor_connect and monitor_query* in
 * monitor_sql.c) and hands its verdict to monitor_publish, which logs state
 * changes, posts the new snapshot to every worker and runs the hooks (events,
 * script, journal: monitor_hooks.c). Routers read their worker's copy with
 * monitor_view. Nothing here knows a particular module (mariadbmon, galeramon).
 */
#include "monitor/monitor.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "monitor/monitor_hooks.h"
#include "server/clock.h"
#include "server/log.h"
#include "server/session.h"
#include "server/worker.h"

static monitor *monitors[MONITOR_MAX];
static size_t nmonitors;
static size_t nstarted; /* monitors[0..nstarted) have a running thread */

/* Each row is written only by its worker's thread (view_update), so no locks. */
static cluster_snapshot *views[WORKER_MAX][MONITOR_MAX];

/* ---- threads ---------------------------------------------------------- */

/* pthread_create with every signal blocked, so signals go to the main thread. */
static int spawn(pthread_t *t, void *(*fn)(void *), void *arg)
{
    sigset_t all, old;
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &old);
    int rc = pthread_create(t, NULL, fn, arg);
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    return rc;
}

typedef struct poll_job {
    monitor *m;
    mon_server *ms;
    monitor_poll_fn poll;
    pthread_t thread;
    bool threaded;
} poll_job;

static void *poll_main(void *arg)
{
    poll_job *job = arg;
    job->poll(job->m, job->ms);
    return NULL;
}

static void reset_cur(mon_server *ms)
{
    memset(&ms->cur, 0, sizeof(ms->cur));
    ms->cur.srv = ms->srv;
    ms->cur.replicates_from = -1;
}

void monitor_poll_all(monitor *m, monitor_poll_fn poll)
{
    poll_job *jobs = calloc(m->nservers, sizeof(*jobs));
    for (size_t i = 0; i < m->nservers; i++) {
        reset_cur(&m->servers[i]);
        if (!jobs || m->nservers == 1) {
            poll(m, &m->servers[i]);
            continue;
        }
        jobs[i] = (poll_job){.m = m, .ms = &m->servers[i], .poll = poll};
        jobs[i].threaded = spawn(&jobs[i].thread, poll_main, &jobs[i]) == 0;
        if (!jobs[i].threaded)
            poll(m, &m->servers[i]);
    }
    for (size_t i = 0; jobs && i < m->nservers; i++)
        if (jobs[i].threaded)
            pthread_join(jobs[i].thread, NULL);
    free(jobs);
}

/* ---- views and publishing --------------------------------------------- */

static void view_update(worker *w, void *arg)
{
    cluster_snapshot *s = arg;
    cluster_snapshot **slot = &views[worker_id(w)][s->monitor_index];
    cluster_snapshot *old = *slot;
    *slot = s; /* the reference taken for this worker moves into the view */
    snapshot_unref(old);
    sessions_notify_snapshot(w, s->monitor_index);
}

static void post_to_workers(cluster_snapshot *s)
{
    int n = workers_count();
    if (!s || n <= 0)
        return;
    for (int i = 0; i < n; i++)
        snapshot_ref(s);
    worker_post_all(view_update, s);
}

const cluster_snapshot *monitor_view(int index)
{
    worker *w = worker_self();
    if (!w || index < 0 || index >= MONITOR_MAX)
        return NULL;
    return views[worker_id(w)][index];
}

cluster_snapshot *monitor_latest(monitor *m)
{
    pthread_mutex_lock(&m->lock);
    cluster_snapshot *s = snapshot_ref(m->latest);
    pthread_mutex_unlock(&m->lock);
    return s;
}

/* "'name'" or "none", for log lines. */
static const char *master_text(const cluster_snapshot *s, char *buf, size_t len)
{
    if (!s || s->master < 0)
        return "none";
    snprintf(buf, len, "'%s'", s->servers[s->master].srv->name);
    return buf;
}

static void log_server_change(const monitor *m, const snap_server *was, const snap_server *now)
{
    char before[128] = "", after[128];
    const ferry_server *srv = now->srv;
    bool down = !(now->state & SRV_RUNNING) && now->last_error[0];
    if (was) {
        snapshot_state_text(was->state, before, sizeof(before));
        strcat(before, " -> ");
    }
    snapshot_state_text(now->state, after, sizeof(after));
    if (now->state & SRV_AUTH_ERROR)
        log_error("monitor '%s': server '%s' (%s:%d): %s%s: the monitor user '%s' cannot log in "
                  "(check the monitor's user and password, and the account's host): %s",
                  m->name, srv->name, srv->address, srv->port, before, after,
                  cfg_str(m->cfg, "user"), now->last_error);
    else
        log_notice("monitor '%s': server '%s' (%s:%d): %s%s%s%s", m->name, srv->name, srv->address,
                   srv->port, before, after, down ? ": " : "", down ? now->last_error : "");
}

/* One line per snapshot at debug level: "master 'g1': g1 [Master, ...], g2 [...]". */
static void log_snapshot(const monitor *m, const cluster_snapshot *s)
{
    if (!log_enabled(LOG_LVL_DEBUG))
        return;
    char line[3000], state[128];
    const char *master = s->master >= 0 ? s->servers[s->master].srv->name : NULL;
    int used = master ? snprintf(line, sizeof(line), "master '%s':", master)
                      : snprintf(line, sizeof(line), "master none:");
    for (size_t i = 0; i < s->nservers && used > 0 && (size_t)used < sizeof(line); i++) {
        snapshot_state_text(s->servers[i].state, state, sizeof(state));
        used += snprintf(line + used, sizeof(line) - (size_t)used, "%s %s [%s]", i ? "," : "",
                         s->servers[i].srv->name, state);
    }
    log_debug("monitor '%s': snapshot %llu: %s", m->name, (unsigned long long)s->seq, line);
}

static void log_changes(const monitor *m, const cluster_snapshot *old, const cluster_snapshot *s)
{
    for (size_t i = 0; i < s->nservers; i++) {
        const snap_server *was = old ? &old->servers[i] : NULL;
        if (!was || was->state != s->servers[i].state)
            log_server_change(m, was, &s->servers[i]);
    }
    int was = old ? old->master : -1;
    if (was == s->master && (old || was < 0))
        return;
    char a[300], b[300];
    log_notice("monitor '%s': master is now %s (was %s)", m->name, master_text(s, a, sizeof(a)),
               master_text(old, b, sizeof(b)));
}

static void run_tick(monitor *m)
{
    m->tick_started_us = clock_mono_us();
    m->ops->tick(m);
}

void monitor_publish(monitor *m, int master)
{
    cluster_snapshot *s = snapshot_new(m->nservers);
    if (!s) {
        log_error("monitor '%s': out of memory building a snapshot", m->name);
        return;
    }
    s->seq = ++m->seq;
    s->taken_ms = clock_now_ms();
    s->monitor_index = m->index;
    s->monitor = m->name;
    s->master = master >= 0 && (size_t)master < m->nservers ? master : -1;
    s->tick_us = clock_mono_us() - m->tick_started_us;
    pthread_mutex_lock(&m->lock);
    for (size_t i = 0; i < m->nservers; i++) {
        s->servers[i] = m->servers[i].cur;
        s->servers[i].srv = m->servers[i].srv;
        s->servers[i].state |= m->servers[i].admin_bits;
        s->servers[i].priority = m->servers[i].priority;
    }
    cluster_snapshot *old = m->latest;
    if (old && old->master != s->master)
        m->master_changes++;
    s->master_changes = m->master_changes;
    m->latest = s; /* takes the creation reference */
    pthread_mutex_unlock(&m->lock);
    log_changes(m, old, s);
    log_snapshot(m, s);
    post_to_workers(s);
    monitor_hooks_published(m, old, s);
    snapshot_unref(old);
}

void monitor_admin_state(monitor *m, uint32_t *admin_bits, int *priority)
{
    pthread_mutex_lock(&m->lock);
    for (size_t i = 0; i < m->nservers; i++) {
        admin_bits[i] = m->servers[i].admin_bits;
        priority[i] = m->servers[i].priority;
    }
    pthread_mutex_unlock(&m->lock);
}

static mon_server *find_server(monitor *m, const char *name)
{
    for (size_t i = 0; i < m->nservers; i++)
        if (strcmp(m->servers[i].srv->name, name) == 0)
            return &m->servers[i];
    return NULL;
}

/* Called with the lock held: tick now. */
static void kick(monitor *m)
{
    m->kick = true;
    pthread_cond_signal(&m->wake);
}

int monitor_set_admin_bits(monitor *m, const char *server, uint32_t bits, bool on)
{
    mon_server *ms = find_server(m, server);
    if (!ms || (bits & ~(uint32_t)(SRV_MAINT | SRV_DRAINING)))
        return -1;
    pthread_mutex_lock(&m->lock);
    ms->admin_bits = on ? ms->admin_bits | bits : ms->admin_bits & ~bits;
    kick(m);
    pthread_mutex_unlock(&m->lock);
    log_notice("monitor '%s': server '%s': %s %s by an operator", m->name, server,
               (bits & SRV_MAINT) ? "maintenance" : "draining", on ? "set" : "cleared");
    return 0;
}

int monitor_set_priority(monitor *m, const char *server, int priority)
{
    mon_server *ms = find_server(m, server);
    if (!ms)
        return -1;
    pthread_mutex_lock(&m->lock);
    int was = ms->priority;
    ms->priority = priority;
    kick(m);
    pthread_mutex_unlock(&m->lock);
    log_notice("monitor '%s': server '%s': priority %d (was %d) set by an operator", m->name,
               server, priority, was);
    return 0;
}

int monitor_switchover(monitor *m, const char *server)
{
    mon_server *ms = find_server(m, server);
    if (!ms)
        return -1;
    if (!m->ops->switchover)
        return -2;
    pthread_mutex_lock(&m->lock);
    m->preferred = (int)(ms - m->servers);
    m->switchover_error[0] = '\0';
    kick(m);
    pthread_mutex_unlock(&m->lock);
    log_notice("monitor '%s': switchover to '%s' requested by an operator", m->name, server);
    return 0;
}

int monitor_preferred(monitor *m)
{
    pthread_mutex_lock(&m->lock);
    int p = m->preferred;
    pthread_mutex_unlock(&m->lock);
    return p;
}

void monitor_end_switchover(monitor *m, int idx, const char *failure)
{
    pthread_mutex_lock(&m->lock);
    bool ended = m->preferred == idx;
    if (ended) {
        m->preferred = -1;
        snprintf(m->switchover_error, sizeof m->switchover_error, "%s", failure ? failure : "");
    }
    pthread_mutex_unlock(&m->lock);
    if (ended && failure)
        log_warning("monitor '%s': switchover to '%s' ended: %s", m->name,
                    m->servers[idx].srv->name, failure);
}

void monitor_switchover_error(monitor *m, char *out, size_t outlen)
{
    pthread_mutex_lock(&m->lock);
    snprintf(out, outlen, "%s", m->switchover_error);
    pthread_mutex_unlock(&m->lock);
}

char *monitor_json(monitor *m)
{
    cluster_snapshot *s = monitor_latest(m);
    char *json = s ? snapshot_to_json(s) : NULL;
    snapshot_unref(s);
    return json;
}

/* ---- lifecycle -------------------------------------------------------- */

static void monitor_free(monitor *m)
{
    if (m->ops && m->ops->free)
        m->ops->free(m);
    monitor_hooks_free(m);
    for (size_t i = 0; i < m->nservers; i++)
        monitor_disconnect(&m->servers[i]);
    snapshot_unref(m->latest);
    pthread_cond_destroy(&m->wake);
    pthread_mutex_destroy(&m->lock);
    free(m->servers);
    free(m);
}

static int monitor_servers(monitor *m, char *err, size_t errlen)
{
    size_t n;
    char **names = cfg_list(m->cfg, "servers", &n);
    m->servers = calloc(n ? n : 1, sizeof(*m->servers));
    if (!m->servers) {
        snprintf(err, errlen, "monitor '%s': out of memory", m->name);
        return -1;
    }
    m->nservers = n;
    for (size_t i = 0; i < n; i++) {
        m->servers[i].srv = srv_find(names[i]);
        if (!m->servers[i].srv) {
            snprintf(err, errlen, "monitor '%s': unknown server '%s'", m->name, names[i]);
            return -1;
        }
        reset_cur(&m->servers[i]);
    }
    return 0;
}

static monitor *monitor_new(const cfg_object *o, int index, const char *datadir, char *err,
                            size_t errlen)
{
    monitor *m = calloc(1, sizeof(*m));
    if (!m) {
        snprintf(err, errlen, "monitor '%s': out of memory", o->name);
        return NULL;
    }
    pthread_condattr_t attr;
    pthread_condattr_init(&attr);
    pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
    pthread_cond_init(&m->wake, &attr);
    pthread_condattr_destroy(&attr);
    pthread_mutex_init(&m->lock, NULL);
    m->index = index;
    m->preferred = -1;
    m->name = o->name;
    m->cfg = o;
    if (monitor_servers(m, err, errlen) != 0 || monitor_hooks_init(m, datadir, err, errlen) != 0) {
        monitor_free(m);
        return NULL;
    }
    const char *module = cfg_str(o, "module");
    m->ops = registry_monitor(module);
    if (!m->ops) {
        snprintf(err, errlen, "monitor '%s': unknown module '%s'", m->name, module);
        monitor_free(m);
        return NULL;
    }
    if (m->ops->init && m->ops->init(m, err, errlen) != 0) {
        monitor_free(m);
        return NULL;
    }
    return m;
}

int monitors_init(const ferry_config *cfg, char *err, size_t errlen)
{
    if (cfg->nmonitors > MONITOR_MAX) {
        snprintf(err, errlen, "too many monitors (%zu, at most %d)", cfg->nmonitors, MONITOR_MAX);
        return -1;
    }
    for (size_t i = 0; i < cfg->nmonitors; i++) {
        monitor *m =
            monitor_new(&cfg->monitors[i], (int)i, cfg_str(&cfg->global, "datadir"), err, errlen);
        if (!m) {
            monitors_stop();
            return -1;
        }
        monitors[nmonitors++] = m;
        run_tick(m);
    }
    return 0;
}

static void deadline_after(struct timespec *ts, const struct timespec *from, int64_t ms)
{
    ts->tv_sec = from->tv_sec + ms / 1000;
    ts->tv_nsec = from->tv_nsec + (ms % 1000) * 1000000;
    if (ts->tv_nsec >= 1000000000) {
        ts->tv_sec++;
        ts->tv_nsec -= 1000000000;
    }
}

static void *monitor_main(void *arg)
{
    monitor *m = arg;
    int64_t interval = cfg_int(m->cfg, "interval_ms");
    pthread_mutex_lock(&m->lock);
    while (!m->stop) {
        struct timespec start, deadline;
        m->kick = false;
        pthread_mutex_unlock(&m->lock);
        clock_gettime(CLOCK_MONOTONIC, &start);
        run_tick(m);
        deadline_after(&deadline, &start, interval);
        pthread_mutex_lock(&m->lock);
        while (!m->stop && !m->kick &&
               pthread_cond_timedwait(&m->wake, &m->lock, &deadline) != ETIMEDOUT)
            ;
    }
    pthread_mutex_unlock(&m->lock);
    return NULL;
}

int monitors_start(void)
{
    for (size_t i = 0; i < nmonitors; i++)
        post_to_workers(monitors[i]->latest); /* before the thread can publish */
    for (; nstarted < nmonitors; nstarted++) {
        if (spawn(&monitors[nstarted]->thread, monitor_main, monitors[nstarted]) != 0) {
            log_error("monitor '%s': cannot start its thread", monitors[nstarted]->name);
            return -1;
        }
    }
    return 0;
}

void monitors_stop(void)
{
    for (size_t i = 0; i < nstarted; i++) {
        pthread_mutex_lock(&monitors[i]->lock);
        monitors[i]->stop = true;
        pthread_cond_signal(&monitors[i]->wake);
        pthread_mutex_unlock(&monitors[i]->lock);
    }
    for (size_t i = 0; i < nstarted; i++)
        pthread_join(monitors[i]->thread, NULL);
    for (size_t i = 0; i < nmonitors; i++)
        monitor_free(monitors[i]);
    nstarted = nmonitors = 0;
}

size_t monitors_count(void)
{
    return nmonitors;
}

monitor *monitor_at(size_t i)
{
    return i < nmonitors ? monitors[i] : NULL;
}

monitor *monitor_find(const char *name)
{
    for (size_t i = 0; i < nmonitors; i++)
        if (strcmp(monitors[i]->name, name) == 0)
            return monitors[i];
    return NULL;
}
