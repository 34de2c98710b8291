/*
 * snapshot.c: the reference-counted, immutable cluster snapshot. Monitors
 * create one per tick (monitor_publish); workers, routers and the admin
 * socket read it and drop their reference when a newer one arrives.
 */
#include "monitor/snapshot.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

cluster_snapshot *snapshot_new(size_t nservers)
{
    cluster_snapshot *s = calloc(1, sizeof(*s) + nservers * sizeof(s->servers[0]));
    if (!s)
        return NULL;
    atomic_init(&s->refs, 1);
    s->master = -1;
    s->nservers = nservers;
    for (size_t i = 0; i < nservers; i++)
        s->servers[i].replicates_from = -1;
    return s;
}

cluster_snapshot *snapshot_ref(cluster_snapshot *s)
{
    if (s)
        atomic_fetch_add_explicit(&s->refs, 1, memory_order_relaxed);
    return s;
}

void snapshot_unref(cluster_snapshot *s)
{
    if (s && atomic_fetch_sub_explicit(&s->refs, 1, memory_order_acq_rel) == 1)
        free(s);
}

const snap_server *snapshot_find(const cluster_snapshot *s, const struct ferry_server *srv)
{
    if (!s)
        return NULL;
    for (size_t i = 0; i < s->nservers; i++)
        if (s->servers[i].srv == srv)
            return &s->servers[i];
    return NULL;
}

static const struct {
    uint32_t bit;
    const char *name;
} STATE_NAMES[] = {
    {SRV_MAINT, "Maintenance"}, {SRV_DRAINING, "Draining"},     {SRV_MASTER, "Master"},
    {SRV_SLAVE, "Slave"},       {SRV_SYNCED, "Synced"},         {SRV_DONOR, "Donor"},
    {SRV_JOINING, "Joining"},   {SRV_AUTH_ERROR, "Auth Error"}, {SRV_RUNNING, "Running"},
};

#define NSTATES (sizeof(STATE_NAMES) / sizeof(STATE_NAMES[0]))

const char *snapshot_state_name(uint32_t state, size_t *i)
{
    while (*i < NSTATES) {
        size_t k = (*i)++;
        if (state & STATE_NAMES[k].bit)
            return STATE_NAMES[k].name;
    }
    if (*i == NSTATES && !(state & SRV_RUNNING)) {
        (*i)++;
        return "Down";
    }
    return NULL;
}

void snapshot_state_text(uint32_t state, char *out, size_t outlen)
{
    size_t used = 0, i = 0;
    const char *name;
    if (outlen == 0)
        return;
    out[0] = '\0';
    while ((name = snapshot_state_name(state, &i))) {
        int n = snprintf(out + used, outlen - used, "%s%s", used ? ", " : "", name);
        if (n < 0 || (size_t)n >= outlen - used)
            return;
        used += (size_t)n;
    }
}

const snap_server *snapshot_cluster_ref(const cluster_snapshot *s)
{
    if (!s)
        return NULL;
    if (s->master >= 0 && (size_t)s->master < s->nservers)
        return &s->servers[s->master];
    for (size_t i = 0; i < s->nservers; i++)
        if (s->servers[i].state & SRV_SYNCED)
            return &s->servers[i];
    return NULL;
}
