/*
 * gtid.h: MariaDB global transaction IDs (domain-server_id-seq) and GTID
 * positions: at most one GTID per replication domain, kept sorted by domain,
 * as in @@gtid_slave_pos, @slave_connect_state or "the relay's last committed
 * GTID per domain". Parsing and formatting of the text form, per-domain
 * get/set/advance and comparisons. Used by the binlog codecs (GTID_LIST), the
 * binlog relay and anything that answers @@gtid_* queries. Pure, no allocation:
 * a position is a fixed-capacity value that is copied, never freed.
 */
#ifndef FERRY_PROTOCOL_GTID_H
#define FERRY_PROTOCOL_GTID_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct gtid_t {
    uint32_t domain;
    uint32_t server_id;
    uint64_t seq;
} gtid_t;

/* Domains one position can hold. */
#define GTID_POS_MAX 256
/* Longest text of one GTID: "4294967295-4294967295-18446744073709551615". */
#define GTID_TEXT_MAX 42
/* Buffer size that always holds a formatted position and its NUL. */
#define GTID_POS_TEXT_MAX (GTID_POS_MAX * (GTID_TEXT_MAX + 1))

typedef struct gtid_pos {
    uint32_t n;             /* GTIDs in v */
    gtid_t v[GTID_POS_MAX]; /* sorted by domain, domains unique */
} gtid_pos;

/* Formats "domain-server_id-seq"; snprintf semantics (returns the full length). */
size_t gtid_format(const gtid_t *g, char *out, size_t cap);
/* Parses exactly one GTID (surrounding whitespace allowed); PROTO_OK or PROTO_BAD. */
int gtid_parse(const char *s, size_t len, gtid_t *g);

void gtid_pos_init(gtid_pos *p);
void gtid_pos_copy(gtid_pos *dst, const gtid_pos *src);
bool gtid_pos_equal(const gtid_pos *a, const gtid_pos *b);

/*
 * Parses "70-7000-24, 72-7000-1". Whitespace around numbers and commas is
 * allowed; an empty or all-blank string is the empty position. Junk, a
 * missing or extra separator, a number out of range, a repeated domain or more
 * than GTID_POS_MAX domains give PROTO_BAD, leave *p empty and set *why (if
 * not NULL) to a static reason. Domains may come in any order.
 */
int gtid_pos_parse(gtid_pos *p, const char *s, size_t len, const char **why);
/*
 * Formats the position sorted by domain, comma separated. Returns the full
 * length; if that does not fit, out holds (NUL-terminated) the GTIDs that do.
 */
size_t gtid_pos_format(const gtid_pos *p, char *out, size_t cap);

/* The GTID of domain, or NULL. */
const gtid_t *gtid_pos_get(const gtid_pos *p, uint32_t domain);
/* Sets g's domain to g. PROTO_BAD if the domain is new and the position is full. */
int gtid_pos_set(gtid_pos *p, const gtid_t *g);
/*
 * Moves g's domain forward to g: returns 1 if it changed (domain absent or
 * g->seq greater), 0 if the position already contains g, PROTO_BAD if full.
 */
int gtid_pos_update(gtid_pos *p, const gtid_t *g);
/* Removes domain; returns whether it was there. */
bool gtid_pos_remove(gtid_pos *p, uint32_t domain);

/* Whether g is at or before p in g's domain (p has the domain and seq >= g->seq). */
bool gtid_pos_contains(const gtid_pos *p, const gtid_t *g);
/*
 * Per-domain comparison of a against b: -1 if a is behind (b has the domain
 * with a greater seq, a lacking it counts as behind), 0 if equal or both lack
 * it, 1 if a is ahead.
 */
int gtid_pos_cmp_domain(const gtid_pos *a, const gtid_pos *b, uint32_t domain);
/*
 * The first GTID of a (by domain) that b does not contain: a domain b lacks or
 * a seq beyond b's. NULL when b contains all of a.
 */
const gtid_t *gtid_pos_first_ahead(const gtid_pos *a, const gtid_pos *b);

#endif
