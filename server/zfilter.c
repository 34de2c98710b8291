/*
 * zfilter.c: compressed-protocol filter (see zfilter.h). Inbound, each whole
 * frame is inflated with proto_zunframe; outbound, whatever the session
 * wrote is deflated into frames. The compressed sequence number continues
 * from the last inbound frame, as a MariaDB server's does.
 */
#include "server/zfilter.h"

#include <event2/buffer.h>
#include <stdbool.h>
#include <stdlib.h>

#include "protocol/compress.h"
#include "protocol/packet.h"

/* Deflate at most this much per frame, so one frame never needs a huge buffer. */
#define ZFILTER_CHUNK (256 * 1024)

typedef struct zfilter {
    uint8_t seq;
    proto_buf scratch;
} zfilter;

static enum bufferevent_filter_result inflate_in(struct evbuffer *src, struct evbuffer *dst,
                                                 ev_ssize_t limit, enum bufferevent_flush_mode mode,
                                                 void *arg)
{
    zfilter *z = arg;
    bool produced = false;
    for (;;) {
        size_t avail = evbuffer_get_length(src);
        uint8_t hdr[PROTO_ZHEADER_LEN];
        if (avail >= PROTO_ZHEADER_LEN)
            evbuffer_copyout(src, hdr, sizeof(hdr));
        if (avail < PROTO_ZHEADER_LEN || avail < PROTO_ZHEADER_LEN + proto_load_u24(hdr))
            return produced ? BEV_OK : BEV_NEED_MORE; /* wait for the rest of the frame */
        size_t frame = PROTO_ZHEADER_LEN + proto_load_u24(hdr);
        size_t used = 0;
        uint8_t seq = 0;
        proto_buf_reset(&z->scratch);
        if (proto_zunframe(evbuffer_pullup(src, (ev_ssize_t)frame), frame, &used, &seq,
                           &z->scratch) != PROTO_OK)
            return BEV_ERROR;
        evbuffer_drain(src, used);
        evbuffer_add(dst, z->scratch.data, z->scratch.len);
        z->seq = (uint8_t)(seq + 1);
        produced = true;
    }
}

static enum bufferevent_filter_result deflate_out(struct evbuffer *src, struct evbuffer *dst,
                                                  ev_ssize_t limit,
                                                  enum bufferevent_flush_mode mode, void *arg)
{
    zfilter *z = arg;
    /* limit is the room left below: what this call may add, not a total. */
    size_t len, start = evbuffer_get_length(dst);
    while ((len = evbuffer_get_length(src)) > 0 &&
           (limit <= 0 || evbuffer_get_length(dst) - start < (size_t)limit)) {
        if (len > ZFILTER_CHUNK)
            len = ZFILTER_CHUNK;
        proto_buf_reset(&z->scratch);
        proto_zframe(&z->scratch, &z->seq, evbuffer_pullup(src, (ev_ssize_t)len), len);
        evbuffer_drain(src, len);
        evbuffer_add(dst, z->scratch.data, z->scratch.len);
    }
    return BEV_OK;
}

static void zfilter_free(void *arg)
{
    zfilter *z = arg;
    proto_buf_free(&z->scratch);
    free(z);
}

struct bufferevent *zfilter_wrap(struct bufferevent *under)
{
    zfilter *z = calloc(1, sizeof(*z));
    if (!z)
        return NULL;
    proto_buf_init(&z->scratch);
    struct bufferevent *bev = bufferevent_filter_new(under, inflate_in, deflate_out,
                                                     BEV_OPT_CLOSE_ON_FREE, zfilter_free, z);
    if (!bev)
        zfilter_free(z);
    return bev;
}
