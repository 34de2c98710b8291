/*
 * flow.c: direct writes for plain-socket bufferevents (see flow.h).
 */
#include "server/flow.h"

#include <event2/buffer.h>
#include <event2/event.h>

static bool is_plain(struct bufferevent *bev)
{
    return bufferevent_get_underlying(bev) == NULL && bufferevent_getfd(bev) >= 0;
}

void flow_direct(struct bufferevent *bev)
{
    if (is_plain(bev) && evbuffer_get_length(bufferevent_get_output(bev)) == 0)
        bufferevent_disable(bev, EV_WRITE);
}

void flow_flush(struct bufferevent *bev)
{
    if (!is_plain(bev) || (bufferevent_get_enabled(bev) & EV_WRITE))
        return; /* libevent is already writing (or bev is a filter) */
    struct evbuffer *out = bufferevent_get_output(bev);
    if (evbuffer_get_length(out) == 0)
        return;
    /* A socket bufferevent keeps its output's start frozen except while it
     * writes itself; do the same. */
    evbuffer_unfreeze(out, 1);
    evbuffer_write(out, bufferevent_getfd(bev));
    evbuffer_freeze(out, 1);
    if (evbuffer_get_length(out) > 0)
        bufferevent_enable(bev, EV_WRITE); /* the kernel is full: let libevent wait */
}

void flow_resume_read(struct bufferevent *bev)
{
    bufferevent_enable(bev, EV_READ);
    /* A filter only runs when its lower layer reads: bytes that arrived while
     * it was paused would otherwise wait for more that may never come. */
    for (struct bufferevent *b = bufferevent_get_underlying(bev); b;
         b = bufferevent_get_underlying(b))
        if (evbuffer_get_length(bufferevent_get_input(b)) > 0)
            bufferevent_trigger(b, EV_READ, BEV_TRIG_IGNORE_WATERMARKS);
}

void flow_written(struct bufferevent *bev)
{
    flow_direct(bev);
}
