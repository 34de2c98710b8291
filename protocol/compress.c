/*
 * compress.c: the compressed protocol (CLIENT_COMPRESS). proto_zframe wraps
 * packet bytes into compressed frames, proto_zunframe decodes one frame.
 * Used by connections once compression has been negotiated.
 *
 * Frames carry at most PROTO_MAX_CHUNK bytes of input; input shorter than
 * PROTO_ZMIN_COMPRESS, or that zlib cannot shrink, is stored (uncompressed
 * length 0). Decoding never inflates more than the stated length.
 */
#define ZLIB_CONST
#include "protocol/compress.h"
#include "protocol/packet.h"

#include <zlib.h>

static void put_zheader(proto_buf *out, size_t clen, uint8_t seq, size_t ulen)
{
    proto_put_u24(out, (uint32_t)clen);
    proto_put_u8(out, seq);
    proto_put_u24(out, (uint32_t)ulen);
}

/* Compresses n bytes straight into out after a header; false if that does not pay. */
static bool put_deflated(proto_buf *out, uint8_t seq, const uint8_t *p, size_t n)
{
    uLongf clen = compressBound((uLong)n);
    size_t start = out->len;
    uint8_t *dst = proto_buf_reserve(out, PROTO_ZHEADER_LEN + clen) + PROTO_ZHEADER_LEN;
    if (compress2(dst, &clen, p, (uLong)n, Z_DEFAULT_COMPRESSION) != Z_OK || clen >= n)
        return false;
    put_zheader(out, clen, seq, n);
    out->len = start + PROTO_ZHEADER_LEN + clen;
    return true;
}

/* Zero bytes of input make no frame. */
void proto_zframe(proto_buf *out, uint8_t *seq, const void *data, size_t len)
{
    const uint8_t *p = data;
    while (len > 0) {
        size_t n = len < PROTO_MAX_CHUNK ? len : PROTO_MAX_CHUNK;
        if (n < PROTO_ZMIN_COMPRESS || !put_deflated(out, *seq, p, n)) {
            put_zheader(out, n, *seq, 0);
            proto_put_bytes(out, p, n);
        }
        (*seq)++;
        p += n;
        len -= n;
    }
}

/* Inflates exactly ulen bytes from clen into dst; anything else is corrupt. */
static bool inflate_exact(const uint8_t *src, size_t clen, uint8_t *dst, size_t ulen)
{
    z_stream zs = {0};
    if (inflateInit(&zs) != Z_OK)
        return false;
    zs.next_in = src;
    zs.avail_in = (uInt)clen;
    zs.next_out = dst;
    zs.avail_out = (uInt)ulen;
    int rc = inflate(&zs, Z_FINISH);
    bool ok = rc == Z_STREAM_END && zs.total_out == ulen && zs.avail_in == 0;
    inflateEnd(&zs);
    return ok;
}

int proto_zunframe(const uint8_t *in, size_t avail, size_t *consumed, uint8_t *seq, proto_buf *out)
{
    if (avail < PROTO_ZHEADER_LEN)
        return PROTO_NEED_MORE;
    size_t clen = proto_load_u24(in);
    size_t ulen = proto_load_u24(in + 4);
    if (avail - PROTO_ZHEADER_LEN < clen)
        return PROTO_NEED_MORE;
    const uint8_t *body = in + PROTO_ZHEADER_LEN;
    if (ulen == 0) {
        proto_put_bytes(out, body, clen);
    } else {
        if (!inflate_exact(body, clen, proto_buf_reserve(out, ulen), ulen))
            return PROTO_BAD;
        out->len += ulen;
    }
    *consumed = PROTO_ZHEADER_LEN + clen;
    *seq = in[3];
    return PROTO_OK;
}
