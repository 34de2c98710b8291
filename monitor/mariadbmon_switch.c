/*
 * mariadbmon_switch.c: mariadbmon's switchover, run on the monitor's thread
 * right after a poll. The old master goes read-only; the target, a replica
 * of it, must apply everything the old master wrote (its @@gtid_current_pos
 * must cover the old master's @@gtid_binlog_pos within
 * switchover_timeout_ms), then drops its replication connection and becomes writable; finally the
 * old master and the other replicas replicate from the target with MASTER_USE_GTID=current_pos. If
 * the target cannot catch up, the old master is made writable again and nothing else changes.
 */
#include "monitor/mariadbmon.h"

#include <mysql.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "monitor/monitor.h"
#include "protocol/gtid.h"
#include "protocol/packet.h"
#include "server/log.h"

#define SQL_MAX      2048
#define WAIT_STEP_MS 100

typedef struct switch_ctx {
    monitor *m;
    const mdb_facts *f;
    const int *replicates_from;
    mon_server *old, *target;
    char *err;
    size_t errlen;
} switch_ctx;

static const char *name_of(const mon_server *ms)
{
    return ms->srv->name;
}

/* Runs sql on ms; on failure fills the context's err with what and the server's error. */
static int run(switch_ctx *c, mon_server *ms, const char *sql, const char *label)
{
    if (monitor_exec(c->m, ms, sql, label) == 0)
        return 0;
    snprintf(c->err, c->errlen, "'%s': %s", name_of(ms), ms->cur.last_error);
    return -1;
}

/* The replication connection of server i that points at the old master. */
static const mdb_repl *link_to_old(const switch_ctx *c, size_t i)
{
    const mdb_facts *f = &c->f[i], *old = &c->f[c->old - c->m->servers];
    for (size_t r = 0; r < f->nrepl; r++)
        if (f->repl[r].master_port == old->port &&
            strcasecmp(f->repl[r].master_host, old->address) == 0)
            return &f->repl[r];
    return NULL;
}

/* Escapes s for a quoted SQL string (at most outlen - 1 bytes of output). */
static int quote(MYSQL *conn, const char *s, char *out, size_t outlen)
{
    if (!conn || strlen(s) * 2 + 1 > outlen)
        return -1;
    mysql_real_escape_string(conn, out, s, (unsigned long)strlen(s));
    return 0;
}

/* Whether GTID position text have contains every GTID of want. -1: not GTIDs. */
static int covers(const char *have, const char *want)
{
    gtid_pos h, w;
    if (gtid_pos_parse(&h, have, strlen(have), NULL) != PROTO_OK ||
        gtid_pos_parse(&w, want, strlen(want), NULL) != PROTO_OK)
        return -1;
    return gtid_pos_first_ahead(&w, &h) == NULL;
}

/* Waits until the target's @@gtid_current_pos holds the old master's last
 * write (want, its @@gtid_binlog_pos), polling every WAIT_STEP_MS. */
static int catch_up(switch_ctx *c, const char *want)
{
    int64_t limit = cfg_int(c->m->cfg, "switchover_timeout_ms");
    char v[1][SNAP_GTID_MAX];
    for (int64_t waited = 0; waited <= limit; waited += WAIT_STEP_MS) {
        if (monitor_query_row(c->m, c->target, "SELECT @@gtid_current_pos", v, 1) != 0) {
            snprintf(c->err, c->errlen, "'%s': %s", name_of(c->target), c->target->cur.last_error);
            return -1;
        }
        int rc = covers(v[0], want);
        if (rc != 0) {
            if (rc < 0)
                snprintf(c->err, c->errlen, "cannot compare GTID positions '%s' and '%s'", v[0],
                         want);
            return rc > 0 ? 0 : -1;
        }
        nanosleep(&(struct timespec){0, WAIT_STEP_MS * 1000000L}, NULL);
    }
    snprintf(c->err, c->errlen, "'%s' did not apply the old master's GTID %s within %lld ms",
             name_of(c->target), want, (long long)limit);
    return -1;
}

static int promote(switch_ctx *c)
{
    const mdb_repl *link = link_to_old(c, (size_t)(c->target - c->m->servers));
    char name[2 * sizeof link->name + 1], sql[SQL_MAX];
    if (!link || quote(c->target->conn, link->name, name, sizeof name) < 0) {
        snprintf(c->err, c->errlen, "'%s' has no replication connection to the old master",
                 name_of(c->target));
        return -1;
    }
    snprintf(sql, sizeof sql, "STOP SLAVE '%s'", name);
    if (run(c, c->target, sql, NULL) < 0)
        return -1;
    snprintf(sql, sizeof sql, "RESET SLAVE '%s' ALL", name);
    if (run(c, c->target, sql, NULL) < 0) {
        snprintf(sql, sizeof sql, "START SLAVE '%s'", name); /* as it was */
        monitor_exec(c->m, c->target, sql, NULL);
        return -1;
    }
    return run(c, c->target, "SET GLOBAL read_only = 0", NULL);
}

/* Points ms's replication connection conn (its name) at the target and starts it. */
static int redirect(switch_ctx *c, mon_server *ms, const char *conn)
{
    const char *user = cfg_str(c->m->cfg, "replication_user");
    const char *pw = cfg_str(c->m->cfg, "replication_password");
    char conn_name[2 * sizeof(((mdb_repl *)0)->name) + 1], quser[256], qpw[512], qhost[512],
        sql[SQL_MAX];
    if (quote(ms->conn, conn, conn_name, sizeof conn_name) < 0 ||
        quote(ms->conn, user, quser, sizeof quser) < 0 ||
        quote(ms->conn, pw ? pw : "", qpw, sizeof qpw) < 0 ||
        quote(ms->conn, c->target->srv->address, qhost, sizeof qhost) < 0) {
        snprintf(c->err, c->errlen, "'%s': cannot quote the replication settings", name_of(ms));
        return -1;
    }
    snprintf(sql, sizeof sql, "STOP SLAVE '%s'", conn_name);
    if (run(c, ms, sql, NULL) < 0)
        return -1;
    snprintf(sql, sizeof sql,
             "CHANGE MASTER '%s' TO MASTER_HOST = '%s', MASTER_PORT = %d, MASTER_USER = '%s', "
             "MASTER_PASSWORD = '%s', MASTER_USE_GTID = current_pos",
             conn_name, qhost, c->target->srv->port, quser, qpw);
    if (run(c, ms, sql, "CHANGE MASTER TO the new master") < 0)
        return -1;
    snprintf(sql, sizeof sql, "START SLAVE '%s'", conn_name);
    return run(c, ms, sql, NULL);
}

/* The old master and every other replica of it now replicate from the target.
 * A failure here is logged: the switchover itself has happened. */
static void redirect_all(switch_ctx *c)
{
    int old = (int)(c->old - c->m->servers);
    for (size_t i = 0; i < c->m->nservers; i++) {
        mon_server *ms = &c->m->servers[i];
        if (ms == c->target || ((int)i != old && c->replicates_from[i] != old))
            continue;
        const mdb_repl *link = (int)i == old ? NULL : link_to_old(c, i);
        if (redirect(c, ms, link ? link->name : "") < 0)
            log_error("monitor '%s': switchover: cannot make '%s' replicate from '%s': %s",
                      c->m->name, name_of(ms), name_of(c->target), c->err);
    }
}

int mariadbmon_switchover(struct monitor *m, const mdb_facts *f, const int *replicates_from,
                          int old, int target, char *err, size_t errlen)
{
    switch_ctx c = {m, f, replicates_from, &m->servers[old], &m->servers[target], err, errlen};
    char v[1][SNAP_GTID_MAX];
    if (!*cfg_str(m->cfg, "replication_user")) {
        snprintf(err, errlen, "set replication_user and replication_password on the monitor");
        return -1;
    }
    if (replicates_from[target] != old) {
        snprintf(err, errlen, "'%s' does not replicate from the master '%s'", name_of(c.target),
                 name_of(c.old));
        return -1;
    }
    if (run(&c, c.old, "SET GLOBAL read_only = 1", NULL) < 0)
        return -1;
    int rc = monitor_query_row(m, c.old, "SELECT @@gtid_binlog_pos", v, 1);
    if (rc != 0)
        snprintf(err, errlen, "'%s': %s", name_of(c.old), c.old->cur.last_error);
    if (rc != 0 || catch_up(&c, v[0]) < 0 || promote(&c) < 0) {
        monitor_exec(m, c.old, "SET GLOBAL read_only = 0", NULL); /* the old master stays */
        return -1;
    }
    redirect_all(&c);
    return 0;
}
