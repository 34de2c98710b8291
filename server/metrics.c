/*
 * metrics.c: Prometheus metrics. admin_get_metrics collects the sessions from
 * the workers (admin_gather) and metrics_render writes one family per table
 * row: per server (state, connections, priority), per monitor (ticks, last
 * tick), per service and listener (sessions), and the process (RSS, CPU,
 * threads, file descriptors, start time).
 */
#include "server/metrics.h"

#include <dirent.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "server/service.h"
#include "server/session.h"
#include "server/srv.h"
#include "server/worker.h"

#define LABEL_MAX 512

void metrics_escape(char *out, size_t outlen, const char *value)
{
    size_t n = 0;
    for (const char *p = value; *p && n + 3 < outlen; p++) {
        if (*p == '\\' || *p == '"' || *p == '\n') {
            out[n++] = '\\';
            out[n++] = *p == '\n' ? 'n' : *p;
        } else {
            out[n++] = *p;
        }
    }
    out[n] = '\0';
}

static void family(FILE *out, const char *name, const char *type, const char *help)
{
    fprintf(out, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

/* name{key="value"} v; key NULL: no labels. */
static void sample(FILE *out, const char *name, const char *key, const char *value, double v)
{
    char esc[LABEL_MAX];
    if (key) {
        metrics_escape(esc, sizeof esc, value);
        fprintf(out, "%s{%s=\"%s\"} %.15g\n", name, key, esc, v);
    } else {
        fprintf(out, "%s %.15g\n", name, v);
    }
}

/* ---- servers ---- */

typedef struct srv_row {
    const ferry_server *srv;
    const snap_server *ss; /* NULL: no monitor or no view yet */
    cluster_snapshot *snap;
} srv_row;

static double srv_up(const srv_row *r)
{
    return r->ss && (r->ss->state & SRV_RUNNING);
}

static double srv_master(const srv_row *r)
{
    return r->ss && (r->ss->state & SRV_MASTER);
}

static double srv_maint(const srv_row *r)
{
    return r->ss && (r->ss->state & SRV_MAINT);
}

static double srv_draining(const srv_row *r)
{
    return r->ss && (r->ss->state & SRV_DRAINING);
}

static double srv_conns(const srv_row *r)
{
    return atomic_load(&r->srv->connections);
}

static double srv_priority(const srv_row *r)
{
    return r->ss ? r->ss->priority : r->srv->priority;
}

static const struct {
    const char *name, *help;
    double (*value)(const srv_row *r);
} SERVER_GAUGES[] = {
    {"ferry_server_up", "1 when the monitor reaches the server", srv_up},
    {"ferry_server_master", "1 when the server holds the Master role", srv_master},
    {"ferry_server_maintenance", "1 when an operator put the server in maintenance", srv_maint},
    {"ferry_server_draining", "1 when an operator is draining the server", srv_draining},
    {"ferry_server_connections", "Current backend connections to the server", srv_conns},
    {"ferry_server_priority", "Master election priority in force", srv_priority},
};

static void render_servers(FILE *out)
{
    size_t n = srv_count();
    srv_row *rows = calloc(n ? n : 1, sizeof *rows);
    if (!rows)
        return;
    for (size_t i = 0; i < n; i++) {
        rows[i].srv = srv_at(i);
        admin_monitor_of(rows[i].srv, &rows[i].snap, &rows[i].ss);
    }
    for (size_t f = 0; f < sizeof SERVER_GAUGES / sizeof SERVER_GAUGES[0]; f++) {
        family(out, SERVER_GAUGES[f].name, "gauge", SERVER_GAUGES[f].help);
        for (size_t i = 0; i < n; i++)
            sample(out, SERVER_GAUGES[f].name, "server", rows[i].srv->name,
                   SERVER_GAUGES[f].value(&rows[i]));
    }
    for (size_t i = 0; i < n; i++)
        snapshot_unref(rows[i].snap);
    free(rows);
}

/* ---- monitors ---- */

static void render_monitors(FILE *out)
{
    family(out, "ferry_monitor_ticks_total", "counter", "Views the monitor has published");
    for (size_t i = 0; i < monitors_count(); i++) {
        cluster_snapshot *s = monitor_latest(monitor_at(i));
        sample(out, "ferry_monitor_ticks_total", "monitor", monitor_at(i)->name,
               s ? (double)s->seq : 0);
        snapshot_unref(s);
    }
    family(out, "ferry_monitor_last_tick_timestamp_seconds", "gauge",
           "When the monitor last published a view (Unix time)");
    for (size_t i = 0; i < monitors_count(); i++) {
        cluster_snapshot *s = monitor_latest(monitor_at(i));
        sample(out, "ferry_monitor_last_tick_timestamp_seconds", "monitor", monitor_at(i)->name,
               s ? (double)s->taken_ms / 1000.0 : 0);
        snapshot_unref(s);
    }
}

/* ---- services, listeners, sessions ---- */

static void render_sessions(FILE *out, const admin_sessions *all)
{
    const ferry_config *cfg = admin_config();
    family(out, "ferry_service_sessions", "gauge", "Current client sessions of the service");
    for (size_t i = 0; i < services_count(); i++)
        sample(out, "ferry_service_sessions", "service", service_at(i)->name,
               (double)admin_count_sessions(all, service_at(i)->name, NULL));
    family(out, "ferry_listener_sessions", "gauge", "Current client sessions of the listener");
    for (size_t i = 0; cfg && i < cfg->nlisteners; i++)
        sample(out, "ferry_listener_sessions", "listener", cfg->listeners[i].name,
               (double)admin_count_sessions(all, NULL, cfg->listeners[i].name));
    family(out, "ferry_sessions_accepted_total", "counter",
           "Client connections accepted since start");
    sample(out, "ferry_sessions_accepted_total", NULL, NULL, (double)sessions_accepted());
    family(out, "ferry_workers", "gauge", "Worker threads");
    sample(out, "ferry_workers", NULL, NULL, workers_count());
}

/* ---- the process ---- */

/* Fields 3.. of /proc/self/stat (after "pid (comm)"); fields[k] is field k + 3. */
static int read_stat(unsigned long long *fields, int n)
{
    char buf[2048];
    FILE *f = fopen("/proc/self/stat", "r");
    size_t len = f ? fread(buf, 1, sizeof buf - 1, f) : 0;
    if (f)
        fclose(f);
    buf[len] = '\0';
    char *p = strrchr(buf, ')');
    if (!p)
        return -1;
    p += 2;
    p += strcspn(p, " "); /* the state letter */
    for (int i = 1; i < n; i++)
        fields[i] = strtoull(p, &p, 10);
    return 0;
}

static double boot_time(void)
{
    char line[256];
    double btime = 0;
    FILE *f = fopen("/proc/stat", "r");
    while (f && fgets(line, sizeof line, f))
        if (sscanf(line, "btime %lf", &btime) == 1)
            break;
    if (f)
        fclose(f);
    return btime;
}

static double open_fds(void)
{
    DIR *d = opendir("/proc/self/fd");
    double n = 0;
    while (d && readdir(d))
        n++;
    if (d)
        closedir(d);
    return n > 3 ? n - 3 : 0; /* ".", ".." and the directory's own fd */
}

/* Field numbers of proc(5), stat. */
enum { F_UTIME = 14, F_STIME = 15, F_THREADS = 20, F_START = 22, F_VSIZE = 23, F_RSS = 24 };

static void render_process(FILE *out)
{
    unsigned long long st[F_RSS - 2] = {0};
    if (read_stat(st, F_RSS - 2) < 0)
        return;
#define STAT(field) ((double)st[(field)-3])
    double tick = (double)sysconf(_SC_CLK_TCK), page = (double)sysconf(_SC_PAGESIZE);
    family(out, "process_cpu_seconds_total", "counter", "User and system CPU time");
    sample(out, "process_cpu_seconds_total", NULL, NULL, (STAT(F_UTIME) + STAT(F_STIME)) / tick);
    family(out, "process_resident_memory_bytes", "gauge", "Resident memory");
    sample(out, "process_resident_memory_bytes", NULL, NULL, STAT(F_RSS) * page);
    family(out, "process_virtual_memory_bytes", "gauge", "Virtual memory");
    sample(out, "process_virtual_memory_bytes", NULL, NULL, STAT(F_VSIZE));
    family(out, "process_threads", "gauge", "Threads of ferryd");
    sample(out, "process_threads", NULL, NULL, STAT(F_THREADS));
    family(out, "process_open_fds", "gauge", "Open file descriptors");
    sample(out, "process_open_fds", NULL, NULL, open_fds());
    family(out, "process_start_time_seconds", "gauge", "Start time (Unix time)");
    sample(out, "process_start_time_seconds", NULL, NULL, boot_time() + STAT(F_START) / tick);
#undef STAT
}

void metrics_render(FILE *out, const admin_sessions *all)
{
    family(out, "ferry_info", "gauge", "Ferry's version");
    sample(out, "ferry_info", "version", FERRY_VERSION, 1);
    render_servers(out);
    render_monitors(out);
    render_sessions(out, all);
    render_process(out);
}

static void metrics_done(struct evhttp_request *req, const admin_sessions *all, const char *key)
{
    char *text = NULL;
    size_t len = 0;
    FILE *out = open_memstream(&text, &len);
    if (!out) {
        admin_reply_error(req, 503, "out of memory");
        return;
    }
    metrics_render(out, all);
    fclose(out);
    struct evbuffer *body = evbuffer_new();
    evbuffer_add(body, text, len);
    free(text);
    admin_reply_text(req, 200, "text/plain; version=0.0.4; charset=utf-8", body);
    evbuffer_free(body);
}

void admin_get_metrics(const admin_req *r)
{
    admin_gather(r->req, 0, NULL, metrics_done);
}
