/*
 * buf.h: byte buffers for the wire protocol. proto_buf is a growable output
 * buffer that every encoder in protocol/ appends to; proto_rd is a bounds-checked
 * cursor that every decoder reads from. A read past the end never faults: it
 * returns zero and sets rd->bad, so a decoder checks once at the end.
 */
#ifndef FERRY_PROTOCOL_BUF_H
#define FERRY_PROTOCOL_BUF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct proto_buf {
    uint8_t *data;
    size_t len;
    size_t cap;
} proto_buf;

void proto_buf_init(proto_buf *b);
void proto_buf_free(proto_buf *b);
void proto_buf_reset(proto_buf *b);
/* Makes room for n more bytes and returns a pointer to them (len is unchanged). */
uint8_t *proto_buf_reserve(proto_buf *b, size_t n);
void proto_put_bytes(proto_buf *b, const void *p, size_t n);
void proto_put_zero(proto_buf *b, size_t n);
void proto_put_u8(proto_buf *b, uint8_t v);
void proto_put_u16(proto_buf *b, uint16_t v);
void proto_put_u24(proto_buf *b, uint32_t v);
void proto_put_u32(proto_buf *b, uint32_t v);
void proto_put_u48(proto_buf *b, uint64_t v);
void proto_put_u64(proto_buf *b, uint64_t v);
void proto_put_lenenc(proto_buf *b, uint64_t v);
void proto_put_lenenc_str(proto_buf *b, const void *s, size_t n);
/* Writes s and its terminating NUL. */
void proto_put_nulstr(proto_buf *b, const char *s);

typedef struct proto_rd {
    const uint8_t *p;
    size_t len;
    size_t pos;
    bool bad;
} proto_rd;

proto_rd proto_rd_init(const void *p, size_t len);
size_t proto_rd_left(const proto_rd *r);
uint8_t proto_get_u8(proto_rd *r);
uint16_t proto_get_u16(proto_rd *r);
uint32_t proto_get_u24(proto_rd *r);
uint32_t proto_get_u32(proto_rd *r);
uint64_t proto_get_u48(proto_rd *r);
uint64_t proto_get_u64(proto_rd *r);
/* Length-encoded integer; *is_null (may be NULL) is set for the 0xfb marker. */
uint64_t proto_get_lenenc(proto_rd *r, bool *is_null);
/* Returns a pointer to the next n bytes, or NULL (and bad) if fewer remain. */
const uint8_t *proto_get_bytes(proto_rd *r, size_t n);
/* NUL-terminated string: returns its start and length, consumes the NUL. */
const char *proto_get_nulstr(proto_rd *r, size_t *n);
const uint8_t *proto_get_lenenc_str(proto_rd *r, size_t *n);
/* Everything that is left. */
const uint8_t *proto_get_rest(proto_rd *r, size_t *n);

/* Little-endian loads from raw memory, for callers that peek at headers. */
static inline uint32_t proto_load_u24(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16;
}
static inline uint16_t proto_load_u16(const uint8_t *p)
{
    return (uint16_t)(p[0] | p[1] << 8);
}
static inline uint32_t proto_load_u32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}
static inline void proto_store_u24(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
    p[2] = (uint8_t)(v >> 16);
}

#endif
