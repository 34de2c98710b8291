/*
 * metrics.c: Prometheus metrics. admin_get_metrics collects the sessions from
 * the workers (admin_gather) and metrics_render writes one family per table
 * row: per server (state, connections, priority, queries, errors), per
 * monitor (ticks, tick duration, master changes), per service and listener
 * (sessions, client bytes), what each router adds (router_ops.metrics: the
 * binlog relay's), and the process (RSS, CPU, threads, file descriptors,
 * start time).
 */
#include "server/metrics.h"

#include <dirent.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "server/listener.h"
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

static double srv_queries(const srv_row *r)
{
    return (double)atomic_load(&r->srv->queries);
}

static double srv_errors(const srv_row *r)
{
    return (double)atomic_load(&r->srv->errors);
}

static const struct {
    const char *name, *help;
    double (*value)(const srv_row *r);
    bool counter;
} SERVER_FAMILIES[] = {
    {"ferry_server_up", "1 when the monitor reaches the server", srv_up, false},
    {"ferry_server_master", "1 when the server holds the Master role", srv_master, false},
    {"ferry_server_maintenance", "1 when an operator put the server in maintenance", srv_maint,
     false},
    {"ferry_server_draining", "1 when an operator is draining the server", srv_draining, false},
    {"ferry_server_connections", "Current backend connections to the server", srv_conns, false},
    {"ferry_server_priority", "Master election priority in force", srv_priority, false},
    {"ferry_server_queries_total", "Client commands routed to the server", srv_queries, true},
    {"ferry_server_errors_total", "Failed backend logins and backend connections lost mid-session",
     srv_errors, true},
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
    for (size_t f = 0; f < sizeof SERVER_FAMILIES / sizeof SERVER_FAMILIES[0]; f++) {
        family(out, SERVER_FAMILIES[f].name, SERVER_FAMILIES[f].counter ? "counter" : "gauge",
               SERVER_FAMILIES[f].help);
        for (size_t i = 0; i < n; i++)
            sample(out, SERVER_FAMILIES[f].name, "server", rows[i].srv->name,
                   SERVER_FAMILIES[f].value(&rows[i]));
    }
    for (size_t i = 0; i < n; i++)
        snapshot_unref(rows[i].snap);
    free(rows);
}

/* ---- monitors ---- */

static double mon_ticks(const cluster_snapshot *s)
{
    return (double)s->seq;
}

static double mon_tick_duration(const cluster_snapshot *s)
{
    return (double)s->tick_us / 1e6;
}

static double mon_master_changes(const cluster_snapshot *s)
{
    return (double)s->master_changes;
}

static double mon_last_tick(const cluster_snapshot *s)
{
    return (double)s->taken_ms / 1000.0;
}

static const struct {
    const char *name, *help;
    double (*value)(const cluster_snapshot *s);
    bool counter;
} MONITOR_FAMILIES[] = {
    {"ferry_monitor_ticks_total", "Views the monitor has published", mon_ticks, true},
    {"ferry_monitor_last_tick_duration_seconds",
     "How long the monitor's last tick (polling every server) took", mon_tick_duration, false},
    {"ferry_monitor_master_changes_total",
     "Times the monitor's master changed since ferryd started", mon_master_changes, true},
    {"ferry_monitor_last_tick_timestamp_seconds",
     "When the monitor last published a view (Unix time)", mon_last_tick, false},
};

static void render_monitors(FILE *out)
{
    for (size_t f = 0; f < sizeof MONITOR_FAMILIES / sizeof MONITOR_FAMILIES[0]; f++) {
        family(out, MONITOR_FAMILIES[f].name, MONITOR_FAMILIES[f].counter ? "counter" : "gauge",
               MONITOR_FAMILIES[f].help);
        for (size_t i = 0; i < monitors_count(); i++) {
            cluster_snapshot *s = monitor_latest(monitor_at(i));
            sample(out, MONITOR_FAMILIES[f].name, "monitor", monitor_at(i)->name,
                   s ? MONITOR_FAMILIES[f].value(s) : 0);
            snapshot_unref(s);
        }
    }
}

/* ---- services, listeners, sessions ---- */

/* Sessions and client bytes (ended sessions plus live ones) of one service
 * or listener. */
typedef struct traffic_row {
    const char *name;
    double sessions, bytes_in, bytes_out;
} traffic_row;

static traffic_row traffic_of(const admin_sessions *all, const char *svc, const char *lst,
                              const traffic *ended)
{
    uint64_t in, out;
    size_t n = admin_sum_sessions(all, svc, lst, &in, &out);
    return (traffic_row){svc ? svc : lst, (double)n, (double)(in + atomic_load(&ended->bytes_in)),
                         (double)(out + atomic_load(&ended->bytes_out))};
}

/* The three families of one kind ("service" or "listener"). */
static void render_traffic(FILE *out, const char *kind, const traffic_row *rows, size_t n)
{
    static const char *const WHAT[] = {"sessions", "bytes_in_total", "bytes_out_total"};
    static const char *const HELP[] = {"Current client sessions", "Bytes received from clients",
                                       "Bytes sent to clients"};
    for (int k = 0; k < 3; k++) {
        char name[96], help[128];
        snprintf(name, sizeof name, "ferry_%s_%s", kind, WHAT[k]);
        snprintf(help, sizeof help, "%s of the %s", HELP[k], kind);
        family(out, name, k ? "counter" : "gauge", help);
        for (size_t i = 0; i < n; i++)
            sample(out, name, kind, rows[i].name,
                   k == 0   ? rows[i].sessions
                   : k == 1 ? rows[i].bytes_in
                            : rows[i].bytes_out);
    }
}

static void render_sessions(FILE *out, const admin_sessions *all)
{
    const ferry_config *cfg = admin_config();
    size_t ns = services_count(), nl = cfg ? cfg->nlisteners : 0;
    traffic_row *rows = calloc(ns + nl + 1, sizeof *rows);
    if (!rows)
        return;
    for (size_t i = 0; i < ns; i++)
        rows[i] = traffic_of(all, service_at(i)->name, NULL, &service_at(i)->ended);
    render_traffic(out, "service", rows, ns);
    size_t n = 0;
    for (size_t i = 0; i < nl; i++)
        if (listener_at(i))
            rows[n++] = traffic_of(all, NULL, cfg->listeners[i].name, &listener_at(i)->ended);
    render_traffic(out, "listener", rows, n);
    free(rows);
    family(out, "ferry_sessions_accepted_total", "counter",
           "Client connections accepted since start");
    sample(out, "ferry_sessions_accepted_total", NULL, NULL, (double)sessions_accepted());
    family(out, "ferry_workers", "gauge", "Worker threads");
    sample(out, "ferry_workers", NULL, NULL, workers_count());
}

/* ---- what routers add (router_ops.metrics) ---- */

typedef struct svc_samples {
    const service *svc;
    router_metric m[ROUTER_METRICS_MAX];
    size_t n;
} svc_samples;

static void router_sample(FILE *out, const svc_samples *s, const router_metric *m)
{
    char svc[LABEL_MAX], extra[LABEL_MAX];
    metrics_escape(svc, sizeof svc, s->svc->name);
    metrics_escape(extra, sizeof extra, m->label_value);
    fprintf(out, "%s{service=\"%s\"", m->name, svc);
    if (m->label)
        fprintf(out, ",%s=\"%s\"", m->label, extra);
    fprintf(out, "} %.15g\n", m->value);
}

/* Has family name been printed: does it appear before (svc i, sample j)? */
static bool printed(const svc_samples *all, size_t i, size_t j, const char *name)
{
    for (size_t a = 0; a <= i; a++)
        for (size_t b = 0; b < (a == i ? j : all[a].n); b++)
            if (strcmp(all[a].m[b].name, name) == 0)
                return true;
    return false;
}

static void render_routers(FILE *out)
{
    size_t ns = services_count();
    svc_samples *all = calloc(ns ? ns : 1, sizeof *all);
    if (!all)
        return;
    for (size_t i = 0; i < ns; i++) {
        all[i].svc = service_at(i);
        if (all[i].svc->router->metrics)
            all[i].n = all[i].svc->router->metrics(service_at(i), all[i].m, ROUTER_METRICS_MAX);
    }
    for (size_t i = 0; i < ns; i++)
        for (size_t j = 0; j < all[i].n; j++) {
            const router_metric *m = &all[i].m[j];
            if (printed(all, i, j, m->name))
                continue;
            family(out, m->name, m->counter ? "counter" : "gauge", m->help);
            for (size_t a = i; a < ns; a++)
                for (size_t b = 0; b < all[a].n; b++)
                    if (strcmp(all[a].m[b].name, m->name) == 0)
                        router_sample(out, &all[a], &all[a].m[b]);
        }
    free(all);
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
    render_routers(out);
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
