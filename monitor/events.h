/*
 * events.h: monitor events, derived from the change of one server's state
 * between two snapshots, with the names a MaxScale monitor script expects
 * (master_down, new_slave, ...). Pure functions; monitor.c calls them after
 * every publish and hands the events to the script runner (script.h).
 */
#ifndef FERRY_MONITOR_EVENTS_H
#define FERRY_MONITOR_EVENTS_H

#include <stddef.h>
#include <stdint.h>

/* One bit per event, so that the `events` parameter is a mask. */
typedef enum mon_event {
    MEV_NONE = 0,
    MEV_MASTER_DOWN = 1u << 0,
    MEV_MASTER_UP = 1u << 1,
    MEV_SLAVE_DOWN = 1u << 2,
    MEV_SLAVE_UP = 1u << 3,
    MEV_SERVER_DOWN = 1u << 4,
    MEV_SERVER_UP = 1u << 5,
    MEV_SYNCED_DOWN = 1u << 6,
    MEV_SYNCED_UP = 1u << 7,
    MEV_DONOR_DOWN = 1u << 8,
    MEV_DONOR_UP = 1u << 9,
    MEV_LOST_MASTER = 1u << 10,
    MEV_LOST_SLAVE = 1u << 11,
    MEV_LOST_SYNCED = 1u << 12,
    MEV_NEW_MASTER = 1u << 13,
    MEV_NEW_SLAVE = 1u << 14,
    MEV_NEW_SYNCED = 1u << 15,
} mon_event;

#define MEV_ALL 0xffffu

/* A previous state that is not known (first tick without a journal): no event. */
#define MON_STATE_UNKNOWN UINT32_MAX

typedef struct mon_event_rec {
    size_t server; /* index into the monitor's servers */
    mon_event event;
} mon_event_rec;

/* "master_down" etc.; NULL for MEV_NONE or a combination. */
const char *monitor_event_name(mon_event ev);

/* Parses the `events` parameter: "all", or names separated by commas and
 * blanks. Returns 0, or -1 with the unknown name (and the known ones) in err. */
int monitor_events_parse(const char *text, uint32_t *mask, char *err, size_t errlen);

/* The event of one server whose state went from before to after, as MaxScale
 * derives it: Running gained is *_up, lost is *_down (named after the best
 * role: master, slave, synced, donor, else server); while running, gaining
 * Master/Slave/Synced is new_*, losing it is lost_*. Changes into or out of
 * Maintenance, and changes of other bits (Joining, Draining), give none. */
mon_event monitor_event_for(uint32_t before, uint32_t after);

/* The events of every server, in the order a failover script wants them:
 * first the server that was Master, then the other *_down and lost_* events,
 * then the other *_up and new_* events, and last the new master's
 * (new_master, master_up); config order within each group. before[i] may be
 * MON_STATE_UNKNOWN. out holds n entries; returns how many it filled. */
size_t monitor_events_derive(const uint32_t *before, const uint32_t *after, size_t n,
                             mon_event_rec *out);

#endif
