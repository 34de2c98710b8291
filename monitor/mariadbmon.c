/*
 * mariadbmon.c: the monitor module for plain MariaDB primary/replica setups.
 * The monitor framework (monitor.c) calls tick on the monitor's thread: it
 * polls every server concurrently (variables and SHOW ALL SLAVES STATUS),
 * decides who is Master and who is Slave with the pure mariadbmon_verdict,
 * and publishes the snapshot. Registered by server/modules.c.
 */
#include "monitor/mariadbmon.h"

#include <mysql.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "monitor/monitor.h"
#include "server/log.h"

#define VARS_SQL       "SELECT @@read_only, @@server_id, @@version, @@gtid_current_pos, @@gtid_binlog_pos"
#define SLAVES_SQL     "SHOW ALL SLAVES STATUS"
#define SLAVES_ERR_MAX 256

/* ---- the verdict (pure) ----------------------------------------------- */

static int find_server(const mdb_facts *f, size_t n, const char *host, int port)
{
    for (size_t i = 0; i < n; i++)
        if (f[i].port == port && strcasecmp(f[i].address, host) == 0)
            return (int)i;
    return -1;
}

/* The monitored server i replicates from, or -1. */
static int replication_source(const mdb_facts *f, size_t n, size_t i)
{
    if (!f[i].running)
        return -1;
    for (size_t r = 0; r < f[i].nrepl; r++) {
        const mdb_repl *repl = &f[i].repl[r];
        int src = find_server(f, n, repl->master_host, repl->master_port);
        if (src < 0 || (size_t)src == i || !repl->sql_running)
            continue;
        if (repl->io == MDB_IO_YES || (repl->io == MDB_IO_CONNECTING && !f[src].running))
            return src;
    }
    return -1;
}

static bool is_candidate(const mdb_facts *f, int replicates_from)
{
    return f->running && !f->read_only && replicates_from < 0;
}

static bool has_slaves(const int *replicates_from, size_t n, size_t i)
{
    for (size_t k = 0; k < n; k++)
        if (replicates_from[k] == (int)i)
            return true;
    return false;
}

mdb_verdict mariadbmon_verdict(const mdb_facts *f, size_t n, int current_master, uint32_t *roles,
                               int *replicates_from)
{
    mdb_verdict v = {.master = -1, .nwritable = 0};
    int best_score = -1;
    for (size_t i = 0; i < n; i++) {
        replicates_from[i] = replication_source(f, n, i);
        roles[i] = replicates_from[i] >= 0 ? SRV_SLAVE : 0;
    }
    for (size_t i = 0; i < n; i++) {
        if (!is_candidate(&f[i], replicates_from[i]))
            continue;
        v.nwritable++;
        int score = (has_slaves(replicates_from, n, i) ? 2 : 0) + ((int)i == current_master);
        if (score > best_score) {
            best_score = score;
            v.master = (int)i;
        }
    }
    if (v.master >= 0)
        roles[v.master] = SRV_MASTER;
    return v;
}

/* ---- polling ---------------------------------------------------------- */

typedef struct mdb_state {
    int master;                         /* the last verdict */
    int nwritable;                      /* the last verdict's, to warn once */
    mdb_facts *facts;                   /* per server, written by its poll */
    char (*repl_error)[SLAVES_ERR_MAX]; /* per server: last SHOW ALL SLAVES STATUS error */
    uint32_t *roles;
    int *replicates_from;
} mdb_state;

/* Copies src into dst (len bytes), cutting it short if needed. */
static void copy_cut(char *dst, size_t len, const char *src)
{
    size_t n = strnlen(src, len - 1);
    memcpy(dst, src, n);
    dst[n] = '\0';
}

static mdb_io parse_io(const char *s)
{
    if (strcasecmp(s, "Yes") == 0)
        return MDB_IO_YES;
    if (strcasecmp(s, "Connecting") == 0 || strcasecmp(s, "Preparing") == 0)
        return MDB_IO_CONNECTING;
    return MDB_IO_NO;
}

static void read_slaves(MYSQL_RES *res, mdb_facts *f)
{
    int host = monitor_column(res, "Master_Host"), port = monitor_column(res, "Master_Port");
    int name = monitor_column(res, "Connection_name");
    int io = monitor_column(res, "Slave_IO_Running"),
        sql = monitor_column(res, "Slave_SQL_Running");
    MYSQL_ROW row;
    while (f->nrepl < MDB_REPL_MAX && (row = mysql_fetch_row(res))) {
        mdb_repl *r = &f->repl[f->nrepl++];
        copy_cut(r->name, sizeof(r->name), monitor_field(row, name));
        copy_cut(r->master_host, sizeof(r->master_host), monitor_field(row, host));
        r->master_port = atoi(monitor_field(row, port));
        r->io = parse_io(monitor_field(row, io));
        r->sql_running = strcasecmp(monitor_field(row, sql), "Yes") == 0;
    }
}

static bool is_off(const char *v)
{
    return strcmp(v, "0") == 0 || strcasecmp(v, "OFF") == 0;
}

static void mdb_poll(monitor *m, mon_server *ms)
{
    mdb_state *st = m->data;
    size_t i = (size_t)(ms - m->servers);
    mdb_facts *f = &st->facts[i];
    char v[5][SNAP_GTID_MAX];
    f->running = false;
    f->nrepl = 0;
    if (monitor_query_row(m, ms, VARS_SQL, v, 5) != 0)
        return;
    ms->cur.read_only = f->read_only = !is_off(v[0]);
    ms->cur.server_id = (uint32_t)strtoul(v[1], NULL, 10);
    copy_cut(ms->cur.version, sizeof(ms->cur.version), v[2]);
    memcpy(ms->cur.gtid_current_pos, v[3], SNAP_GTID_MAX);
    memcpy(ms->cur.gtid_binlog_pos, v[4], SNAP_GTID_MAX);
    MYSQL_RES *res = monitor_query(m, ms, SLAVES_SQL);
    if (res) {
        read_slaves(res, f);
        mysql_free_result(res);
    }
    /* A server error (say, a missing privilege) leaves the server Running
     * without replication facts. */
    monitor_note_error(m, ms, st->repl_error[i], SLAVES_ERR_MAX, "cannot read replication status");
    f->running = ms->conn != NULL;
    if (f->running)
        ms->cur.state = SRV_RUNNING;
}

/* ---- the module ------------------------------------------------------- */

static void warn_writable(monitor *m, mdb_state *st, mdb_verdict v)
{
    if (v.nwritable > 1 && v.nwritable != st->nwritable) {
        char list[512] = "";
        for (size_t i = 0; i < m->nservers; i++)
            if (is_candidate(&st->facts[i], st->replicates_from[i]))
                snprintf(list + strlen(list), sizeof(list) - strlen(list), "%s'%s'",
                         list[0] ? ", " : "", m->servers[i].srv->name);
        log_warning("monitor '%s': %d writable servers replicate from no monitored server (%s); "
                    "'%s' is master",
                    m->name, v.nwritable, list, m->servers[v.master].srv->name);
    }
    st->nwritable = v.nwritable;
}

static mdb_verdict poll_and_judge(monitor *m, mdb_state *st)
{
    monitor_poll_all(m, mdb_poll);
    return mariadbmon_verdict(st->facts, m->nservers, st->master, st->roles, st->replicates_from);
}

/* An operator's switchover, if one is pending: done, it ends; failed, it ends
 * with the reason. Returns the verdict after it. */
static mdb_verdict switch_if_asked(monitor *m, mdb_state *st, mdb_verdict v)
{
    int target = monitor_preferred(m);
    char err[512];
    if (target < 0)
        return v;
    if (target == v.master) {
        monitor_end_switchover(m, target, NULL);
        return v;
    }
    if (v.master < 0) {
        monitor_end_switchover(m, target, "there is no master to switch over from");
        return v;
    }
    const char *old = m->servers[v.master].srv->name, *new = m->servers[target].srv->name;
    log_notice("monitor '%s': switchover from '%s' to '%s' starts", m->name, old, new);
    if (mariadbmon_switchover(m, st->facts, st->replicates_from, v.master, target, err,
                              sizeof err) < 0) {
        log_error("monitor '%s': switchover from '%s' to '%s' failed: %s", m->name, old, new, err);
        monitor_end_switchover(m, target, err);
        return poll_and_judge(m, st);
    }
    log_notice("monitor '%s': switchover from '%s' to '%s' done", m->name, old, new);
    v = poll_and_judge(m, st);
    monitor_end_switchover(m, target, v.master == target ? NULL : "the target is not writable");
    return v;
}

static void mdb_tick(monitor *m)
{
    mdb_state *st = m->data;
    mdb_verdict v = switch_if_asked(m, st, poll_and_judge(m, st));
    for (size_t i = 0; i < m->nservers; i++) {
        m->servers[i].cur.state |= st->roles[i];
        m->servers[i].cur.replicates_from = st->replicates_from[i];
    }
    warn_writable(m, st, v);
    st->master = v.master;
    monitor_publish(m, v.master);
}

static void mdb_free(monitor *m)
{
    mdb_state *st = m->data;
    if (st) {
        free(st->facts);
        free(st->repl_error);
        free(st->roles);
        free(st->replicates_from);
        free(st);
    }
    m->data = NULL;
}

static int mdb_init(monitor *m, char *err, size_t errlen)
{
    size_t n = m->nservers ? m->nservers : 1;
    mdb_state *st = calloc(1, sizeof(*st));
    m->data = st;
    if (st) {
        st->master = -1;
        st->facts = calloc(n, sizeof(*st->facts));
        st->repl_error = calloc(n, sizeof(*st->repl_error));
        st->roles = calloc(n, sizeof(*st->roles));
        st->replicates_from = calloc(n, sizeof(*st->replicates_from));
    }
    if (!st || !st->facts || !st->repl_error || !st->roles || !st->replicates_from) {
        mdb_free(m);
        snprintf(err, errlen, "monitor '%s': out of memory", m->name);
        return -1;
    }
    for (size_t i = 0; i < m->nservers; i++) {
        st->facts[i].address = m->servers[i].srv->address;
        st->facts[i].port = m->servers[i].srv->port;
    }
    return 0;
}

static const cfg_param MDB_PARAMS[] = {
    {.name = "replication_user",
     .type = CFG_STRING,
     .def = "",
     .help = "User the replicas log in to a new master with after a switchover (needs "
             "REPLICATION SLAVE); the monitor's user also needs READ_ONLY ADMIN (or SUPER), "
             "RELOAD and REPLICATION SLAVE ADMIN"},
    {.name = "replication_password",
     .type = CFG_STRING,
     .def = "",
     .help = "Password of replication_user (may be encrypted)"},
    {.name = "switchover_timeout_ms",
     .type = CFG_INT,
     .def = "30000",
     .min = 1000,
     .max = 3600000,
     .help = "How long a switchover waits for the target to apply the old master's last "
             "transaction before it gives up and makes the old master writable again"},
    {.name = NULL},
};

const monitor_ops MARIADBMON_OPS = {
    .name = "mariadbmon",
    .params = MDB_PARAMS,
    .switchover = true,
    .init = mdb_init,
    .tick = mdb_tick,
    .free = mdb_free,
};
