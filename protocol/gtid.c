/*
 * gtid.c: MariaDB GTIDs and GTID positions (one GTID per domain, sorted by
 * domain): the text form "D-S-N,D-S-N", per-domain lookup and update, and the
 * comparisons the binlog relay uses to decide what a replica already has.
 */
#include "protocol/gtid.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "protocol/packet.h"

size_t gtid_format(const gtid_t *g, char *out, size_t cap)
{
    int n = snprintf(out, cap, "%" PRIu32 "-%" PRIu32 "-%" PRIu64, g->domain, g->server_id, g->seq);
    return n < 0 ? 0 : (size_t)n;
}

static bool is_blank(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

static const char *skip_blank(const char *s, const char *end)
{
    while (s < end && is_blank(*s))
        s++;
    return s;
}

/* Reads a decimal number <= max after optional blanks; false on no digits or overflow. */
static bool parse_num(const char **sp, const char *end, uint64_t max, uint64_t *out)
{
    const char *s = skip_blank(*sp, end);
    uint64_t v = 0;
    const char *start = s;
    for (; s < end && *s >= '0' && *s <= '9'; s++) {
        uint64_t d = (uint64_t)(*s - '0');
        if (v > (max - d) / 10)
            return false;
        v = v * 10 + d;
    }
    if (s == start)
        return false;
    *sp = s;
    *out = v;
    return true;
}

/* Consumes blanks and then c. */
static bool expect_char(const char **sp, const char *end, char c)
{
    const char *s = skip_blank(*sp, end);
    if (s == end || *s != c)
        return false;
    *sp = s + 1;
    return true;
}

/* Reads "D-S-N" with optional blanks between the parts. */
static bool parse_one(const char **sp, const char *end, gtid_t *g, const char **why)
{
    uint64_t d, s, n;
    if (!parse_num(sp, end, UINT32_MAX, &d)) {
        *why = "expected a domain id (0..4294967295)";
        return false;
    }
    if (!expect_char(sp, end, '-') || !parse_num(sp, end, UINT32_MAX, &s)) {
        *why = "expected '-' and a server id (0..4294967295) after the domain id";
        return false;
    }
    if (!expect_char(sp, end, '-') || !parse_num(sp, end, UINT64_MAX, &n)) {
        *why = "expected '-' and a sequence number (0..18446744073709551615) after the server id";
        return false;
    }
    g->domain = (uint32_t)d;
    g->server_id = (uint32_t)s;
    g->seq = n;
    return true;
}

int gtid_parse(const char *s, size_t len, gtid_t *g)
{
    const char *why;
    const char *end = s + len;
    if (!parse_one(&s, end, g, &why) || skip_blank(s, end) != end)
        return PROTO_BAD;
    return PROTO_OK;
}

void gtid_pos_init(gtid_pos *p)
{
    p->n = 0;
}

void gtid_pos_copy(gtid_pos *dst, const gtid_pos *src)
{
    if (dst == src)
        return;
    dst->n = src->n;
    memcpy(dst->v, src->v, src->n * sizeof src->v[0]);
}

bool gtid_pos_equal(const gtid_pos *a, const gtid_pos *b)
{
    if (a->n != b->n)
        return false;
    for (uint32_t i = 0; i < a->n; i++) {
        const gtid_t *x = &a->v[i], *y = &b->v[i];
        if (x->domain != y->domain || x->server_id != y->server_id || x->seq != y->seq)
            return false;
    }
    return true;
}

/* Index of domain in p, or of the slot where it would be inserted (*found false). */
static uint32_t find_slot(const gtid_pos *p, uint32_t domain, bool *found)
{
    uint32_t lo = 0, hi = p->n;
    while (lo < hi) {
        uint32_t mid = lo + (hi - lo) / 2;
        if (p->v[mid].domain < domain)
            lo = mid + 1;
        else
            hi = mid;
    }
    *found = lo < p->n && p->v[lo].domain == domain;
    return lo;
}

int gtid_pos_parse(gtid_pos *p, const char *s, size_t len, const char **why)
{
    const char *dummy;
    const char **reason = why ? why : &dummy;
    const char *end = s + len;
    gtid_pos_init(p);
    *reason = NULL;
    if (skip_blank(s, end) == end)
        return PROTO_OK;
    for (;;) {
        gtid_t g;
        bool dup;
        if (!parse_one(&s, end, &g, reason))
            goto bad;
        find_slot(p, g.domain, &dup);
        if (dup) {
            *reason = "a domain id appears more than once";
            goto bad;
        }
        if (gtid_pos_set(p, &g) != PROTO_OK) {
            *reason = "too many domains (at most 256)";
            goto bad;
        }
        s = skip_blank(s, end);
        if (s == end)
            return PROTO_OK;
        if (*s != ',') {
            *reason = "expected ',' between GTIDs";
            goto bad;
        }
        s++;
    }
bad:
    gtid_pos_init(p);
    return PROTO_BAD;
}

size_t gtid_pos_format(const gtid_pos *p, char *out, size_t cap)
{
    size_t total = 0;
    if (cap > 0)
        out[0] = '\0';
    for (uint32_t i = 0; i < p->n; i++) {
        char one[GTID_TEXT_MAX + 2];
        size_t n = 0;
        if (i > 0)
            one[n++] = ',';
        n += gtid_format(&p->v[i], one + n, sizeof one - n);
        if (total + n < cap)
            memcpy(out + total, one, n + 1);
        total += n;
    }
    return total;
}

const gtid_t *gtid_pos_get(const gtid_pos *p, uint32_t domain)
{
    bool found;
    uint32_t i = find_slot(p, domain, &found);
    return found ? &p->v[i] : NULL;
}

int gtid_pos_set(gtid_pos *p, const gtid_t *g)
{
    bool found;
    uint32_t i = find_slot(p, g->domain, &found);
    if (!found) {
        if (p->n >= GTID_POS_MAX)
            return PROTO_BAD;
        memmove(&p->v[i + 1], &p->v[i], (p->n - i) * sizeof p->v[0]);
        p->n++;
    }
    p->v[i] = *g;
    return PROTO_OK;
}

int gtid_pos_update(gtid_pos *p, const gtid_t *g)
{
    if (gtid_pos_contains(p, g))
        return 0;
    return gtid_pos_set(p, g) == PROTO_OK ? 1 : PROTO_BAD;
}

bool gtid_pos_remove(gtid_pos *p, uint32_t domain)
{
    bool found;
    uint32_t i = find_slot(p, domain, &found);
    if (!found)
        return false;
    memmove(&p->v[i], &p->v[i + 1], (p->n - i - 1) * sizeof p->v[0]);
    p->n--;
    return true;
}

bool gtid_pos_contains(const gtid_pos *p, const gtid_t *g)
{
    const gtid_t *have = gtid_pos_get(p, g->domain);
    return have && have->seq >= g->seq;
}

int gtid_pos_cmp_domain(const gtid_pos *a, const gtid_pos *b, uint32_t domain)
{
    const gtid_t *x = gtid_pos_get(a, domain), *y = gtid_pos_get(b, domain);
    if (!x || !y)
        return x ? 1 : y ? -1 : 0;
    return x->seq < y->seq ? -1 : x->seq > y->seq;
}

const gtid_t *gtid_pos_first_ahead(const gtid_pos *a, const gtid_pos *b)
{
    for (uint32_t i = 0; i < a->n; i++)
        if (!gtid_pos_contains(b, &a->v[i]))
            return &a->v[i];
    return NULL;
}
