/*
 * test_proto_compress.c: the compressed protocol. Small payloads go stored,
 * compressible ones deflated, incompressible ones stored; more than 16 MiB
 * splits into frames; partial frames ask for more; corrupt frames, wrong
 * stated lengths and trailing garbage are refused without touching out.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include <zlib.h>

#include "protocol/compress.h"
#include "protocol/packet.h"

static uint8_t *text_data(size_t len)
{
    static const char words[] = "INSERT INTO labdb.t(v) VALUES ('while-r1-disconnected'); ";
    uint8_t *p = malloc(len);
    for (size_t i = 0; i < len; i++)
        p[i] = (uint8_t)words[i % (sizeof words - 1)];
    return p;
}

static uint8_t *random_data(size_t len)
{
    uint8_t *p = malloc(len);
    uint32_t x = 2463534242u;
    for (size_t i = 0; i < len; i++) {
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        p[i] = (uint8_t)x;
    }
    return p;
}

/* Decodes every frame of in; checks their sequence numbers start at seq0 and returns them. */
static size_t unframe_all(const proto_buf *in, uint8_t seq0, proto_buf *out)
{
    size_t pos = 0, frames = 0;
    while (pos < in->len) {
        size_t used;
        uint8_t seq;
        assert_int_equal(proto_zunframe(in->data + pos, in->len - pos, &used, &seq, out), PROTO_OK);
        assert_int_equal(seq, (uint8_t)(seq0 + frames));
        pos += used;
        frames++;
    }
    return frames;
}

static void test_small_is_stored(void **state)
{
    (void)state;
    proto_buf z, out;
    proto_buf_init(&z);
    proto_buf_init(&out);
    uint8_t seq = 5;
    proto_zframe(&z, &seq, "\x01\x00\x00\x00\x01", 5); /* a framed COM_QUIT */
    assert_int_equal(seq, 6);
    assert_int_equal(z.len, 12);
    assert_memory_equal(z.data, "\x05\x00\x00\x05\x00\x00\x00\x01\x00\x00\x00\x01", 12);
    assert_int_equal(unframe_all(&z, 5, &out), 1);
    assert_int_equal(out.len, 5);
    assert_memory_equal(out.data, "\x01\x00\x00\x00\x01", 5);
    /* 49 bytes of very compressible data are still stored */
    uint8_t *p = text_data(PROTO_ZMIN_COMPRESS - 1);
    proto_buf_reset(&z);
    proto_zframe(&z, &seq, p, PROTO_ZMIN_COMPRESS - 1);
    assert_int_equal(proto_load_u24(z.data + 4), 0);
    free(p);
    proto_buf_free(&z);
    proto_buf_free(&out);
}

static void test_large_is_compressed(void **state)
{
    (void)state;
    size_t len = 100000;
    uint8_t *p = text_data(len);
    proto_buf z, out;
    proto_buf_init(&z);
    proto_buf_init(&out);
    uint8_t seq = 0;
    proto_zframe(&z, &seq, p, len);
    assert_int_equal(seq, 1);
    assert_int_equal(proto_load_u24(z.data + 4), len);
    assert_true(proto_load_u24(z.data) < len / 10);
    assert_int_equal(z.len, PROTO_ZHEADER_LEN + proto_load_u24(z.data));
    assert_int_equal(unframe_all(&z, 0, &out), 1);
    assert_int_equal(out.len, len);
    assert_memory_equal(out.data, p, len);
    free(p);
    proto_buf_free(&z);
    proto_buf_free(&out);
}

static void test_incompressible_is_stored(void **state)
{
    (void)state;
    uint8_t *p = random_data(1000);
    proto_buf z, out;
    proto_buf_init(&z);
    proto_buf_init(&out);
    uint8_t seq = 0;
    proto_zframe(&z, &seq, p, 1000);
    assert_int_equal(proto_load_u24(z.data), 1000);
    assert_int_equal(proto_load_u24(z.data + 4), 0);
    assert_int_equal(unframe_all(&z, 0, &out), 1);
    assert_memory_equal(out.data, p, 1000);
    free(p);
    proto_buf_free(&z);
    proto_buf_free(&out);
}

static void check_big(size_t len, size_t frames, bool random)
{
    uint8_t *p = random ? random_data(len) : text_data(len);
    proto_buf z, out;
    proto_buf_init(&z);
    proto_buf_init(&out);
    uint8_t seq = 254;
    proto_zframe(&z, &seq, p, len);
    assert_int_equal(seq, (uint8_t)(254 + frames));
    size_t first_ulen = proto_load_u24(z.data + 4);
    assert_int_equal(first_ulen, random ? 0 : PROTO_MAX_CHUNK);
    if (random)
        assert_int_equal(proto_load_u24(z.data), PROTO_MAX_CHUNK);
    assert_int_equal(unframe_all(&z, 254, &out), frames);
    assert_int_equal(out.len, len);
    assert_memory_equal(out.data, p, len);
    free(p);
    proto_buf_free(&z);
    proto_buf_free(&out);
}

static void test_over_16mib(void **state)
{
    (void)state;
    check_big(PROTO_MAX_CHUNK + 1000, 2, false);
    check_big(PROTO_MAX_CHUNK + 1000, 2, true);
    check_big(PROTO_MAX_CHUNK, 1, false);
}

static void test_empty_input(void **state)
{
    (void)state;
    proto_buf z;
    proto_buf_init(&z);
    uint8_t seq = 3;
    proto_zframe(&z, &seq, "", 0);
    assert_int_equal(z.len, 0);
    assert_int_equal(seq, 3);
    proto_buf_free(&z);
}

static void test_need_more(void **state)
{
    (void)state;
    uint8_t *p = text_data(500);
    proto_buf z, out;
    proto_buf_init(&z);
    proto_buf_init(&out);
    uint8_t seq = 0;
    proto_zframe(&z, &seq, p, 500);
    for (size_t i = 0; i < z.len; i++) {
        uint8_t *copy = malloc(i ? i : 1);
        memcpy(copy, z.data, i);
        size_t used = 77;
        assert_int_equal(proto_zunframe(copy, i, &used, &seq, &out), PROTO_NEED_MORE);
        assert_int_equal(used, 77);
        free(copy);
    }
    assert_int_equal(out.len, 0);
    free(p);
    proto_buf_free(&z);
    proto_buf_free(&out);
}

/* A frame with a deflated body of data and a stated uncompressed length. */
static void make_frame(proto_buf *z, const uint8_t *data, size_t len, size_t stated,
                       size_t trailing)
{
    uLongf clen = compressBound(len);
    uint8_t *body = malloc(clen + trailing);
    assert_int_equal(compress(body, &clen, data, len), Z_OK);
    memset(body + clen, 0xab, trailing);
    proto_put_u24(z, (uint32_t)(clen + trailing));
    proto_put_u8(z, 0);
    proto_put_u24(z, (uint32_t)stated);
    proto_put_bytes(z, body, clen + trailing);
    free(body);
}

static void expect_bad(const proto_buf *z)
{
    proto_buf out;
    proto_buf_init(&out);
    proto_put_bytes(&out, "keep", 4);
    size_t used = 77;
    uint8_t seq = 9;
    assert_int_equal(proto_zunframe(z->data, z->len, &used, &seq, &out), PROTO_BAD);
    assert_int_equal(out.len, 4);
    assert_int_equal(used, 77);
    assert_int_equal(seq, 9);
    proto_buf_free(&out);
}

static void test_corrupt(void **state)
{
    (void)state;
    uint8_t *p = text_data(5000);
    proto_buf z;
    proto_buf_init(&z);
    make_frame(&z, p, 5000, 5000, 0); /* well-formed, made by zlib directly */
    proto_buf out;
    proto_buf_init(&out);
    assert_int_equal(unframe_all(&z, 0, &out), 1);
    assert_memory_equal(out.data, p, 5000);
    proto_buf_free(&out);

    for (size_t at = PROTO_ZHEADER_LEN; at < z.len; at += 7) {
        z.data[at] ^= 0x5a;
        proto_buf_init(&out);
        size_t used;
        uint8_t seq;
        int rc = proto_zunframe(z.data, z.len, &used, &seq, &out);
        /* a flipped byte may still inflate, but never to different bytes of the right size */
        if (rc == PROTO_OK)
            assert_int_not_equal(memcmp(out.data, p, 5000), 0);
        else
            assert_int_equal(rc, PROTO_BAD);
        proto_buf_free(&out);
        z.data[at] ^= 0x5a;
    }
    z.data[PROTO_ZHEADER_LEN] = 0xff; /* not a zlib header */
    expect_bad(&z);

    proto_buf_reset(&z);
    make_frame(&z, p, 5000, 5001, 0); /* states more than inflates */
    expect_bad(&z);
    proto_buf_reset(&z);
    make_frame(&z, p, 5000, 4999, 0); /* would inflate past its stated size */
    expect_bad(&z);
    proto_buf_reset(&z);
    make_frame(&z, p, 5000, 5000, 3); /* garbage after the zlib stream */
    expect_bad(&z);
    proto_buf_reset(&z);
    proto_put_bytes(&z, "\x00\x00\x00\x00\x10\x00\x00", 7); /* empty body, 16 bytes stated */
    expect_bad(&z);
    proto_buf_free(&z);
    free(p);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_small_is_stored),
        cmocka_unit_test(test_large_is_compressed),
        cmocka_unit_test(test_incompressible_is_stored),
        cmocka_unit_test(test_over_16mib),
        cmocka_unit_test(test_empty_input),
        cmocka_unit_test(test_need_more),
        cmocka_unit_test(test_corrupt),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
