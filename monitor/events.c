/*
 * events.c: derives monitor events from state changes (see events.h) and
 * parses the `events` parameter. Pure; called by monitor.c after a publish.
 */
#include "monitor/events.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "monitor/snapshot.h"

static const struct {
    mon_event ev;
    const char *name;
} EVENT_NAMES[] = {
    {MEV_MASTER_DOWN, "master_down"}, {MEV_MASTER_UP, "master_up"},
    {MEV_SLAVE_DOWN, "slave_down"},   {MEV_SLAVE_UP, "slave_up"},
    {MEV_SERVER_DOWN, "server_down"}, {MEV_SERVER_UP, "server_up"},
    {MEV_SYNCED_DOWN, "synced_down"}, {MEV_SYNCED_UP, "synced_up"},
    {MEV_DONOR_DOWN, "donor_down"},   {MEV_DONOR_UP, "donor_up"},
    {MEV_LOST_MASTER, "lost_master"}, {MEV_LOST_SLAVE, "lost_slave"},
    {MEV_LOST_SYNCED, "lost_synced"}, {MEV_NEW_MASTER, "new_master"},
    {MEV_NEW_SLAVE, "new_slave"},     {MEV_NEW_SYNCED, "new_synced"},
};

#define NEVENTS (sizeof(EVENT_NAMES) / sizeof(EVENT_NAMES[0]))

/* The bits whose change can make an event. */
#define ROLE_BITS  (SRV_MASTER | SRV_SLAVE | SRV_SYNCED)
#define EVENT_BITS (SRV_RUNNING | ROLE_BITS | SRV_DONOR | SRV_MAINT)

const char *monitor_event_name(mon_event ev)
{
    for (size_t i = 0; i < NEVENTS; i++)
        if (EVENT_NAMES[i].ev == ev)
            return EVENT_NAMES[i].name;
    return NULL;
}

static mon_event event_named(const char *name, size_t len)
{
    for (size_t i = 0; i < NEVENTS; i++)
        if (strlen(EVENT_NAMES[i].name) == len && strncmp(EVENT_NAMES[i].name, name, len) == 0)
            return EVENT_NAMES[i].ev;
    return MEV_NONE;
}

static int unknown_event(const char *name, size_t len, char *err, size_t errlen)
{
    int used = snprintf(err, errlen, "unknown event '%.*s' (known: all", (int)len, name);
    for (size_t i = 0; i < NEVENTS && used >= 0 && (size_t)used < errlen; i++)
        used += snprintf(err + used, errlen - (size_t)used, ", %s", EVENT_NAMES[i].name);
    if (used >= 0 && (size_t)used < errlen)
        snprintf(err + used, errlen - (size_t)used, ")");
    return -1;
}

int monitor_events_parse(const char *text, uint32_t *mask, char *err, size_t errlen)
{
    static const char *const SEP = ", \t";
    *mask = 0;
    for (const char *p = text + strspn(text, SEP); *p; p += strspn(p, SEP)) {
        size_t len = strcspn(p, SEP);
        mon_event ev = event_named(p, len);
        if (len == 3 && strncmp(p, "all", 3) == 0)
            *mask |= MEV_ALL;
        else if (ev == MEV_NONE)
            return unknown_event(p, len, err, errlen);
        *mask |= ev;
        p += len;
    }
    if (*mask != 0)
        return 0;
    snprintf(err, errlen, "no events given (use \"all\")");
    return -1;
}

/* The event named after the best role in state, from a table in role order:
 * master, slave, synced, donor, then the fallback. */
static mon_event by_role(uint32_t state, const mon_event ev[5])
{
    static const uint32_t ROLES[4] = {SRV_MASTER, SRV_SLAVE, SRV_SYNCED, SRV_DONOR};
    for (size_t i = 0; i < 4; i++)
        if (state & ROLES[i])
            return ev[i];
    return ev[4];
}

static const mon_event UP[5] = {MEV_MASTER_UP, MEV_SLAVE_UP, MEV_SYNCED_UP, MEV_DONOR_UP,
                                MEV_SERVER_UP};
static const mon_event DOWN[5] = {MEV_MASTER_DOWN, MEV_SLAVE_DOWN, MEV_SYNCED_DOWN, MEV_DONOR_DOWN,
                                  MEV_SERVER_DOWN};
static const mon_event NEW[5] = {MEV_NEW_MASTER, MEV_NEW_SLAVE, MEV_NEW_SYNCED, MEV_NONE, MEV_NONE};
static const mon_event LOST[5] = {MEV_LOST_MASTER, MEV_LOST_SLAVE, MEV_LOST_SYNCED, MEV_NONE,
                                  MEV_NONE};

/* Running before and after: which role was gained or lost. A move between
 * Master and Slave is new_* (as in MaxScale); otherwise Master/Slave changes
 * come before a Synced change. */
static mon_event role_change(uint32_t before, uint32_t after)
{
    uint32_t ms_before = before & (SRV_MASTER | SRV_SLAVE),
             ms_after = after & (SRV_MASTER | SRV_SLAVE);
    if (ms_before != ms_after)
        return ms_after ? by_role(ms_after, NEW) : by_role(ms_before, LOST);
    if ((before ^ after) & SRV_SYNCED)
        return (after & SRV_SYNCED) ? MEV_NEW_SYNCED : MEV_LOST_SYNCED;
    return MEV_NONE;
}

mon_event monitor_event_for(uint32_t before, uint32_t after)
{
    if (before == MON_STATE_UNKNOWN)
        return MEV_NONE;
    before &= EVENT_BITS;
    after &= EVENT_BITS;
    if (before == after || ((before | after) & SRV_MAINT))
        return MEV_NONE;
    bool was_up = before & SRV_RUNNING, is_up = after & SRV_RUNNING;
    if (!was_up && is_up)
        return by_role(after, UP);
    if (was_up && !is_up)
        return by_role(before, DOWN);
    if (!is_up)
        return MEV_NONE;
    return role_change(before, after);
}

/* Ordering groups (see events.h). */
static int group_of(uint32_t before, mon_event ev)
{
    if (before != MON_STATE_UNKNOWN && (before & SRV_MASTER))
        return 0;
    if (ev == MEV_NEW_MASTER || ev == MEV_MASTER_UP)
        return 3;
    bool gain = ev & (MEV_MASTER_UP | MEV_SLAVE_UP | MEV_SERVER_UP | MEV_SYNCED_UP | MEV_DONOR_UP |
                      MEV_NEW_MASTER | MEV_NEW_SLAVE | MEV_NEW_SYNCED);
    return gain ? 2 : 1;
}

size_t monitor_events_derive(const uint32_t *before, const uint32_t *after, size_t n,
                             mon_event_rec *out)
{
    size_t count = 0;
    for (int group = 0; group < 4; group++) {
        for (size_t i = 0; i < n; i++) {
            mon_event ev = monitor_event_for(before[i], after[i]);
            if (ev != MEV_NONE && group_of(before[i], ev) == group)
                out[count++] = (mon_event_rec){.server = i, .event = ev};
        }
    }
    return count;
}
