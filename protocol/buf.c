/*
 * buf.c: the growable output buffer (proto_buf) that every encoder appends to
 * and the bounds-checked read cursor (proto_rd) that every decoder reads from.
 * Integers are little-endian; a failed read returns zero and marks the cursor
 * bad for good, so decoders check r.bad once at the end.
 */
#include "protocol/buf.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void proto_buf_init(proto_buf *b)
{
    b->data = NULL;
    b->len = 0;
    b->cap = 0;
}

void proto_buf_free(proto_buf *b)
{
    free(b->data);
    proto_buf_init(b);
}

void proto_buf_reset(proto_buf *b)
{
    b->len = 0;
}

static void out_of_memory(size_t want)
{
    fprintf(stderr, "ferry: out of memory growing a protocol buffer to %zu bytes\n", want);
    abort();
}

uint8_t *proto_buf_reserve(proto_buf *b, size_t n)
{
    if (n > SIZE_MAX - b->len)
        out_of_memory(SIZE_MAX);
    size_t need = b->len + n;
    if (need > b->cap) {
        size_t cap = b->cap ? b->cap : 64;
        while (cap < need)
            cap = cap > SIZE_MAX / 2 ? need : cap * 2;
        uint8_t *data = realloc(b->data, cap);
        if (!data)
            out_of_memory(cap);
        b->data = data;
        b->cap = cap;
    }
    return b->data + b->len;
}

void proto_put_bytes(proto_buf *b, const void *p, size_t n)
{
    if (n == 0)
        return;
    memcpy(proto_buf_reserve(b, n), p, n);
    b->len += n;
}

void proto_put_zero(proto_buf *b, size_t n)
{
    if (n == 0)
        return;
    memset(proto_buf_reserve(b, n), 0, n);
    b->len += n;
}

/* Appends the low `bytes` bytes of v, least significant first. */
static void put_le(proto_buf *b, uint64_t v, size_t bytes)
{
    uint8_t *p = proto_buf_reserve(b, bytes);
    for (size_t i = 0; i < bytes; i++)
        p[i] = (uint8_t)(v >> (8 * i));
    b->len += bytes;
}

void proto_put_u8(proto_buf *b, uint8_t v)
{
    put_le(b, v, 1);
}

void proto_put_u16(proto_buf *b, uint16_t v)
{
    put_le(b, v, 2);
}

void proto_put_u24(proto_buf *b, uint32_t v)
{
    put_le(b, v, 3);
}

void proto_put_u32(proto_buf *b, uint32_t v)
{
    put_le(b, v, 4);
}

void proto_put_u48(proto_buf *b, uint64_t v)
{
    put_le(b, v, 6);
}

void proto_put_u64(proto_buf *b, uint64_t v)
{
    put_le(b, v, 8);
}

void proto_put_lenenc(proto_buf *b, uint64_t v)
{
    if (v < 0xfb) {
        put_le(b, v, 1);
    } else if (v <= 0xffff) {
        put_le(b, 0xfc, 1);
        put_le(b, v, 2);
    } else if (v <= 0xffffff) {
        put_le(b, 0xfd, 1);
        put_le(b, v, 3);
    } else {
        put_le(b, 0xfe, 1);
        put_le(b, v, 8);
    }
}

void proto_put_lenenc_str(proto_buf *b, const void *s, size_t n)
{
    proto_put_lenenc(b, n);
    proto_put_bytes(b, s, n);
}

void proto_put_nulstr(proto_buf *b, const char *s)
{
    proto_put_bytes(b, s, strlen(s) + 1);
}

proto_rd proto_rd_init(const void *p, size_t len)
{
    static const uint8_t empty[1];
    proto_rd r = {p ? p : empty, p ? len : 0, 0, false};
    return r;
}

size_t proto_rd_left(const proto_rd *r)
{
    return r->len - r->pos;
}

/* Marks the cursor bad and moves it to the end, so later reads fail too. */
static void rd_fail(proto_rd *r)
{
    r->bad = true;
    r->pos = r->len;
}

const uint8_t *proto_get_bytes(proto_rd *r, size_t n)
{
    if (r->bad || n > proto_rd_left(r)) {
        rd_fail(r);
        return NULL;
    }
    const uint8_t *p = r->p + r->pos;
    r->pos += n;
    return p;
}

static uint64_t get_le(proto_rd *r, size_t bytes)
{
    const uint8_t *p = proto_get_bytes(r, bytes);
    uint64_t v = 0;
    for (size_t i = 0; p && i < bytes; i++)
        v |= (uint64_t)p[i] << (8 * i);
    return v;
}

uint8_t proto_get_u8(proto_rd *r)
{
    return (uint8_t)get_le(r, 1);
}

uint16_t proto_get_u16(proto_rd *r)
{
    return (uint16_t)get_le(r, 2);
}

uint32_t proto_get_u24(proto_rd *r)
{
    return (uint32_t)get_le(r, 3);
}

uint32_t proto_get_u32(proto_rd *r)
{
    return (uint32_t)get_le(r, 4);
}

uint64_t proto_get_u48(proto_rd *r)
{
    return get_le(r, 6);
}

uint64_t proto_get_u64(proto_rd *r)
{
    return get_le(r, 8);
}

/*
 * 0xfb (NULL) is only valid where the caller asked about it (is_null != NULL);
 * 0xff is never a valid first byte.
 */
uint64_t proto_get_lenenc(proto_rd *r, bool *is_null)
{
    if (is_null)
        *is_null = false;
    uint8_t first = proto_get_u8(r);
    switch (first) {
    case 0xfb:
        if (is_null)
            *is_null = true;
        else
            rd_fail(r);
        return 0;
    case 0xfc:
        return get_le(r, 2);
    case 0xfd:
        return get_le(r, 3);
    case 0xfe:
        return get_le(r, 8);
    case 0xff:
        rd_fail(r);
        return 0;
    default:
        return first;
    }
}

const char *proto_get_nulstr(proto_rd *r, size_t *n)
{
    *n = 0;
    const uint8_t *start = r->p + r->pos;
    const uint8_t *nul = r->bad ? NULL : memchr(start, 0, proto_rd_left(r));
    if (!nul) {
        rd_fail(r);
        return NULL;
    }
    *n = (size_t)(nul - start);
    r->pos += *n + 1;
    return (const char *)start;
}

/* A length-encoded string; the NULL marker 0xfb gives NULL (with *n = 0) without marking bad. */
const uint8_t *proto_get_lenenc_str(proto_rd *r, size_t *n)
{
    bool is_null;
    uint64_t len = proto_get_lenenc(r, &is_null);
    *n = 0;
    if (r->bad || is_null)
        return NULL;
    if (len > proto_rd_left(r)) {
        rd_fail(r);
        return NULL;
    }
    *n = (size_t)len;
    return proto_get_bytes(r, *n);
}

const uint8_t *proto_get_rest(proto_rd *r, size_t *n)
{
    *n = r->bad ? 0 : proto_rd_left(r);
    return proto_get_bytes(r, *n);
}
