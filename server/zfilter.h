/*
 * zfilter.h: the compressed protocol as a bufferevent filter. Wrapping a
 * client's bufferevent makes its input decompressed packets and compresses
 * everything written to it, so routers never see the compression.
 */
#ifndef FERRY_SERVER_ZFILTER_H
#define FERRY_SERVER_ZFILTER_H

#include <event2/bufferevent.h>

/* Returns the filter bufferevent (which owns under), or NULL. */
struct bufferevent *zfilter_wrap(struct bufferevent *under);

#endif
