/*
 * galeramon.c: the monitor module for Galera clusters. The monitor framework
 * (monitor.c) calls tick on the monitor's thread: every node is polled at
 * once (wsrep status, variables, and the inbound channel when configured),
 * the pure galeramon_verdict (galeramon_verdict.c) derives the states and
 * elects one master, the snapshot is published, and then the inbound
 * cross-DC channel is moved to the master (galeramon_inbound.c).
 * Registered by server/modules.c; monitor/README.md describes the behaviour.
 */
#include "monitor/galeramon.h"

#include <limits.h>
#include <mysql.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "monitor/galeramon_int.h"
#include "server/log.h"
#include "server/srv.h"

#define STATUS_SQL                                                                                 \
    "SHOW GLOBAL STATUS WHERE Variable_name IN ('wsrep_local_state', "                             \
    "'wsrep_local_state_comment', 'wsrep_cluster_status', 'wsrep_cluster_state_uuid', "            \
    "'wsrep_cluster_size', 'wsrep_local_index', 'wsrep_ready', 'wsrep_local_recv_queue')"

enum {
    V_CURRENT_POS,
    V_BINLOG_POS,
    V_READ_ONLY,
    V_SERVER_ID,
    V_VERSION,
    V_DOMAIN,
    V_WSREP_DOMAIN,
    V_DESYNC,
    V_REJECT,
    V_DONOR_REJECTS,
    V_SST_METHOD,
    V_COUNT,
};

#define VARS_SQL                                                                                   \
    "SELECT @@gtid_current_pos, @@gtid_binlog_pos, @@read_only, @@server_id, "                     \
    "@@version, @@gtid_domain_id, @@wsrep_gtid_domain_id, @@wsrep_desync, "                        \
    "@@wsrep_reject_queries, @@wsrep_sst_donor_rejects_queries, @@wsrep_sst_method"

/* ---- polling ---------------------------------------------------------- */

static void copy_cut(char *dst, size_t len, const char *src)
{
    snprintf(dst, len, "%s", src ? src : "");
}

static bool is_on(const char *v)
{
    return strcasecmp(v, "ON") == 0 || strcmp(v, "1") == 0;
}

static int to_index(const char *v)
{
    char *end;
    long long n = strtoll(v, &end, 10);
    return *v && !*end && n >= 0 && n <= INT_MAX ? (int)n : -1;
}

/* One row of SHOW GLOBAL STATUS. */
static void status_value(const char *name, const char *v, gal_facts *f, snap_server *cur)
{
    if (strcasecmp(name, "wsrep_local_state") == 0) {
        f->wsrep = true;
        cur->wsrep = true;
        cur->wsrep_local_state = f->local_state = atoi(v);
    } else if (strcasecmp(name, "wsrep_local_state_comment") == 0) {
        copy_cut(cur->wsrep_state_comment, sizeof(cur->wsrep_state_comment), v);
    } else if (strcasecmp(name, "wsrep_cluster_status") == 0) {
        f->primary = strcasecmp(v, "Primary") == 0;
        copy_cut(cur->cluster_status, sizeof(cur->cluster_status), v);
    } else if (strcasecmp(name, "wsrep_cluster_state_uuid") == 0) {
        copy_cut(f->cluster_uuid, sizeof(f->cluster_uuid), v);
        copy_cut(cur->cluster_uuid, sizeof(cur->cluster_uuid), v);
    } else if (strcasecmp(name, "wsrep_cluster_size") == 0) {
        cur->cluster_size = atoi(v);
    } else if (strcasecmp(name, "wsrep_local_index") == 0) {
        cur->local_index = f->local_index = to_index(v);
    } else if (strcasecmp(name, "wsrep_ready") == 0) {
        cur->ready = f->ready = is_on(v);
    } else if (strcasecmp(name, "wsrep_local_recv_queue") == 0) {
        cur->recv_queue = atoi(v);
    }
}

static bool poll_status(monitor *m, mon_server *ms, gal_facts *f)
{
    MYSQL_RES *res = monitor_query(m, ms, STATUS_SQL);
    if (!res)
        return false;
    MYSQL_ROW row;
    while ((row = mysql_fetch_row(res)))
        status_value(row[0] ? row[0] : "", row[1] ? row[1] : "", f, &ms->cur);
    mysql_free_result(res);
    return true;
}

static void take_vars(char v[][SNAP_GTID_MAX], gal_node *node, snap_server *cur)
{
    gal_facts *f = &node->f;
    memcpy(cur->gtid_current_pos, v[V_CURRENT_POS], SNAP_GTID_MAX);
    memcpy(cur->gtid_binlog_pos, v[V_BINLOG_POS], SNAP_GTID_MAX);
    cur->read_only = is_on(v[V_READ_ONLY]);
    cur->server_id = (uint32_t)strtoul(v[V_SERVER_ID], NULL, 10);
    copy_cut(cur->version, sizeof(cur->version), v[V_VERSION]);
    cur->gtid_domain_id = node->gtid_domain_id = (uint32_t)strtoul(v[V_DOMAIN], NULL, 10);
    cur->wsrep_gtid_domain_id = node->wsrep_gtid_domain_id =
        (uint32_t)strtoul(v[V_WSREP_DOMAIN], NULL, 10);
    cur->desync = f->desync = is_on(v[V_DESYNC]);
    f->reject_queries = strcasecmp(v[V_REJECT], "NONE") != 0;
    f->donor_serves = galeramon_donor_serves(v[V_SST_METHOD], is_on(v[V_DONOR_REJECTS]));
    f->vars_ok = true;
}

static void gal_poll(monitor *m, mon_server *ms)
{
    gal_state *st = m->data;
    gal_node *node = &st->nodes[ms - m->servers];
    gal_facts *f = &node->f;
    char v[V_COUNT][SNAP_GTID_MAX];
    memset(f, 0, sizeof(*f));
    memset(&node->in, 0, sizeof(node->in));
    f->local_index = ms->cur.local_index = -1;
    if (!poll_status(m, ms, f))
        return;
    if (monitor_query_row(m, ms, VARS_SQL, v, V_COUNT) == 0)
        take_vars(v, node, &ms->cur);
    monitor_note_error(m, ms, node->vars_error, sizeof(node->vars_error),
                       "cannot read the variables (the node is not usable)");
    if (st->has_inbound && ms->conn)
        galeramon_inbound_poll(m, ms, node);
    f->running = ms->conn != NULL;
}

/* ---- the tick --------------------------------------------------------- */

static void remember_domain(gal_state *st, uint32_t domain)
{
    for (size_t i = 0; i < st->nlocal; i++)
        if (st->local_domains[i] == domain)
            return;
    if (st->nlocal < GAL_LOCAL_DOMAINS_MAX)
        st->local_domains[st->nlocal++] = domain;
}

static void gal_tick(monitor *m)
{
    gal_state *st = m->data;
    monitor_poll_all(m, gal_poll);
    gal_facts *facts = calloc(m->nservers ? m->nservers : 1, sizeof(*facts));
    if (!facts) {
        log_error("monitor '%s': out of memory", m->name);
        return;
    }
    /* What operators set, read after the poll so that a change made while
     * it ran counts now. */
    monitor_admin_state(m, st->admin_bits, st->priority);
    int preferred = monitor_preferred(m);
    for (size_t i = 0; i < m->nservers; i++) {
        facts[i] = st->nodes[i].f;
        facts[i].admin_bits = st->admin_bits[i];
        facts[i].priority = st->priority[i];
        facts[i].preferred = (int)i == preferred;
    }
    int master = galeramon_verdict(facts, m->nservers, &st->policy, st->master, st->states);
    free(facts);
    if (preferred >= 0 && master != preferred)
        monitor_end_switchover(m, preferred,
                               "the target is not usable: back to the normal master election");
    for (size_t i = 0; i < m->nservers; i++) {
        gal_node *node = &st->nodes[i];
        m->servers[i].cur.state = st->states[i] | (m->servers[i].cur.state & SRV_AUTH_ERROR);
        if (node->f.vars_ok) {
            remember_domain(st, node->gtid_domain_id);
            remember_domain(st, node->wsrep_gtid_domain_id);
        }
        galeramon_inbound_text(st, node, m->servers[i].cur.inbound,
                               sizeof(m->servers[i].cur.inbound));
    }
    st->master = master;
    monitor_publish(m, master);
    if (st->has_inbound)
        galeramon_inbound_post(m, st);
}

/* ---- the module ------------------------------------------------------- */

static void gal_free(monitor *m)
{
    gal_state *st = m->data;
    if (st) {
        galeramon_inbound_stop(m, st);
        free(st->nodes);
        free(st->states);
        free(st->admin_bits);
        free(st->priority);
        free(st);
    }
    m->data = NULL;
}

/* A channel name goes into SQL as a quoted string: keep it plain. */
static bool valid_channel_name(const char *name)
{
    size_t n = strlen(name);
    return n > 0 && n <= 64 &&
           strspn(name, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
                        "0123456789_-") == n;
}

static int read_inbound(monitor *m, gal_state *st, char *err, size_t errlen)
{
    const cfg_object *g = cfg_group(m->cfg, "inbound_replication");
    if (!g)
        return 0;
    st->has_inbound = true;
    st->inbound = (gal_inbound){
        .name = cfg_str(g, "name"),
        .host = cfg_str(g, "host"),
        .user = cfg_str(g, "user"),
        .password = cfg_str(g, "password"),
        .use_gtid = cfg_str(g, "use_gtid"),
        .port = (int)cfg_int(g, "port"),
    };
    if (valid_channel_name(st->inbound.name))
        return 0;
    snprintf(err, errlen,
             "monitor '%s': inbound_replication: name '%s' must be 1 to 64 letters, digits, '_' "
             "or '-'",
             m->name, st->inbound.name);
    return -1;
}

static int gal_init(monitor *m, char *err, size_t errlen)
{
    size_t n = m->nservers ? m->nservers : 1;
    gal_state *st = calloc(1, sizeof(*st));
    m->data = st;
    if (st) {
        st->nodes = calloc(n, sizeof(*st->nodes));
        st->states = calloc(n, sizeof(*st->states));
        st->admin_bits = calloc(n, sizeof(*st->admin_bits));
        st->priority = calloc(n, sizeof(*st->priority));
    }
    if (!st || !st->nodes || !st->states || !st->admin_bits || !st->priority) {
        gal_free(m);
        snprintf(err, errlen, "monitor '%s': out of memory", m->name);
        return -1;
    }
    st->policy = (gal_policy){
        .use_priority = cfg_bool(m->cfg, "use_priority"),
        .disable_master_failback = cfg_bool(m->cfg, "disable_master_failback"),
        .available_when_donor = cfg_bool(m->cfg, "available_when_donor"),
        .root_node_as_master = cfg_bool(m->cfg, "root_node_as_master"),
    };
    st->master = m->journal_master; /* keeps the master across a restart (failback disabled) */
    if (read_inbound(m, st, err, errlen) != 0 ||
        (st->has_inbound && galeramon_inbound_start(m, st, err, errlen) != 0)) {
        gal_free(m);
        return -1;
    }
    return 0;
}

static const char *const USE_GTID[] = {"slave_pos", "current_pos", NULL};

static const cfg_param INBOUND_PARAMS[] = {
    {.name = "name",
     .type = CFG_STRING,
     .required = true,
     .help = "Connection name of the replication channel on the cluster's master, e.g. \"DR\""},
    {.name = "host",
     .type = CFG_STRING,
     .required = true,
     .help = "Remote site to replicate from (its Ferry's binlog listener, or a server)"},
    {.name = "port",
     .type = CFG_INT,
     .def = "3306",
     .min = 1,
     .max = 65535,
     .help = "TCP port of host"},
    {.name = "user", .type = CFG_STRING, .required = true, .help = "Replication account on host"},
    {.name = "password", .type = CFG_STRING, .required = true, .help = "Password of user"},
    {.name = "use_gtid",
     .type = CFG_ENUM,
     .def = "slave_pos",
     .choices = USE_GTID,
     .help = "MASTER_USE_GTID of the channel"},
    {0},
};

static const cfg_param GAL_PARAMS[] = {
    {.name = "use_priority",
     .type = CFG_BOOL,
     .def = "false",
     .help = "Elect the usable node with the lowest positive server priority; priority 0 "
             "falls back to the lowest wsrep_local_index, a negative one is never master"},
    {.name = "disable_master_failback",
     .type = CFG_BOOL,
     .def = "false",
     .help = "Keep the current master while it stays usable, even when a better one returns "
             "(also across a restart, through the journal)"},
    {.name = "available_when_donor",
     .type = CFG_BOOL,
     .def = "false",
     .help = "A Donor whose SST method keeps it serving (mariabackup) stays usable"},
    {.name = "root_node_as_master",
     .type = CFG_BOOL,
     .def = "false",
     .help = "Without priorities and with failback allowed, only the node with "
             "wsrep_local_index 0 may be master"},
    {.name = "inbound_replication",
     .type = CFG_GROUP,
     .sub = INBOUND_PARAMS,
     .help = "Named replication channel from the remote site that runs on the current master "
             "only; Ferry moves it when the master changes"},
    {0},
};

const monitor_ops GALERAMON_OPS = {
    .name = "galeramon",
    .params = GAL_PARAMS,
    .init = gal_init,
    .tick = gal_tick,
    .free = gal_free,
    .switchover = true,
};
