/*
 * pktio.h: reading whole MariaDB packets out of a libevent buffer. Used where
 * Ferry itself must understand a packet (the login, COM_CHANGE_USER, the
 * binlog relay's commands); plain forwarding never assembles packets.
 */
#ifndef FERRY_SERVER_PKTIO_H
#define FERRY_SERVER_PKTIO_H

#include <event2/buffer.h>

#include "protocol/buf.h"
#include "protocol/packet.h"

/*
 * Removes one logical packet (split chunks joined) from in and puts its
 * payload in out. Returns PROTO_OK, PROTO_NEED_MORE (nothing removed), or
 * PROTO_BAD when the payload would exceed max_payload (nothing removed).
 */
int pktio_next(struct evbuffer *in, size_t max_payload, proto_buf *out, uint8_t *seq);

/* Appends a payload as framed packets to out. Returns the next sequence number. */
uint8_t pktio_write(struct evbuffer *out, uint8_t seq, const void *payload, size_t len);

#endif
