/*
 * packet.c: packet framing. Splits payloads into 0xffffff-byte chunks (with
 * the empty final chunk an exact multiple needs), frames Ferry's own small
 * answers in place, and finds and reassembles logical packets in received
 * bytes. Used by every session and backend connection.
 */
#include "protocol/packet.h"

#include <stdio.h>
#include <stdlib.h>

static void put_header(proto_buf *out, size_t len, uint8_t seq)
{
    proto_put_u24(out, (uint32_t)len);
    proto_put_u8(out, seq);
}

uint8_t proto_frame(proto_buf *out, uint8_t seq, const void *payload, size_t len)
{
    const uint8_t *p = payload;
    proto_buf_reserve(out, len + (len / PROTO_MAX_CHUNK + 1) * PROTO_HEADER_LEN);
    for (;;) {
        size_t chunk = len < PROTO_MAX_CHUNK ? len : PROTO_MAX_CHUNK;
        put_header(out, chunk, seq++);
        proto_put_bytes(out, p, chunk);
        if (chunk < PROTO_MAX_CHUNK)
            return seq;
        p += chunk;
        len -= chunk;
    }
}

size_t proto_pkt_begin(proto_buf *out)
{
    size_t off = out->len;
    proto_put_zero(out, PROTO_HEADER_LEN);
    return off;
}

void proto_pkt_end(proto_buf *out, size_t off, uint8_t seq)
{
    size_t len = out->len - off - PROTO_HEADER_LEN;
    if (len >= PROTO_MAX_CHUNK) {
        fprintf(stderr, "ferry: proto_pkt_end: payload of %zu bytes needs splitting\n", len);
        abort();
    }
    proto_store_u24(out->data + off, (uint32_t)len);
    out->data[off + 3] = seq;
}

int proto_logical_peek(const uint8_t *in, size_t avail, size_t *wire_len, size_t *payload_len,
                       uint8_t *seq)
{
    size_t pos = 0, total = 0;
    for (;;) {
        if (avail - pos < PROTO_HEADER_LEN)
            return PROTO_NEED_MORE;
        size_t chunk = proto_load_u24(in + pos);
        if (avail - pos - PROTO_HEADER_LEN < chunk)
            return PROTO_NEED_MORE;
        pos += PROTO_HEADER_LEN + chunk;
        total += chunk;
        if (chunk < PROTO_MAX_CHUNK)
            break;
    }
    *wire_len = pos;
    *payload_len = total;
    *seq = in[3];
    return PROTO_OK;
}

uint8_t proto_logical_copy(const uint8_t *in, size_t wire_len, proto_buf *out)
{
    uint8_t seq = 0;
    size_t pos = 0;
    proto_buf_reserve(out, wire_len);
    while (wire_len - pos >= PROTO_HEADER_LEN) {
        size_t chunk = proto_load_u24(in + pos);
        seq = in[pos + 3];
        pos += PROTO_HEADER_LEN;
        if (chunk > wire_len - pos)
            chunk = wire_len - pos; /* never read past what the caller gave */
        proto_put_bytes(out, in + pos, chunk);
        pos += chunk;
    }
    return seq;
}
