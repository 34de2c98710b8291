/*
 * blr_switch.c: the GTID state the relay asks a master for (see
 * blr_switch.h).
 */
#include "router/blr_switch.h"

#include <stdio.h>

static bool is_wsrep(bool has_wsrep, uint32_t wsrep_domain, uint32_t domain)
{
    return has_wsrep && domain == wsrep_domain;
}

blr_switch_verdict blr_switch_state(const gtid_pos *committed, const gtid_pos *master,
                                    bool has_wsrep, uint32_t wsrep_domain, gtid_pos *out, char *why,
                                    size_t whylen)
{
    gtid_pos_init(out);
    for (uint32_t i = 0; i < committed->n; i++) {
        const gtid_t *c = &committed->v[i];
        const gtid_t *m = gtid_pos_get(master, c->domain);
        if (is_wsrep(has_wsrep, wsrep_domain, c->domain)) {
            if (!m || m->seq < c->seq) {
                char want[GTID_TEXT_MAX + 1];
                gtid_format(c, want, sizeof(want));
                snprintf(why, whylen, "the master has not reached the relay's GTID %s yet", want);
                return BLR_SWITCH_WAIT;
            }
            gtid_pos_set(out, c);
        } else if (m) {
            gtid_pos_set(out, m->seq >= c->seq ? c : m);
        }
    }
    if (committed->n == 0)
        return BLR_SWITCH_OK;
    for (uint32_t i = 0; i < master->n; i++) {
        const gtid_t *m = &master->v[i];
        if (!gtid_pos_get(committed, m->domain) && !is_wsrep(has_wsrep, wsrep_domain, m->domain))
            gtid_pos_set(out, m);
    }
    return BLR_SWITCH_OK;
}
