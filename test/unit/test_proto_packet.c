/*
 * test_proto_packet.c: framing. Small packets, the split of payloads of
 * exactly 0xffffff, 0xffffff+1 and 2*0xffffff bytes (with the empty final
 * chunk), finding logical packets in partial input, in-place framing, and a
 * real server byte stream from 01-replica-start-slave-g2.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "protocol/packet.h"

/* Server to client: greeting, OK, and the result set of SELECT UNIX_TIMESTAMP(). */
static const char STREAM_HEX[] =
    "680000000a352e352e352d31302e31312e31392d4d6172696144422d302b646562313275312d6c6f67002a000000"
    "48534b5b687a4c4d00fef72d0200ff81150000000000001d0000007c4b3e383b5f4d444c335842006d7973716c5f6e"
    "61746976655f70617373776f72640007000002000000020000000100000101260000020364656600000010554e49"
    "585f54494d455354414d502829000c3f001100000008800000000005000003fe000002000b0000040a3137393532"
    "33373035320500000"
    "5fe00000200";

static size_t unhex(const char *hex, uint8_t *out)
{
    size_t n = strlen(hex) / 2;
    for (size_t i = 0; i < n; i++) {
        unsigned v;
        sscanf(hex + 2 * i, "%2x", &v);
        out[i] = (uint8_t)v;
    }
    return n;
}

static void test_frame_small(void **state)
{
    (void)state;
    proto_buf b;
    proto_buf_init(&b);
    assert_int_equal(proto_frame(&b, 3, "\x03SELECT 1", 9), 4);
    assert_int_equal(b.len, 13);
    assert_memory_equal(b.data, "\x09\x00\x00\x03\x03SELECT 1", 13);
    assert_int_equal(proto_frame(&b, 255, "", 0), 0); /* seq wraps */
    assert_int_equal(b.len, 17);
    assert_memory_equal(b.data + 13, "\x00\x00\x00\xff", 4);

    size_t wire, len;
    uint8_t seq;
    assert_int_equal(proto_logical_peek(b.data, b.len, &wire, &len, &seq), PROTO_OK);
    assert_int_equal(wire, 13);
    assert_int_equal(len, 9);
    assert_int_equal(seq, 3);
    for (size_t i = 0; i < 13; i++)
        assert_int_equal(proto_logical_peek(b.data, i, &wire, &len, &seq), PROTO_NEED_MORE);
    assert_int_equal(proto_logical_peek(b.data + 13, 4, &wire, &len, &seq), PROTO_OK);
    assert_int_equal(wire, 4);
    assert_int_equal(len, 0);
    assert_int_equal(seq, 255);
    proto_buf_free(&b);
}

/* Frames len bytes and checks chunk headers, peek (incl. partial input) and copy. */
static void check_split(size_t len, size_t nchunks)
{
    uint8_t *payload = malloc(len);
    for (size_t i = 0; i < len; i++)
        payload[i] = (uint8_t)(i * 31 + (i >> 20));
    proto_buf b;
    proto_buf_init(&b);
    proto_put_bytes(&b, "junk", 4); /* framing appends */
    assert_int_equal(proto_frame(&b, 7, payload, len), (uint8_t)(7 + nchunks));
    const uint8_t *w = b.data + 4;
    size_t wire_len = b.len - 4;
    assert_int_equal(wire_len, len + nchunks * PROTO_HEADER_LEN);

    size_t pos = 0, left = len;
    for (size_t c = 0; c < nchunks; c++) {
        size_t want = left < PROTO_MAX_CHUNK ? left : PROTO_MAX_CHUNK;
        assert_int_equal(proto_load_u24(w + pos), want);
        assert_int_equal(w[pos + 3], (uint8_t)(7 + c));
        pos += PROTO_HEADER_LEN + want;
        left -= want;
    }
    assert_int_equal(pos, wire_len);

    size_t wire, plen;
    uint8_t seq;
    assert_int_equal(proto_logical_peek(w, wire_len, &wire, &plen, &seq), PROTO_OK);
    assert_int_equal(wire, wire_len);
    assert_int_equal(plen, len);
    assert_int_equal(seq, 7);
    /* cut just before each chunk header ends, and one byte short of the end */
    for (size_t c = 0, at = 0; c < nchunks; c++) {
        for (size_t k = 0; k < PROTO_HEADER_LEN; k++)
            assert_int_equal(proto_logical_peek(w, at + k, &wire, &plen, &seq), PROTO_NEED_MORE);
        at += PROTO_HEADER_LEN + proto_load_u24(w + at);
        if (at > 0 && c + 1 < nchunks)
            assert_int_equal(proto_logical_peek(w, at - 1, &wire, &plen, &seq), PROTO_NEED_MORE);
    }
    assert_int_equal(proto_logical_peek(w, wire_len - 1, &wire, &plen, &seq), PROTO_NEED_MORE);

    proto_buf out;
    proto_buf_init(&out);
    assert_int_equal(proto_logical_copy(w, wire_len, &out), (uint8_t)(7 + nchunks - 1));
    assert_int_equal(out.len, len);
    assert_memory_equal(out.data, payload, len);
    proto_buf_free(&out);
    proto_buf_free(&b);
    free(payload);
}

static void test_split_exact_chunk(void **state)
{
    (void)state;
    check_split(PROTO_MAX_CHUNK, 2); /* 0xffffff + empty */
}

static void test_split_chunk_plus_one(void **state)
{
    (void)state;
    check_split(PROTO_MAX_CHUNK + 1, 2);
}

static void test_split_two_chunks(void **state)
{
    (void)state;
    check_split(2 * (size_t)PROTO_MAX_CHUNK, 3); /* 0xffffff, 0xffffff, empty */
}

static void test_split_just_below(void **state)
{
    (void)state;
    check_split(PROTO_MAX_CHUNK - 1, 1);
}

static void test_pkt_begin_end(void **state)
{
    (void)state;
    proto_buf b;
    proto_buf_init(&b);
    proto_put_u8(&b, 0xaa);
    size_t off = proto_pkt_begin(&b);
    assert_int_equal(off, 1);
    proto_put_bytes(&b, "\x0e", 1);
    proto_pkt_end(&b, off, 0);
    off = proto_pkt_begin(&b);
    proto_pkt_end(&b, off, 9);
    assert_int_equal(b.len, 1 + 5 + 4);
    assert_memory_equal(b.data, "\xaa\x01\x00\x00\x00\x0e\x00\x00\x00\x09", 10);
    proto_buf_free(&b);
}

static void test_real_stream(void **state)
{
    (void)state;
    uint8_t s[512];
    size_t avail = unhex(STREAM_HEX, s);
    static const size_t lens[] = {104, 7, 1, 38, 5, 11, 5};
    static const uint8_t seqs[] = {0, 2, 1, 2, 3, 4, 5};
    size_t pos = 0;
    proto_buf out;
    proto_buf_init(&out);
    for (size_t i = 0; i < sizeof lens / sizeof lens[0]; i++) {
        size_t wire, len;
        uint8_t seq;
        assert_int_equal(proto_logical_peek(s + pos, avail - pos, &wire, &len, &seq), PROTO_OK);
        assert_int_equal(len, lens[i]);
        assert_int_equal(wire, len + 4);
        assert_int_equal(seq, seqs[i]);
        proto_buf_reset(&out);
        assert_int_equal(proto_logical_copy(s + pos, wire, &out), seqs[i]);
        assert_int_equal(out.len, len);
        assert_memory_equal(out.data, s + pos + 4, len);
        pos += wire;
    }
    assert_int_equal(pos, avail);
    assert_memory_equal(out.data, "\xfe\x00\x00\x02\x00", 5);
    proto_buf_free(&out);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_frame_small),          cmocka_unit_test(test_split_exact_chunk),
        cmocka_unit_test(test_split_chunk_plus_one), cmocka_unit_test(test_split_two_chunks),
        cmocka_unit_test(test_split_just_below),     cmocka_unit_test(test_pkt_begin_end),
        cmocka_unit_test(test_real_stream),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
