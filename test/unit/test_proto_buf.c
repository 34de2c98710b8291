/*
 * test_proto_buf.c: proto_buf growth and the little-endian / length-encoded
 * writers, and the proto_rd cursor: exact bytes, boundaries of the lenenc
 * forms, and reads past the end that must fail without faulting.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "protocol/buf.h"

static void test_fixed_ints(void **state)
{
    (void)state;
    proto_buf b;
    proto_buf_init(&b);
    proto_put_u8(&b, 0x01);
    proto_put_u16(&b, 0x0302);
    proto_put_u24(&b, 0x060504);
    proto_put_u32(&b, 0x0a090807);
    proto_put_u48(&b, 0x100f0e0d0c0bull);
    proto_put_u64(&b, 0x1817161514131211ull);
    proto_put_zero(&b, 2);
    proto_put_bytes(&b, "ab", 2);
    proto_put_nulstr(&b, "xy");
    static const uint8_t want[] = {1,  2,  3,  4,  5,   6,   7,   8,   9,  10, 11,
                                   12, 13, 14, 15, 16,  17,  18,  19,  20, 21, 22,
                                   23, 24, 0,  0,  'a', 'b', 'x', 'y', 0};
    assert_int_equal(b.len, sizeof want);
    assert_memory_equal(b.data, want, sizeof want);

    proto_rd r = proto_rd_init(b.data, b.len);
    assert_int_equal(proto_get_u8(&r), 0x01);
    assert_int_equal(proto_get_u16(&r), 0x0302);
    assert_int_equal(proto_get_u24(&r), 0x060504);
    assert_int_equal(proto_get_u32(&r), 0x0a090807);
    assert_int_equal(proto_get_u48(&r), 0x100f0e0d0c0bull);
    assert_int_equal(proto_get_u64(&r), 0x1817161514131211ull);
    assert_non_null(proto_get_bytes(&r, 2));
    assert_memory_equal(proto_get_bytes(&r, 2), "ab", 2);
    size_t n;
    assert_string_equal(proto_get_nulstr(&r, &n), "xy");
    assert_int_equal(n, 2);
    assert_int_equal(proto_rd_left(&r), 0);
    assert_false(r.bad);
    proto_buf_free(&b);
    assert_null(b.data);
    assert_int_equal(b.len, 0);
}

static void test_load_store(void **state)
{
    (void)state;
    uint8_t p[4] = {0};
    proto_store_u24(p, 0xabcdef);
    assert_int_equal(p[0], 0xef);
    assert_int_equal(p[2], 0xab);
    assert_int_equal(proto_load_u24(p), 0xabcdef);
    p[3] = 0x12;
    assert_int_equal(proto_load_u32(p), 0x12abcdef);
    assert_int_equal(proto_load_u16(p), 0xcdef);
}

static void test_lenenc_boundaries(void **state)
{
    (void)state;
    static const struct {
        uint64_t v;
        size_t len;
        uint8_t first;
    } cases[] = {
        {0, 1, 0x00},       {250, 1, 0xfa},      {251, 3, 0xfc},       {0xffff, 3, 0xfc},
        {0x10000, 4, 0xfd}, {0xffffff, 4, 0xfd}, {0x1000000, 9, 0xfe}, {UINT64_MAX, 9, 0xfe},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        proto_buf b;
        proto_buf_init(&b);
        proto_put_lenenc(&b, cases[i].v);
        assert_int_equal(b.len, cases[i].len);
        assert_int_equal(b.data[0], cases[i].first);
        proto_rd r = proto_rd_init(b.data, b.len);
        bool is_null = true;
        assert_int_equal(proto_get_lenenc(&r, &is_null), cases[i].v);
        assert_false(is_null);
        assert_false(r.bad);
        assert_int_equal(proto_rd_left(&r), 0);
        /* every truncation fails */
        for (size_t cut = 0; cut < b.len; cut++) {
            r = proto_rd_init(b.data, cut);
            assert_int_equal(proto_get_lenenc(&r, NULL), 0);
            assert_true(r.bad);
        }
        proto_buf_free(&b);
    }
}

static void test_lenenc_markers(void **state)
{
    (void)state;
    static const uint8_t null_marker[] = {0xfb}, ff[] = {0xff, 0, 0, 0};
    bool is_null = false;
    proto_rd r = proto_rd_init(null_marker, 1);
    assert_int_equal(proto_get_lenenc(&r, &is_null), 0);
    assert_true(is_null);
    assert_false(r.bad);
    r = proto_rd_init(null_marker, 1);
    proto_get_lenenc(&r, NULL); /* NULL where a number is required */
    assert_true(r.bad);
    r = proto_rd_init(ff, sizeof ff);
    proto_get_lenenc(&r, &is_null);
    assert_true(r.bad);

    size_t n = 99;
    r = proto_rd_init(null_marker, 1);
    assert_null(proto_get_lenenc_str(&r, &n));
    assert_int_equal(n, 0);
    assert_false(r.bad);
}

static void test_lenenc_str(void **state)
{
    (void)state;
    char big[300];
    memset(big, 'z', sizeof big);
    proto_buf b;
    proto_buf_init(&b);
    proto_put_lenenc_str(&b, "hello", 5);
    proto_put_lenenc_str(&b, big, sizeof big);
    proto_put_lenenc_str(&b, "", 0);
    assert_int_equal(b.len, 1 + 5 + 3 + 300 + 1);
    proto_rd r = proto_rd_init(b.data, b.len);
    size_t n;
    assert_memory_equal(proto_get_lenenc_str(&r, &n), "hello", 5);
    assert_int_equal(n, 5);
    assert_memory_equal(proto_get_lenenc_str(&r, &n), big, 300);
    assert_int_equal(n, 300);
    assert_non_null(proto_get_lenenc_str(&r, &n));
    assert_int_equal(n, 0);
    assert_false(r.bad);
    /* length beyond the data */
    r = proto_rd_init(b.data, 5);
    assert_null(proto_get_lenenc_str(&r, &n));
    assert_int_equal(n, 0);
    assert_true(r.bad);
    proto_buf_free(&b);
}

static void test_reads_past_end(void **state)
{
    (void)state;
    static const uint8_t p[] = {1, 2, 3};
    proto_rd r = proto_rd_init(p, sizeof p);
    assert_int_equal(proto_get_u32(&r), 0);
    assert_true(r.bad);
    /* bad is sticky: even a read that would fit now fails */
    assert_int_equal(proto_get_u8(&r), 0);
    assert_null(proto_get_bytes(&r, 0));
    size_t n = 7;
    assert_null(proto_get_rest(&r, &n));
    assert_int_equal(n, 0);

    r = proto_rd_init(p, sizeof p);
    assert_null(proto_get_bytes(&r, 4));
    assert_true(r.bad);

    r = proto_rd_init(p, sizeof p); /* no NUL */
    assert_null(proto_get_nulstr(&r, &n));
    assert_true(r.bad);

    r = proto_rd_init(NULL, 0);
    assert_int_equal(proto_rd_left(&r), 0);
    assert_non_null(proto_get_rest(&r, &n));
    assert_int_equal(n, 0);
    assert_false(r.bad);
    assert_int_equal(proto_get_u8(&r), 0);
    assert_true(r.bad);
}

static void test_rest(void **state)
{
    (void)state;
    static const uint8_t p[] = {9, 'a', 'b', 'c'};
    proto_rd r = proto_rd_init(p, sizeof p);
    proto_get_u8(&r);
    size_t n;
    const uint8_t *rest = proto_get_rest(&r, &n);
    assert_ptr_equal(rest, p + 1);
    assert_int_equal(n, 3);
    assert_int_equal(proto_rd_left(&r), 0);
    assert_false(r.bad);
}

static void test_growth_and_reserve(void **state)
{
    (void)state;
    proto_buf b;
    proto_buf_init(&b);
    for (uint32_t i = 0; i < 100000; i++)
        proto_put_u32(&b, i);
    assert_int_equal(b.len, 400000);
    assert_true(b.cap >= b.len);
    for (uint32_t i = 0; i < 100000; i += 997)
        assert_int_equal(proto_load_u32(b.data + 4 * i), i);

    size_t cap = b.cap;
    proto_buf_reset(&b);
    assert_int_equal(b.len, 0);
    assert_int_equal(b.cap, cap);

    uint8_t *p = proto_buf_reserve(&b, cap + 10);
    assert_int_equal(b.len, 0);
    assert_true(b.cap >= cap + 10);
    memset(p, 0x5a, cap + 10); /* all of it is writable */
    proto_buf_free(&b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fixed_ints),
        cmocka_unit_test(test_load_store),
        cmocka_unit_test(test_lenenc_boundaries),
        cmocka_unit_test(test_lenenc_markers),
        cmocka_unit_test(test_lenenc_str),
        cmocka_unit_test(test_reads_past_end),
        cmocka_unit_test(test_rest),
        cmocka_unit_test(test_growth_and_reserve),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
