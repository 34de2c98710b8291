/*
 * packet.h: MariaDB packet framing. A packet is a 3-byte little-endian payload
 * length, a 1-byte sequence number and the payload. A payload of 2^24-1 bytes
 * or more is split into chunks of 0xffffff bytes followed by a shorter
 * (possibly empty) chunk; the chunks together form one logical packet.
 */
#ifndef FERRY_PROTOCOL_PACKET_H
#define FERRY_PROTOCOL_PACKET_H

#include "protocol/buf.h"

#define PROTO_HEADER_LEN 4
#define PROTO_MAX_CHUNK  0xffffffu

enum proto_status {
    PROTO_OK = 0,
    PROTO_NEED_MORE = 1, /* input is incomplete: wait for more bytes */
    PROTO_BAD = -1,      /* input is malformed */
};

/* Appends payload framed as one or more packets; returns the next sequence number. */
uint8_t proto_frame(proto_buf *out, uint8_t seq, const void *payload, size_t len);

/*
 * In-place framing of a payload built directly in out: proto_pkt_begin reserves
 * the header and returns its offset, proto_pkt_end fills it in. Payloads built
 * this way must be shorter than PROTO_MAX_CHUNK (Ferry's own answers are).
 */
size_t proto_pkt_begin(proto_buf *out);
void proto_pkt_end(proto_buf *out, size_t off, uint8_t seq);

/*
 * Looks for one whole logical packet at the start of in. Returns PROTO_OK and
 * sets *wire_len (bytes it spans, headers included), *payload_len and *seq
 * (sequence number of its first chunk); PROTO_NEED_MORE if incomplete.
 */
int proto_logical_peek(const uint8_t *in, size_t avail, size_t *wire_len, size_t *payload_len,
                       uint8_t *seq);

/*
 * Copies the payload of the logical packet at the start of in (found by
 * proto_logical_peek) into out, without the chunk headers; returns the
 * sequence number of its last chunk.
 */
uint8_t proto_logical_copy(const uint8_t *in, size_t wire_len, proto_buf *out);

#endif
