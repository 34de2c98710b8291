/*
 * test_proto_response.c: OK, ERR and EOF against real MariaDB 10.11 packets
 * (01-replica-start-slave-g2, 05-gtid-not-in-binlog-error): decoding,
 * byte-identical re-encoding, the 0xfe-headed OK of DEPRECATE_EOF, ERR
 * without SQLSTATE, and malformed inputs.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "protocol/handshake.h"
#include "protocol/packet.h"
#include "protocol/response.h"

static const uint8_t OK_REAL[] = {0x00, 0x00, 0x00, 0x02, 0x00, 0x00, 0x00};
static const uint8_t EOF_REAL[] = {0xfe, 0x00, 0x00, 0x02, 0x00};
static const uint8_t EOF_MORE[] = {0xfe, 0x00, 0x00, 0x22, 0x00};
static const char ERR_MSG[] = "Could not find GTID state requested by slave in any binlog files. "
                              "Probably the slave state is too old and required binlog files "
                              "have been purged.";

static void test_ok_real(void **state)
{
    (void)state;
    proto_ok ok;
    assert_int_equal(proto_ok_parse(OK_REAL, sizeof OK_REAL, &ok), PROTO_OK);
    assert_int_equal(ok.affected_rows, 0);
    assert_int_equal(ok.insert_id, 0);
    assert_int_equal(ok.status, SERVER_STATUS_AUTOCOMMIT);
    assert_int_equal(ok.warnings, 0);
    assert_int_equal(ok.info_len, 0);
    assert_true(proto_is_ok(OK_REAL, sizeof OK_REAL));

    proto_buf b;
    proto_buf_init(&b);
    proto_ok_write(&b, &ok);
    assert_int_equal(b.len, sizeof OK_REAL);
    assert_memory_equal(b.data, OK_REAL, sizeof OK_REAL);
    proto_buf_free(&b);
}

static void test_ok_fields(void **state)
{
    (void)state;
    proto_ok in = {.affected_rows = 70000,
                   .insert_id = 1ull << 40,
                   .status = 3,
                   .warnings = 2,
                   .info = "Rows matched: 1",
                   .info_len = 15};
    proto_buf b;
    proto_buf_init(&b);
    proto_ok_write(&b, &in);
    assert_int_equal(b.len, 1 + 4 + 9 + 2 + 2 + 15);
    assert_int_equal(b.data[1], 0xfd);
    assert_int_equal(b.data[5], 0xfe);
    proto_ok out;
    assert_int_equal(proto_ok_parse(b.data, b.len, &out), PROTO_OK);
    assert_int_equal(out.affected_rows, 70000);
    assert_int_equal(out.insert_id, 1ull << 40);
    assert_int_equal(out.status, 3);
    assert_int_equal(out.warnings, 2);
    assert_int_equal(out.info_len, 15);
    assert_memory_equal(out.info, "Rows matched: 1", 15);
    for (size_t i = 0; i < 1 + 4 + 9 + 2 + 2; i++)
        assert_int_equal(proto_ok_parse(b.data, i, &out), PROTO_BAD);
    proto_buf_free(&b);
}

static void test_ok_with_eof_header(void **state)
{
    (void)state;
    static const uint8_t p[] = {0xfe, 0x00, 0x00, 0x22, 0x00, 0x01, 0x00};
    proto_ok ok;
    assert_int_equal(proto_ok_parse(p, sizeof p, &ok), PROTO_OK);
    assert_int_equal(ok.status, 0x22);
    assert_int_equal(ok.warnings, 1);
    /* a classic 5-byte EOF is not an OK */
    assert_int_equal(proto_ok_parse(EOF_REAL, sizeof EOF_REAL, &ok), PROTO_BAD);
    static const uint8_t row[] = {0x03, 'a', 'b', 'c', 0x01, 'x', 0x00};
    assert_int_equal(proto_ok_parse(row, sizeof row, &ok), PROTO_BAD);
}

static void test_err_real(void **state)
{
    (void)state;
    proto_buf real;
    proto_buf_init(&real);
    proto_put_bytes(&real, "\xff\xd4\x04#HY000", 9);
    proto_put_bytes(&real, ERR_MSG, strlen(ERR_MSG));
    assert_int_equal(real.len, 154); /* as captured */

    proto_err e;
    assert_int_equal(proto_err_parse(real.data, real.len, &e), PROTO_OK);
    assert_int_equal(e.code, ER_MASTER_FATAL_ERROR_READING_BINLOG);
    assert_string_equal(e.sqlstate, "HY000");
    assert_int_equal(e.msg_len, strlen(ERR_MSG));
    assert_memory_equal(e.msg, ERR_MSG, e.msg_len);
    assert_true(proto_is_err(real.data, real.len));

    proto_buf b;
    proto_buf_init(&b);
    proto_err_write(&b, ER_MASTER_FATAL_ERROR_READING_BINLOG, "HY000", ERR_MSG);
    assert_int_equal(b.len, real.len);
    assert_memory_equal(b.data, real.data, real.len);
    proto_buf_free(&b);
    proto_buf_free(&real);
}

static void test_err_forms(void **state)
{
    (void)state;
    proto_err e;
    /* sent before the client said PROTOCOL_41: no '#' + SQLSTATE */
    static const uint8_t old[] = {0xff, 0x10, 0x04, 'T', 'o', 'o', ' ', 'm', 'a', 'n', 'y'};
    assert_int_equal(proto_err_parse(old, sizeof old, &e), PROTO_OK);
    assert_int_equal(e.code, ER_CON_COUNT_ERROR);
    assert_string_equal(e.sqlstate, "HY000");
    assert_int_equal(e.msg_len, 8);
    assert_memory_equal(e.msg, "Too many", 8);

    static const uint8_t cut[] = {0xff, 0x15, 0x04, '#', '2', '8', '0', '0'};
    for (size_t i = 0; i < sizeof cut; i++) {
        if (i == 3)
            continue; /* code only, empty message: well-formed */
        assert_int_equal(proto_err_parse(cut, i, &e), PROTO_BAD);
    }
    assert_int_equal(proto_err_parse(OK_REAL, sizeof OK_REAL, &e), PROTO_BAD);

    proto_buf b;
    proto_buf_init(&b);
    proto_err_write(&b, ER_ACCESS_DENIED_ERROR, NULL, "denied");
    assert_memory_equal(b.data, "\xff\x15\x04#HY000denied", 15);
    proto_buf_reset(&b);
    proto_err_write(&b, ER_ACCESS_DENIED_ERROR, "28000", "");
    assert_int_equal(b.len, 9);
    assert_int_equal(proto_err_parse(b.data, b.len, &e), PROTO_OK);
    assert_string_equal(e.sqlstate, "28000");
    assert_int_equal(e.msg_len, 0);
    proto_buf_free(&b);
}

static void test_eof(void **state)
{
    (void)state;
    uint16_t w = 9, s = 9;
    assert_int_equal(proto_eof_parse(EOF_REAL, sizeof EOF_REAL, &w, &s), PROTO_OK);
    assert_int_equal(w, 0);
    assert_int_equal(s, SERVER_STATUS_AUTOCOMMIT);
    assert_int_equal(proto_eof_parse(EOF_MORE, sizeof EOF_MORE, &w, &s), PROTO_OK);
    assert_int_equal(s, 0x22);
    for (size_t i = 0; i < sizeof EOF_REAL; i++)
        assert_int_equal(proto_eof_parse(EOF_REAL, i, &w, &s), PROTO_BAD);
    static const uint8_t nine[9] = {0xfe};
    assert_int_equal(proto_eof_parse(nine, 9, &w, &s), PROTO_BAD);
    assert_false(proto_is_eof(nine, 9));
    assert_int_equal(proto_eof_parse(OK_REAL, 5, &w, &s), PROTO_BAD);

    proto_buf b;
    proto_buf_init(&b);
    proto_eof_write(&b, 0, 0x22);
    assert_int_equal(b.len, 5);
    assert_memory_equal(b.data, EOF_MORE, 5);
    proto_buf_free(&b);
}

static void test_whole_packets(void **state)
{
    (void)state;
    proto_buf b;
    proto_buf_init(&b);
    proto_ok_packet(&b, 2, SERVER_STATUS_AUTOCOMMIT);
    assert_int_equal(b.len, 11);
    assert_memory_equal(b.data, "\x07\x00\x00\x02\x00\x00\x00\x02\x00\x00\x00", 11);
    proto_buf_reset(&b);
    proto_err_packet(&b, 1, ER_UNKNOWN_COM_ERROR, "08S01", "Unknown command");
    assert_int_equal(b.len, 4 + 9 + 15);
    assert_memory_equal(b.data, "\x18\x00\x00\x01\xff\x17\x04#08S01Unknown command", 28);
    proto_buf_free(&b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ok_real),
        cmocka_unit_test(test_ok_fields),
        cmocka_unit_test(test_ok_with_eof_header),
        cmocka_unit_test(test_err_real),
        cmocka_unit_test(test_err_forms),
        cmocka_unit_test(test_eof),
        cmocka_unit_test(test_whole_packets),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
