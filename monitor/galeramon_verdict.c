/*
 * galeramon_verdict.c: galeramon's pure decisions (see galeramon.h): node
 * states from polled wsrep facts, the majority cluster, the election, and
 * for the inbound channel the plan and the gtid_slave_pos to start from.
 * galeramon.c and galeramon_inbound.c call them every tick; the unit tests
 * call them directly.
 */
#include "monitor/galeramon.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "monitor/snapshot.h"

/* ---- states ----------------------------------------------------------- */

bool galeramon_donor_serves(const char *sst_method, bool donor_rejects_queries)
{
    return !donor_rejects_queries && sst_method &&
           (strncasecmp(sst_method, "mariabackup", 11) == 0 ||
            strncasecmp(sst_method, "xtrabackup", 10) == 0);
}

static bool has_uuid(const gal_facts *f)
{
    return f->running && f->wsrep && f->cluster_uuid[0] &&
           strcmp(f->cluster_uuid, "00000000-0000-0000-0000-000000000000") != 0;
}

/* How many reporting nodes share node i's uuid, and how many of those are Primary. */
static void count_uuid(const gal_facts *f, size_t n, size_t i, int *same, int *primary)
{
    *same = *primary = 0;
    for (size_t k = 0; k < n; k++) {
        if (has_uuid(&f[k]) && strcmp(f[k].cluster_uuid, f[i].cluster_uuid) == 0) {
            (*same)++;
            *primary += f[k].primary;
        }
    }
}

static bool same_uuid(const gal_facts *f, int a, int b)
{
    return a >= 0 && b >= 0 && has_uuid(&f[a]) && has_uuid(&f[b]) &&
           strcmp(f[a].cluster_uuid, f[b].cluster_uuid) == 0;
}

int galeramon_majority(const gal_facts *f, size_t n, int current_master)
{
    int best = -1, best_same = 0, best_primary = 0;
    for (size_t i = 0; i < n; i++) {
        int same, primary;
        if (!has_uuid(&f[i]))
            continue;
        count_uuid(f, n, i, &same, &primary);
        bool better = best < 0 || same > best_same ||
                      (same == best_same && primary > best_primary) ||
                      (same == best_same && primary == best_primary &&
                       same_uuid(f, (int)i, current_master) && !same_uuid(f, best, current_master));
        if (better) {
            best = (int)i;
            best_same = same;
            best_primary = primary;
        }
    }
    return best;
}

uint32_t galeramon_node_state(const gal_facts *f, const char *cluster_uuid,
                              bool available_when_donor)
{
    if (!f->running)
        return 0;
    uint32_t state = SRV_RUNNING;
    if (!f->wsrep)
        return state;
    if (f->local_state == 1 || f->local_state == 3)
        state |= SRV_JOINING;
    bool donor = f->local_state == 2 && f->vars_ok && !f->desync;
    if (donor)
        state |= SRV_DONOR;
    bool serving = f->local_state == 4 || (donor && available_when_donor && f->donor_serves);
    if (serving && f->vars_ok && f->primary && !f->desync && f->ready && !f->reject_queries &&
        cluster_uuid && strcmp(f->cluster_uuid, cluster_uuid) == 0)
        state |= SRV_SYNCED;
    return state;
}

/* ---- election --------------------------------------------------------- */

static bool eligible(const gal_facts *f, uint32_t state)
{
    return (state & SRV_SYNCED) && !(f->admin_bits & (SRV_MAINT | SRV_DRAINING)) &&
           f->priority >= 0;
}

/* The lowest positive priority; ties go to config order. */
static int by_priority(const gal_facts *f, const uint32_t *states, size_t n)
{
    int best = -1;
    for (size_t i = 0; i < n; i++)
        if (eligible(&f[i], states[i]) && f[i].priority > 0 &&
            (best < 0 || f[i].priority < f[best].priority))
            best = (int)i;
    return best;
}

/* The lowest wsrep_local_index among the nodes without a priority (all of
 * them when priorities are not used). */
static int by_local_index(const gal_facts *f, const uint32_t *states, size_t n, bool use_priority)
{
    int best = -1;
    for (size_t i = 0; i < n; i++)
        if (eligible(&f[i], states[i]) && (!use_priority || f[i].priority == 0) &&
            (best < 0 || f[i].local_index < f[best].local_index))
            best = (int)i;
    return best;
}

int galeramon_elect(const gal_facts *f, const uint32_t *states, size_t n, const gal_policy *p,
                    int current_master)
{
    for (size_t i = 0; i < n; i++)
        if (f[i].preferred && eligible(&f[i], states[i]))
            return (int)i;
    bool has_current = current_master >= 0 && (size_t)current_master < n;
    if (p->disable_master_failback && has_current &&
        eligible(&f[current_master], states[current_master]))
        return current_master;
    int best = p->use_priority ? by_priority(f, states, n) : -1;
    if (best >= 0)
        return best;
    best = by_local_index(f, states, n, p->use_priority);
    /* MaxScale: with failback allowed, the master must be the cluster's root
     * node (index 0); when Ferry cannot use that node there is no master. */
    if (best >= 0 && p->root_node_as_master && !p->disable_master_failback &&
        f[best].local_index != 0)
        return -1;
    return best;
}

int galeramon_verdict(const gal_facts *f, size_t n, const gal_policy *p, int current_master,
                      uint32_t *states)
{
    int ref = galeramon_majority(f, n, current_master);
    const char *uuid = ref >= 0 ? f[ref].cluster_uuid : NULL;
    for (size_t i = 0; i < n; i++)
        states[i] = galeramon_node_state(&f[i], uuid, p->available_when_donor);
    int master = galeramon_elect(f, states, n, p, current_master);
    for (size_t i = 0; i < n; i++) {
        if ((int)i == master)
            states[i] |= SRV_MASTER;
        else if ((states[i] & SRV_SYNCED) && !(f[i].admin_bits & SRV_MAINT))
            states[i] |= SRV_SLAVE;
    }
    return master;
}

/* ---- the inbound channel ---------------------------------------------- */

void galeramon_channel_plan(const gal_channel *c, size_t n, int master, gal_action *out)
{
    for (size_t i = 0; i < n; i++) {
        out[i] = GAL_KEEP;
        if (!c[i].known)
            continue;
        if ((int)i != master)
            out[i] = c[i].present ? GAL_REMOVE : GAL_KEEP;
        else if (!c[i].present || !c[i].matches)
            out[i] = GAL_CREATE;
        else if (!c[i].io_running || !c[i].sql_running)
            out[i] = GAL_START;
    }
}

#define GTID_MAX 256

typedef struct gtid {
    uint32_t domain, server;
    uint64_t seq;
} gtid;

/* Parses "D-S-N,D-S-N" (blanks allowed); malformed items are skipped. */
static size_t gtid_parse(const char *text, gtid *out, size_t max)
{
    size_t n = 0;
    for (const char *p = text; p && *p && n < max;) {
        uint32_t d, s;
        uint64_t q;
        if (sscanf(p, " %" SCNu32 "-%" SCNu32 "-%" SCNu64, &d, &s, &q) == 3)
            out[n++] = (gtid){d, s, q};
        p = strchr(p, ',');
        p = p ? p + 1 : NULL;
    }
    return n;
}

static gtid *gtid_find(gtid *g, size_t n, uint32_t domain)
{
    for (size_t i = 0; i < n; i++)
        if (g[i].domain == domain)
            return &g[i];
    return NULL;
}

static bool is_local(uint32_t domain, const uint32_t *local, size_t nlocal)
{
    for (size_t i = 0; i < nlocal; i++)
        if (local[i] == domain)
            return true;
    return false;
}

static int by_domain(const void *a, const void *b)
{
    uint32_t x = ((const gtid *)a)->domain, y = ((const gtid *)b)->domain;
    return (x > y) - (x < y);
}

/* Moves pos forward to every non-local GTID of list that is further on. */
static size_t advance(gtid *pos, size_t n, const char *list, const uint32_t *local, size_t nlocal)
{
    gtid add[GTID_MAX];
    size_t nadd = gtid_parse(list, add, GTID_MAX);
    for (size_t i = 0; i < nadd; i++) {
        if (is_local(add[i].domain, local, nlocal))
            continue;
        gtid *have = gtid_find(pos, n, add[i].domain);
        if (have && have->seq < add[i].seq)
            *have = add[i];
        else if (!have && n < GTID_MAX)
            pos[n++] = add[i];
    }
    return n;
}

static bool gtid_same(const gtid *a, size_t na, const gtid *b, size_t nb)
{
    if (na != nb)
        return false;
    for (size_t i = 0; i < na; i++)
        if (a[i].domain != b[i].domain || a[i].server != b[i].server || a[i].seq != b[i].seq)
            return false;
    return true;
}

static void gtid_format(const gtid *g, size_t n, char *out, size_t outlen)
{
    size_t used = 0;
    if (outlen)
        out[0] = '\0';
    for (size_t i = 0; i < n && used < outlen; i++) {
        int w = snprintf(out + used, outlen - used, "%s%" PRIu32 "-%" PRIu32 "-%" PRIu64,
                         i ? "," : "", g[i].domain, g[i].server, g[i].seq);
        used += w > 0 ? (size_t)w : 0;
    }
}

bool galeramon_inbound_slave_pos(const char *slave_pos, const char *const *applied, size_t napplied,
                                 const uint32_t *local_domains, size_t nlocal, char *out,
                                 size_t outlen)
{
    gtid pos[GTID_MAX], was[GTID_MAX];
    size_t n = gtid_parse(slave_pos, pos, GTID_MAX), nwas = n;
    memcpy(was, pos, n * sizeof(pos[0]));
    for (size_t i = 0; i < napplied; i++)
        n = advance(pos, n, applied[i], local_domains, nlocal);
    qsort(pos, n, sizeof(pos[0]), by_domain);
    qsort(was, nwas, sizeof(was[0]), by_domain);
    gtid_format(pos, n, out, outlen);
    return !gtid_same(pos, n, was, nwas);
}
