/*
 * compress.h: the compressed protocol (CLIENT_COMPRESS). Once negotiated, the
 * stream is a sequence of frames: 3-byte compressed length, 1-byte compressed
 * sequence number, 3-byte uncompressed length (0 = stored as is), then the
 * zlib data. The uncompressed bytes are ordinary packets, which may span
 * frames.
 */
#ifndef FERRY_PROTOCOL_COMPRESS_H
#define FERRY_PROTOCOL_COMPRESS_H

#include "protocol/buf.h"

#define PROTO_ZHEADER_LEN 7
/* Payloads shorter than this are sent stored, as MariaDB does. */
#define PROTO_ZMIN_COMPRESS 50

/*
 * Appends len bytes of packet data as one or more compressed frames (each
 * frame carries at most PROTO_MAX_CHUNK uncompressed bytes). *seq is the
 * compressed sequence number of the first frame; it is advanced past the last.
 */
void proto_zframe(proto_buf *out, uint8_t *seq, const void *data, size_t len);

/*
 * Decodes the frame at the start of in: on PROTO_OK appends its uncompressed
 * bytes to out and sets *consumed and *seq. PROTO_NEED_MORE if the frame is
 * incomplete, PROTO_BAD if it is corrupt or would inflate past its stated size.
 */
int proto_zunframe(const uint8_t *in, size_t avail, size_t *consumed, uint8_t *seq, proto_buf *out);

#endif
