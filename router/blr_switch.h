/*
 * blr_switch.h: the rule that picks the GTID state the relay asks a (new)
 * master for, given what the relay has committed and the master's
 * @@gtid_binlog_state. Pure, so it is unit-tested on the cases the lab
 * notes describe.
 */
#ifndef FERRY_ROUTER_BLR_SWITCH_H
#define FERRY_ROUTER_BLR_SWITCH_H

#include <stdbool.h>
#include <stddef.h>

#include "protocol/gtid.h"

typedef enum blr_switch_verdict {
    BLR_SWITCH_OK,   /* connect with *out as @slave_connect_state */
    BLR_SWITCH_WAIT, /* the master has not reached the relay's wsrep-domain GTID yet */
} blr_switch_verdict;

/*
 * The cluster's wsrep domain (has_wsrep) is asked for exactly at the relay's
 * committed GTID, and only once the master has reached it. Other domains
 * (node-local writes): the relay's GTID when the master's binlog is at or
 * past it, else the master's own last GTID (groups the relay already has are
 * dropped by seq); a domain the master never saw is left out; a domain only
 * the master has is asked from its current GTID (the relay never had that
 * node's local history), unless the relay is empty and wants everything.
 */
blr_switch_verdict blr_switch_state(const gtid_pos *committed, const gtid_pos *master,
                                    bool has_wsrep, uint32_t wsrep_domain, gtid_pos *out, char *why,
                                    size_t whylen);

#endif
