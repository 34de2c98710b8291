/*
 * test_proto_resultset.c: Ferry's own text result sets: packet sequence,
 * column definitions decoded field by field, rows (with NULL) byte-compared
 * to what MariaDB 10.11 sent for SELECT VERSION(), and both endings (EOF, and
 * the 0xfe-headed OK of DEPRECATE_EOF).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "protocol/handshake.h"
#include "protocol/packet.h"
#include "protocol/response.h"
#include "protocol/resultset.h"

/* Splits the next packet off out at *pos; returns its payload and sets len and seq. */
static const uint8_t *next_packet(const proto_buf *out, size_t *pos, size_t *len, uint8_t *seq)
{
    size_t wire;
    assert_int_equal(proto_logical_peek(out->data + *pos, out->len - *pos, &wire, len, seq),
                     PROTO_OK);
    const uint8_t *payload = out->data + *pos + PROTO_HEADER_LEN;
    *pos += wire;
    return payload;
}

static void check_str(proto_rd *r, const char *want)
{
    size_t n;
    const uint8_t *s = proto_get_lenenc_str(r, &n);
    assert_non_null(s);
    assert_int_equal(n, strlen(want));
    assert_memory_equal(s, want, n);
}

static void check_column(const uint8_t *p, size_t len, const char *name, uint16_t charset,
                         uint32_t width, uint8_t type, uint16_t flags)
{
    proto_rd r = proto_rd_init(p, len);
    check_str(&r, "def");
    check_str(&r, "");
    check_str(&r, "");
    check_str(&r, "");
    check_str(&r, name);
    check_str(&r, name);
    assert_int_equal(proto_get_lenenc(&r, NULL), 0x0c);
    assert_int_equal(proto_get_u16(&r), charset);
    assert_int_equal(proto_get_u32(&r), width);
    assert_int_equal(proto_get_u8(&r), type);
    assert_int_equal(proto_get_u16(&r), flags);
    assert_int_equal(proto_get_u8(&r), 0);
    assert_int_equal(proto_get_u16(&r), 0);
    assert_false(r.bad);
    assert_int_equal(proto_rd_left(&r), 0);
}

static void test_result_set_with_eof(void **state)
{
    (void)state;
    const proto_column cols[] = {{"File", PROTO_TYPE_VAR_STRING},
                                 {"Position", PROTO_TYPE_LONGLONG}};
    proto_buf b;
    proto_buf_init(&b);
    uint8_t seq = proto_rs_begin(&b, 1, cols, 2, false);
    assert_int_equal(seq, 5); /* count, 2 columns, EOF */
    const char *row[] = {"galera-bin.000003", NULL};
    seq = proto_rs_row(&b, seq, row, 2);
    seq = proto_rs_end(&b, seq, SERVER_STATUS_AUTOCOMMIT, false);
    assert_int_equal(seq, 7);

    size_t pos = 0, len;
    uint8_t s;
    const uint8_t *p = next_packet(&b, &pos, &len, &s);
    assert_int_equal(s, 1);
    assert_int_equal(len, 1);
    assert_int_equal(p[0], 2);
    p = next_packet(&b, &pos, &len, &s);
    assert_int_equal(s, 2);
    check_column(p, len, "File", 33, 765, PROTO_TYPE_VAR_STRING, 0);
    p = next_packet(&b, &pos, &len, &s);
    assert_int_equal(s, 3);
    check_column(p, len, "Position", 63, 21, PROTO_TYPE_LONGLONG, 0x8080);
    p = next_packet(&b, &pos, &len, &s);
    assert_int_equal(s, 4);
    assert_int_equal(len, 5);
    assert_memory_equal(p, "\xfe\x00\x00\x00\x00", 5);
    p = next_packet(&b, &pos, &len, &s);
    assert_int_equal(s, 5);
    assert_int_equal(len, 19);
    assert_memory_equal(p, "\x11galera-bin.000003\xfb", 19);
    p = next_packet(&b, &pos, &len, &s);
    assert_int_equal(s, 6);
    assert_memory_equal(p, "\xfe\x00\x00\x02\x00", 5); /* as MariaDB ends a set */
    assert_int_equal(pos, b.len);
    proto_buf_free(&b);
}

static void test_row_matches_server(void **state)
{
    (void)state;
    /* MariaDB's row for SELECT VERSION() (05-gtid-not-in-binlog-error, seq 4) */
    static const char ver[] = "10.11.19-MariaDB-0+deb12u1-log";
    proto_buf b;
    proto_buf_init(&b);
    const char *row[] = {ver};
    assert_int_equal(proto_rs_row(&b, 4, row, 1), 5);
    assert_int_equal(b.len, 4 + 31);
    assert_memory_equal(b.data, "\x1f\x00\x00\x04\x1e", 5);
    assert_memory_equal(b.data + 5, ver, 30);
    proto_buf_free(&b);
}

static void test_result_set_deprecate_eof(void **state)
{
    (void)state;
    const proto_column cols[] = {{"Value", PROTO_TYPE_VAR_STRING}};
    proto_buf b;
    proto_buf_init(&b);
    uint8_t seq = proto_rs_begin(&b, 1, cols, 1, true);
    assert_int_equal(seq, 3); /* no EOF after the columns */
    seq = proto_rs_end(&b, seq, SERVER_STATUS_AUTOCOMMIT, true);
    assert_int_equal(seq, 4);

    size_t pos = 0, len;
    uint8_t s;
    next_packet(&b, &pos, &len, &s);
    next_packet(&b, &pos, &len, &s);
    const uint8_t *p = next_packet(&b, &pos, &len, &s);
    assert_int_equal(s, 3);
    assert_int_equal(len, 7);
    assert_memory_equal(p, "\xfe\x00\x00\x02\x00\x00\x00", 7);
    proto_ok ok;
    assert_int_equal(proto_ok_parse(p, len, &ok), PROTO_OK);
    assert_int_equal(ok.status, SERVER_STATUS_AUTOCOMMIT);
    assert_int_equal(pos, b.len);
    proto_buf_free(&b);
}

static void test_empty_values(void **state)
{
    (void)state;
    proto_buf b;
    proto_buf_init(&b);
    const char *row[] = {"", NULL, "7000"};
    proto_rs_row(&b, 0, row, 3);
    assert_int_equal(b.len, 4 + 1 + 1 + 5);
    assert_memory_equal(b.data + 4,
                        "\x00\xfb\x04"
                        "7000",
                        7);
    proto_buf_free(&b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_result_set_with_eof),
        cmocka_unit_test(test_row_matches_server),
        cmocka_unit_test(test_result_set_deprecate_eof),
        cmocka_unit_test(test_empty_values),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
