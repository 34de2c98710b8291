/*
 * test_proto_command.c: command names and replies, and the decoders of
 * COM_REGISTER_SLAVE and COM_BINLOG_DUMP (real bytes from a MariaDB replica
 * and from mariadb-binlog), COM_BINLOG_DUMP_GTID and statement ids, with
 * truncated, over-long and wrong-command inputs.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "protocol/command.h"
#include "protocol/packet.h"

/* COM_REGISTER_SLAVE of a 10.11 replica: server_id 8000, port 3321. */
static const uint8_t REGISTER_REAL[] = {0x15, 0x40, 0x1f, 0x00, 0x00, 0x00, 0x00, 0x00, 0xf9,
                                        0x0c, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00};
/* COM_BINLOG_DUMP of the same replica: pos 4, flags 2, server_id 8000, file "". */
static const uint8_t DUMP_REPLICA[] = {0x12, 0x04, 0x00, 0x00, 0x00, 0x02,
                                       0x00, 0x40, 0x1f, 0x00, 0x00};
/* mariadb-binlog --read-from-remote-server galera-bin.000002. */
static const uint8_t DUMP_BINLOG_TOOL[] = {
    0x12, 0x04, 0x00, 0x00, 0x00, 0x03, 0x00, 0x00, 0x00, 0x00, 0x00, 'g', 'a', 'l',
    'e',  'r',  'a',  '-',  'b',  'i',  'n',  '.',  '0',  '0',  '0',  '0', '0', '2'};

/* Parses every proper prefix (in an exact-size copy): PROTO_BAD below ok_from, else PROTO_OK. */
#define CHECK_PREFIXES(parse, p, len, out, ok_from)                                                \
    do {                                                                                           \
        for (size_t i_ = 0; i_ < (len); i_++) {                                                    \
            uint8_t *c_ = malloc(i_ ? i_ : 1);                                                     \
            memcpy(c_, (p), i_);                                                                   \
            assert_int_equal(parse(c_, i_, (out)), i_ < (ok_from) ? PROTO_BAD : PROTO_OK);         \
            free(c_);                                                                              \
        }                                                                                          \
    } while (0)

static void test_names(void **state)
{
    (void)state;
    assert_string_equal(proto_com_name(COM_QUERY), "COM_QUERY");
    assert_string_equal(proto_com_name(COM_SLEEP), "COM_SLEEP");
    assert_string_equal(proto_com_name(COM_BINLOG_DUMP_GTID), "COM_BINLOG_DUMP_GTID");
    assert_string_equal(proto_com_name(COM_RESET_CONNECTION), "COM_RESET_CONNECTION");
    assert_string_equal(proto_com_name(COM_STMT_BULK_EXECUTE), "COM_STMT_BULK_EXECUTE");
    assert_string_equal(proto_com_name(0x20), "COM_UNKNOWN");
    assert_string_equal(proto_com_name(0xf9), "COM_UNKNOWN");
    assert_string_equal(proto_com_name(0xff), "COM_UNKNOWN");
    for (unsigned c = 0; c <= COM_RESET_CONNECTION; c++) {
        const char *name = proto_com_name((uint8_t)c);
        assert_int_equal(strncmp(name, "COM_", 4), 0);
        assert_string_not_equal(name, "COM_UNKNOWN");
    }
}

static void test_has_reply(void **state)
{
    (void)state;
    assert_false(proto_com_has_reply(COM_QUIT));
    assert_false(proto_com_has_reply(COM_STMT_CLOSE));
    assert_false(proto_com_has_reply(COM_STMT_SEND_LONG_DATA));
    assert_true(proto_com_has_reply(COM_QUERY));
    assert_true(proto_com_has_reply(COM_PING));
    assert_true(proto_com_has_reply(COM_BINLOG_DUMP));
    assert_true(proto_com_has_reply(COM_STMT_EXECUTE));
}

static void test_register_slave_real(void **state)
{
    (void)state;
    proto_register_slave s;
    assert_int_equal(proto_register_slave_parse(REGISTER_REAL, sizeof REGISTER_REAL, &s), PROTO_OK);
    assert_int_equal(s.server_id, 8000);
    assert_string_equal(s.host, "");
    assert_string_equal(s.user, "");
    assert_string_equal(s.password, "");
    assert_int_equal(s.port, 3321);
    assert_int_equal(s.rank, 0);
    assert_int_equal(s.master_id, 0);
    /* strict up to the port, tolerant of a missing rank / master_id */
    CHECK_PREFIXES(proto_register_slave_parse, REGISTER_REAL, sizeof REGISTER_REAL, &s, 10);
}

static void test_register_slave_strings(void **state)
{
    (void)state;
    proto_buf b;
    proto_buf_init(&b);
    proto_put_u8(&b, COM_REGISTER_SLAVE);
    proto_put_u32(&b, 80);
    proto_put_u8(&b, 5);
    proto_put_bytes(&b, "dr-db", 5);
    proto_put_u8(&b, 4);
    proto_put_bytes(&b, "repl", 4);
    proto_put_u8(&b, 255);
    for (int i = 0; i < 255; i++)
        proto_put_u8(&b, 'p');
    proto_put_u16(&b, 3306);
    proto_put_u32(&b, 1);
    proto_put_u32(&b, 7000);
    proto_register_slave s;
    assert_int_equal(proto_register_slave_parse(b.data, b.len, &s), PROTO_OK);
    assert_int_equal(s.server_id, 80);
    assert_string_equal(s.host, "dr-db");
    assert_string_equal(s.user, "repl");
    assert_int_equal(strlen(s.password), 255);
    assert_int_equal(s.port, 3306);
    assert_int_equal(s.rank, 1);
    assert_int_equal(s.master_id, 7000);

    b.data[7] = 0; /* a NUL inside "dr-db" */
    assert_int_equal(proto_register_slave_parse(b.data, b.len, &s), PROTO_BAD);
    b.data[0] = COM_BINLOG_DUMP;
    assert_int_equal(proto_register_slave_parse(b.data, b.len, &s), PROTO_BAD);
    proto_buf_free(&b);
}

static void test_binlog_dump_real(void **state)
{
    (void)state;
    proto_binlog_dump d;
    assert_int_equal(proto_binlog_dump_parse(DUMP_REPLICA, sizeof DUMP_REPLICA, &d), PROTO_OK);
    assert_int_equal(d.pos, 4);
    assert_int_equal(d.flags, BINLOG_SEND_ANNOTATE_ROWS_EVENT);
    assert_int_equal(d.server_id, 8000);
    assert_string_equal(d.file, "");
    CHECK_PREFIXES(proto_binlog_dump_parse, DUMP_REPLICA, sizeof DUMP_REPLICA, &d, 11);

    assert_int_equal(proto_binlog_dump_parse(DUMP_BINLOG_TOOL, sizeof DUMP_BINLOG_TOOL, &d),
                     PROTO_OK);
    assert_int_equal(d.flags, BINLOG_DUMP_NON_BLOCK | BINLOG_SEND_ANNOTATE_ROWS_EVENT);
    assert_int_equal(d.server_id, 0);
    assert_string_equal(d.file, "galera-bin.000002");
}

static void test_binlog_dump_limits(void **state)
{
    (void)state;
    proto_buf b;
    proto_buf_init(&b);
    proto_put_bytes(&b, DUMP_REPLICA, sizeof DUMP_REPLICA);
    for (int i = 0; i < 511; i++)
        proto_put_u8(&b, 'f');
    proto_binlog_dump d;
    assert_int_equal(proto_binlog_dump_parse(b.data, b.len, &d), PROTO_OK);
    assert_int_equal(strlen(d.file), 511);
    proto_put_u8(&b, 'f');
    assert_int_equal(proto_binlog_dump_parse(b.data, b.len, &d), PROTO_BAD);
    proto_buf_free(&b);
    static const uint8_t nul_name[] = {0x12, 4, 0, 0, 0, 0, 0, 1, 0, 0, 0, 'a', 0, 'b'};
    assert_int_equal(proto_binlog_dump_parse(nul_name, sizeof nul_name, &d), PROTO_BAD);
}

static void build_dump_gtid(proto_buf *b, uint16_t flags, const char *file, const char *gtid)
{
    proto_put_u8(b, COM_BINLOG_DUMP_GTID);
    proto_put_u16(b, flags);
    proto_put_u32(b, 99);
    proto_put_u32(b, (uint32_t)strlen(file));
    proto_put_bytes(b, file, strlen(file));
    proto_put_u64(b, 0x1122334455ull);
    if (flags & 4) {
        proto_put_u32(b, (uint32_t)strlen(gtid));
        proto_put_bytes(b, gtid, strlen(gtid));
    }
}

static void test_binlog_dump_gtid(void **state)
{
    (void)state;
    proto_buf b;
    proto_buf_init(&b);
    build_dump_gtid(&b, 4, "mysql-bin.000001", "gtidset");
    proto_binlog_dump_gtid d;
    assert_int_equal(proto_binlog_dump_gtid_parse(b.data, b.len, &d), PROTO_OK);
    assert_int_equal(d.flags, 4);
    assert_int_equal(d.server_id, 99);
    assert_string_equal(d.file, "mysql-bin.000001");
    assert_int_equal(d.pos, 0x1122334455ull);
    assert_int_equal(d.gtid_len, 7);
    assert_ptr_equal(d.gtid_data, b.data + b.len - 7);
    CHECK_PREFIXES(proto_binlog_dump_gtid_parse, b.data, b.len, &d, b.len);

    proto_buf_reset(&b);
    build_dump_gtid(&b, 0, "", "");
    assert_int_equal(proto_binlog_dump_gtid_parse(b.data, b.len, &d), PROTO_OK);
    assert_string_equal(d.file, "");
    assert_null(d.gtid_data);
    assert_int_equal(d.gtid_len, 0);
    CHECK_PREFIXES(proto_binlog_dump_gtid_parse, b.data, b.len, &d, b.len);

    /* name length beyond the packet, and a name too long for the struct */
    proto_buf_reset(&b);
    build_dump_gtid(&b, 0, "x", "");
    proto_store_u24(b.data + 7, 0xffffff);
    assert_int_equal(proto_binlog_dump_gtid_parse(b.data, b.len, &d), PROTO_BAD);
    char longname[600];
    memset(longname, 'n', sizeof longname - 1);
    longname[sizeof longname - 1] = '\0';
    proto_buf_reset(&b);
    build_dump_gtid(&b, 0, longname, "");
    assert_int_equal(proto_binlog_dump_gtid_parse(b.data, b.len, &d), PROTO_BAD);
    proto_buf_free(&b);
}

static void test_stmt_id(void **state)
{
    (void)state;
    static const uint8_t exec[] = {COM_STMT_EXECUTE, 0x78, 0x56, 0x34, 0x12, 0, 1, 0, 0, 0};
    uint32_t id = 0;
    assert_int_equal(proto_stmt_id_parse(exec, sizeof exec, &id), PROTO_OK);
    assert_int_equal(id, 0x12345678);
    static const uint8_t close_[] = {COM_STMT_CLOSE, 7, 0, 0, 0};
    assert_int_equal(proto_stmt_id_parse(close_, sizeof close_, &id), PROTO_OK);
    assert_int_equal(id, 7);
    assert_int_equal(proto_stmt_id_parse(close_, 4, &id), PROTO_BAD);
    static const uint8_t query[] = {COM_QUERY, 7, 0, 0, 0};
    assert_int_equal(proto_stmt_id_parse(query, sizeof query, &id), PROTO_BAD);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_names),
        cmocka_unit_test(test_has_reply),
        cmocka_unit_test(test_register_slave_real),
        cmocka_unit_test(test_register_slave_strings),
        cmocka_unit_test(test_binlog_dump_real),
        cmocka_unit_test(test_binlog_dump_limits),
        cmocka_unit_test(test_binlog_dump_gtid),
        cmocka_unit_test(test_stmt_id),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
