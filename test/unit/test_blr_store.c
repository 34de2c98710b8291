/*
 * test_blr_store.c: the binlog relay's file store against a temporary
 * directory: new files, append/commit/cut and what becomes visible, the
 * GTID index and blr_store_locate (OK, AHEAD, UNKNOWN, PURGED), recovery of
 * a partial group after a crash, rotation at max_file_size, pins against
 * PURGE BINARY LOGS, and the commit-mode sync thread.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <fcntl.h>
#include <sys/stat.h>
#include <time.h>

#include "test/unit/blr_testlib.h"

typedef struct fixture {
    char dir[64];
    blr_store *s;
} fixture;

static int setup(void **state)
{
    fixture *f = calloc(1, sizeof(*f));
    t_mkdir(f->dir, sizeof(f->dir));
    f->s = t_open(f->dir, 0, BLR_SYNC_NEVER);
    *state = f;
    return f->s ? 0 : -1;
}

static int teardown(void **state)
{
    fixture *f = *state;
    blr_store_close(f->s);
    t_rmdir(f->dir);
    free(f);
    return 0;
}

static void reopen(fixture *f)
{
    blr_store_close(f->s);
    f->s = t_open(f->dir, 0, BLR_SYNC_NEVER);
    assert_non_null(f->s);
}

static blr_locate_result locate(blr_store *s, const char *start, blr_pos *out, char *err)
{
    gtid_pos p = t_pos(start);
    return blr_store_locate(s, &p, out, err, 512);
}

static void test_empty(void **state)
{
    fixture *f = *state;
    uint32_t first, last;
    blr_store_range(f->s, &first, &last);
    assert_int_equal(first, 0);
    assert_int_equal(last, 0);
    gtid_pos st;
    blr_pos v = blr_store_visible(f->s, &st);
    assert_int_equal(v.file_no, 0);
    assert_int_equal(st.n, 0);
    assert_false(blr_store_has_file(f->s));
    blr_pos at;
    char err[512];
    assert_int_equal(locate(f->s, "", &at, err), BLR_LOCATE_OK);
    assert_int_equal(at.file_no, 0);
    assert_int_equal(locate(f->s, "0-1-1", &at, err), BLR_LOCATE_UNKNOWN);
    assert_non_null(strstr(err, "0-1-1"));
}

static void test_append_commit_visible(void **state)
{
    fixture *f = *state;
    t_new_file(f->s, true);
    blr_pos v = blr_store_visible(f->s, NULL);
    assert_int_equal(v.file_no, 1);
    uint64_t head = blr_store_header_end(f->s, 1);
    assert_int_equal(v.offset, head);
    gtid_t g = {0, T_SERVER_ID, 1};
    t_group_uncommitted(f->s, g, "INSERT 1", 8, true);
    assert_int_equal(blr_store_visible(f->s, NULL).offset, head); /* not committed yet */
    char err[512];
    assert_int_equal(blr_store_commit(f->s, &g, err, sizeof(err)), 0);
    gtid_pos st;
    v = blr_store_visible(f->s, &st);
    assert_true(v.offset > head);
    assert_int_equal(blr_store_file_size(f->s, 1), (int64_t)v.offset);
    char text[64];
    gtid_pos_format(&st, text, sizeof(text));
    assert_string_equal(text, "0-7000-1");
    /* The file on disk is that long and starts with the magic. */
    char path[4200];
    blr_store_path(f->s, 1, path, sizeof(path));
    struct stat sb;
    assert_int_equal(stat(path, &sb), 0);
    assert_int_equal((uint64_t)sb.st_size, v.offset);
}

static void test_cut(void **state)
{
    fixture *f = *state;
    t_new_file(f->s, true);
    t_group(f->s, 0, 1, "INSERT 1", true);
    blr_pos v = blr_store_visible(f->s, NULL);
    gtid_t g = {0, T_SERVER_ID, 2};
    t_group_uncommitted(f->s, g, "INSERT 2", 8, true);
    char err[512], path[4200];
    assert_int_equal(blr_store_cut(f->s, err, sizeof(err)), 0);
    blr_store_path(f->s, 1, path, sizeof(path));
    struct stat sb;
    stat(path, &sb);
    assert_int_equal((uint64_t)sb.st_size, v.offset);
    /* Appending after a cut continues at the commit boundary. */
    t_group(f->s, 0, 2, "INSERT 2", true);
    blr_pos at;
    assert_int_equal(locate(f->s, "0-7000-1", &at, err), BLR_LOCATE_OK);
    assert_int_equal(at.offset, v.offset);
}

static void test_locate(void **state)
{
    fixture *f = *state;
    t_new_file(f->s, true);
    uint64_t head = blr_store_header_end(f->s, 1);
    t_group(f->s, 0, 1, "INSERT 1", true);
    uint64_t after1 = blr_store_visible(f->s, NULL).offset;
    t_group(f->s, 0, 2, "INSERT 2", true);
    uint64_t after2 = blr_store_visible(f->s, NULL).offset;
    t_group(f->s, 1, 1, "INSERT d1", true);
    blr_pos at;
    char err[512];
    assert_int_equal(locate(f->s, "", &at, err), BLR_LOCATE_OK);
    assert_int_equal(at.file_no, 1);
    assert_int_equal(at.offset, head);
    assert_int_equal(locate(f->s, "0-7000-1", &at, err), BLR_LOCATE_OK);
    assert_int_equal(at.offset, after1);
    assert_int_equal(locate(f->s, "0-7000-2", &at, err), BLR_LOCATE_OK);
    assert_int_equal(at.offset, after2);
    /* The leading groups skipped must all be ones the replica has. */
    assert_int_equal(locate(f->s, "0-7000-2,1-7000-1", &at, err), BLR_LOCATE_OK);
    assert_int_equal(at.offset, blr_store_visible(f->s, NULL).offset);
    assert_int_equal(locate(f->s, "0-7000-9", &at, err), BLR_LOCATE_AHEAD);
    assert_non_null(strstr(err, "0-7000-9"));
    assert_int_equal(locate(f->s, "5-7000-1", &at, err), BLR_LOCATE_UNKNOWN);
    assert_non_null(strstr(err, "domain 5"));
}

static void test_rotation_and_purge(void **state)
{
    fixture *f = *state;
    t_new_file(f->s, true);
    t_group(f->s, 0, 1, "INSERT 1", true);
    t_group(f->s, 0, 2, "INSERT 2", true);
    t_new_file(f->s, true); /* e.g. a master switch */
    t_group(f->s, 0, 3, "INSERT 3", true);
    t_new_file(f->s, true);
    uint32_t first, last;
    blr_store_range(f->s, &first, &last);
    assert_int_equal(first, 1);
    assert_int_equal(last, 3);
    blr_pos at;
    char err[512];
    assert_int_equal(locate(f->s, "0-7000-1", &at, err), BLR_LOCATE_OK);
    assert_int_equal(at.file_no, 1);
    assert_int_equal(locate(f->s, "0-7000-2", &at, err), BLR_LOCATE_OK);
    assert_int_equal(at.file_no, 2);
    assert_int_equal(at.offset, blr_store_header_end(f->s, 2));
    assert_int_equal(locate(f->s, "0-7000-3", &at, err), BLR_LOCATE_OK);
    assert_int_equal(at.file_no, 3);
    /* A pinned file is never purged. */
    assert_int_equal(blr_store_pin(f->s, 1), 0);
    assert_int_equal(blr_store_purge_to(f->s, 3, err, sizeof(err)), -1);
    assert_non_null(strstr(err, "binlog.000001"));
    blr_store_unpin(f->s, 1);
    assert_int_equal(blr_store_purge_to(f->s, 9, err, sizeof(err)), -1);
    assert_int_equal(blr_store_purge_to(f->s, 2, err, sizeof(err)), 0);
    blr_store_range(f->s, &first, &last);
    assert_int_equal(first, 2);
    assert_int_equal(blr_store_file_size(f->s, 1), -1);
    assert_int_equal(blr_store_pin(f->s, 1), -1);
    char path[4200];
    blr_store_path(f->s, 1, path, sizeof(path));
    assert_int_equal(access(path, F_OK), -1);
    /* Now the replica at 0-7000-1 needs a purged file. */
    assert_int_equal(locate(f->s, "0-7000-1", &at, err), BLR_LOCATE_PURGED);
    assert_non_null(strstr(err, "Could not find GTID state requested by slave"));
    assert_int_equal(locate(f->s, "0-7000-2", &at, err), BLR_LOCATE_OK);
    /* The index survives a restart. */
    reopen(f);
    blr_store_range(f->s, &first, &last);
    assert_int_equal(first, 2);
    assert_int_equal(last, 3);
}

/* A whole group on disk counts after a restart even if commit was never called. */
static void test_recovery_keeps_whole_group(void **state)
{
    fixture *f = *state;
    t_new_file(f->s, true);
    t_group(f->s, 0, 1, "INSERT 1", true);
    gtid_t g = {0, T_SERVER_ID, 2};
    t_group_uncommitted(f->s, g, "INSERT 2", 8, true);
    reopen(f);
    blr_pos at;
    char err[512];
    assert_int_equal(locate(f->s, "0-7000-2", &at, err), BLR_LOCATE_OK);
    assert_int_equal(at.offset, blr_store_visible(f->s, NULL).offset);
}

static void test_recovery_cuts_partial_group(void **state)
{
    fixture *f = *state;
    t_new_file(f->s, true);
    t_group(f->s, 0, 1, "INSERT 1", true);
    t_group(f->s, 0, 2, "INSERT 2", true);
    blr_pos v = blr_store_visible(f->s, NULL);
    /* GTID and QUERY of a third group, no XID: as after kill -9 mid-transaction. */
    proto_buf b;
    proto_buf_init(&b);
    binlog_header h = t_hdr(1700000100);
    binlog_gtid bg = {.gtid = {0, T_SERVER_ID, 3}, .flags2 = BINLOG_FL_TRANSACTIONAL};
    binlog_write_gtid(&b, &h, &bg, true);
    t_append(f->s, &b);
    t_query(&b, "INSERT 3", 8, true);
    t_append(f->s, &b);
    proto_buf_free(&b);
    reopen(f);
    gtid_pos st;
    blr_pos r = blr_store_visible(f->s, &st);
    assert_int_equal(r.file_no, v.file_no);
    assert_int_equal(r.offset, v.offset);
    char text[64];
    gtid_pos_format(&st, text, sizeof(text));
    assert_string_equal(text, "0-7000-2");
    assert_true(blr_store_has_file(f->s));
    blr_pos at;
    char err[512];
    assert_int_equal(locate(f->s, "0-7000-1", &at, err), BLR_LOCATE_OK); /* GTID index rebuilt */
    t_group(f->s, 0, 3, "INSERT 3", true);
    assert_int_equal(locate(f->s, "0-7000-3", &at, err), BLR_LOCATE_OK);
    assert_int_equal(at.offset, blr_store_visible(f->s, NULL).offset);
}

static void test_recovery_torn_event(void **state)
{
    fixture *f = *state;
    t_new_file(f->s, false);
    t_group(f->s, 0, 1, "INSERT 1", false);
    blr_pos v = blr_store_visible(f->s, NULL);
    blr_store_close(f->s);
    f->s = NULL;
    char path[4200];
    snprintf(path, sizeof(path), "%s/binlog.000001", f->dir);
    int fd = open(path, O_WRONLY | O_APPEND);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, "\x01\x02\x03\x04\x05\x06\x07", 7), 7); /* half a header */
    close(fd);
    f->s = t_open(f->dir, 0, BLR_SYNC_NEVER);
    assert_non_null(f->s);
    assert_int_equal(blr_store_visible(f->s, NULL).offset, v.offset);
    struct stat sb;
    stat(path, &sb);
    assert_int_equal((uint64_t)sb.st_size, v.offset);
}

/* Killed between ending a file with its ROTATE and listing the next one. */
static void test_recovery_after_rotate(void **state)
{
    fixture *f = *state;
    t_new_file(f->s, true);
    t_group(f->s, 0, 1, "INSERT 1", true);
    t_new_file(f->s, true);
    int64_t size1 = blr_store_file_size(f->s, 1);
    blr_store_close(f->s);
    f->s = NULL;
    char path[4200];
    snprintf(path, sizeof(path), "%s/binlog.index", f->dir);
    FILE *idx = fopen(path, "w");
    fputs("binlog.000001\n", idx);
    fclose(idx);
    snprintf(path, sizeof(path), "%s/binlog.000002", f->dir);
    unlink(path);
    f->s = t_open(f->dir, 0, BLR_SYNC_NEVER);
    assert_non_null(f->s);
    assert_false(blr_store_has_file(f->s)); /* nothing may follow the ROTATE */
    blr_pos v = blr_store_visible(f->s, NULL);
    assert_int_equal(v.file_no, 1);
    assert_int_equal(v.offset, (uint64_t)size1);
    t_new_file(f->s, true);
    assert_int_equal(blr_store_file_size(f->s, 1), size1);
    t_group(f->s, 0, 2, "INSERT 2", true);
    blr_pos at;
    char err[512];
    assert_int_equal(locate(f->s, "0-7000-1", &at, err), BLR_LOCATE_OK);
    assert_int_equal(at.file_no, 2);
}

static void test_max_file_size(void **state)
{
    fixture *f = *state;
    blr_store_close(f->s);
    f->s = t_open(f->dir, 1000, BLR_SYNC_NEVER);
    t_new_file(f->s, true);
    for (int i = 1; i <= 20; i++)
        t_group(f->s, 0, (uint64_t)i, "INSERT INTO t VALUES (1), (2), (3), (4), (5)", true);
    uint32_t first, last;
    blr_store_range(f->s, &first, &last);
    assert_true(last > 2);
    for (uint32_t no = first; no < last; no++)
        assert_true(blr_store_file_size(f->s, no) >= 1000);
    /* Each new file starts with the whole state so far. */
    blr_pos at;
    char err[512];
    assert_int_equal(locate(f->s, "0-7000-20", &at, err), BLR_LOCATE_OK);
    assert_int_equal(at.file_no, last);
}

static void test_commit_mode_sync_thread(void **state)
{
    fixture *f = *state;
    blr_store_close(f->s);
    f->s = t_open(f->dir, 0, BLR_SYNC_COMMIT);
    t_new_file(f->s, true);
    t_group(f->s, 0, 1, "INSERT 1", true);
    gtid_pos st;
    blr_pos v = {0, 0};
    for (int i = 0; i < 2000; i++) { /* up to 2 s for the sync thread */
        v = blr_store_visible(f->s, &st);
        if (st.n == 1)
            break;
        usleep(1000);
    }
    assert_int_equal(st.n, 1);
    assert_int_equal(blr_store_file_size(f->s, 1), (int64_t)v.offset);
    assert_true(v.offset > blr_store_header_end(f->s, 1));
}

static void test_names(void **state)
{
    (void)state;
    char name[BLR_NAME_MAX];
    blr_store_file_name(12, name);
    assert_string_equal(name, "binlog.000012");
    assert_int_equal(blr_store_file_no("binlog.000012", 13), 12);
    assert_int_equal(blr_store_file_no("binlog.1234567", 14), 1234567);
    assert_int_equal(blr_store_file_no("galera-bin.000003", 17), 0);
    assert_int_equal(blr_store_file_no("binlog.00001x", 13), 0);
    assert_int_equal(blr_store_file_no("binlog.", 7), 0);
}

int main(void)
{
    alarm(300); /* never hang a test run */
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_empty, setup, teardown),
        cmocka_unit_test_setup_teardown(test_append_commit_visible, setup, teardown),
        cmocka_unit_test_setup_teardown(test_cut, setup, teardown),
        cmocka_unit_test_setup_teardown(test_locate, setup, teardown),
        cmocka_unit_test_setup_teardown(test_rotation_and_purge, setup, teardown),
        cmocka_unit_test_setup_teardown(test_recovery_cuts_partial_group, setup, teardown),
        cmocka_unit_test_setup_teardown(test_recovery_keeps_whole_group, setup, teardown),
        cmocka_unit_test_setup_teardown(test_recovery_torn_event, setup, teardown),
        cmocka_unit_test_setup_teardown(test_recovery_after_rotate, setup, teardown),
        cmocka_unit_test_setup_teardown(test_max_file_size, setup, teardown),
        cmocka_unit_test_setup_teardown(test_commit_mode_sync_thread, setup, teardown),
        cmocka_unit_test(test_names),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
