/*
 * pktio.c: packet assembly over evbuffers (see pktio.h). Chunk headers are
 * peeked with evbuffer_copyout_from, so an incomplete packet costs no copy.
 */
#include "server/pktio.h"

static int peek_header(struct evbuffer *in, size_t off, uint8_t hdr[PROTO_HEADER_LEN])
{
    struct evbuffer_ptr at;
    if (evbuffer_ptr_set(in, &at, off, EVBUFFER_PTR_SET) < 0)
        return -1;
    return evbuffer_copyout_from(in, &at, hdr, PROTO_HEADER_LEN) == PROTO_HEADER_LEN ? 0 : -1;
}

int pktio_next(struct evbuffer *in, size_t max_payload, proto_buf *out, uint8_t *seq)
{
    size_t avail = evbuffer_get_length(in), off = 0, total = 0;
    uint8_t hdr[PROTO_HEADER_LEN];
    for (;;) {
        if (avail < off + PROTO_HEADER_LEN || peek_header(in, off, hdr) < 0)
            return PROTO_NEED_MORE;
        size_t len = proto_load_u24(hdr);
        if (off == 0)
            *seq = hdr[3];
        total += len;
        if (total > max_payload)
            return PROTO_BAD;
        off += PROTO_HEADER_LEN + len;
        if (avail < off)
            return PROTO_NEED_MORE;
        if (len < PROTO_MAX_CHUNK)
            break;
    }
    proto_buf_reset(out);
    while (off > 0) {
        evbuffer_remove(in, hdr, PROTO_HEADER_LEN);
        size_t len = proto_load_u24(hdr);
        evbuffer_remove(in, proto_buf_reserve(out, len), len);
        out->len += len;
        off -= PROTO_HEADER_LEN + len;
    }
    return PROTO_OK;
}

uint8_t pktio_write(struct evbuffer *out, uint8_t seq, const void *payload, size_t len)
{
    proto_buf b;
    proto_buf_init(&b);
    seq = proto_frame(&b, seq, payload, len);
    evbuffer_add(out, b.data, b.len);
    proto_buf_free(&b);
    return seq;
}
