/*
 * flow.h: direct writes on the data path. A plain-socket bufferevent that
 * is in direct mode keeps EV_WRITE disabled while its output is empty;
 * flow_flush writes whatever was queued straight to the socket and only
 * asks libevent for EV_WRITE when the kernel would not take it all. That
 * saves two epoll_ctl calls per forwarded packet. Filters (TLS,
 * compression) keep libevent's usual scheduling.
 */
#ifndef FERRY_SERVER_FLOW_H
#define FERRY_SERVER_FLOW_H

#include <event2/bufferevent.h>
#include <stdbool.h>

/* Switches bev to direct mode (no effect on filters). */
void flow_direct(struct bufferevent *bev);
/* Sends the queued output now if bev is in direct mode. */
void flow_flush(struct bufferevent *bev);
/* Resumes reading; a filter stack (TLS, compression) also gets the bytes
 * that reached its lower layers while it was paused. */
void flow_resume_read(struct bufferevent *bev);
/* From bev's write callback: back to direct mode once the output is empty. */
void flow_written(struct bufferevent *bev);

#endif
