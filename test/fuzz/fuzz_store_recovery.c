/*
 * fuzz_store_recovery.c: libFuzzer target for the binlog relay's startup
 * recovery, which reads the newest relay file as a crash (kill -9, power
 * loss, a full disk) left it. The input is that file (binlog.000001, named
 * in binlog.index). Opening the store must either refuse it with a message
 * or cut it back to its last whole transaction; recovery must then be
 * idempotent: a second open finds the same committed GTID state and the
 * same file size, with nothing more to cut.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "router/blr_store.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char g_dir[64];
static char g_file[128], g_gtidx[128], g_index[128];

static void remove_all(void)
{
    unlink(g_file);
    unlink(g_gtidx);
    unlink(g_index);
    rmdir(g_dir);
}

/* A directory on tmpfs when there is one: recovery fsyncs what it cuts. */
static void setup(void)
{
    struct stat st;
    const char *base = stat("/dev/shm", &st) == 0 && S_ISDIR(st.st_mode) ? "/dev/shm" : "/tmp";
    snprintf(g_dir, sizeof g_dir, "%s/ferry-fuzz-store-XXXXXX", base);
    if (!mkdtemp(g_dir)) {
        perror("fuzz_store_recovery: mkdtemp");
        abort();
    }
    snprintf(g_file, sizeof g_file, "%s/binlog.000001", g_dir);
    snprintf(g_gtidx, sizeof g_gtidx, "%s/binlog.000001.gtidx", g_dir);
    snprintf(g_index, sizeof g_index, "%s/binlog.index", g_dir);
    atexit(remove_all);
}

static void write_file(const char *path, const void *p, size_t n)
{
    FILE *f = fopen(path, "w");
    if (!f || fwrite(p, 1, n, f) != n || fclose(f) != 0)
        abort();
}

static off_t file_size(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 ? st.st_size : -1;
}

static blr_store *open_store(void)
{
    blr_store_opts o = {
        .dir = g_dir, .server_id = 7100, .max_file_size = 1 << 30, .sync = BLR_SYNC_NEVER};
    char err[512] = "";
    blr_store *s = blr_store_open(&o, err, sizeof err);
    if (!s && !err[0])
        abort(); /* a refusal must say why */
    return s;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static int ready;
    if (!ready++)
        setup();
    unlink(g_gtidx);
    write_file(g_index, "binlog.000001\n", 14);
    write_file(g_file, data, size);

    blr_store *s = open_store();
    if (!s)
        return 0;
    gtid_pos first = *blr_store_committed(s);
    blr_store_close(s);
    off_t cut = file_size(g_file);

    s = open_store();
    if (!s || file_size(g_file) != cut || !gtid_pos_equal(&first, blr_store_committed(s)))
        abort(); /* recovery is not idempotent */
    blr_store_close(s);
    return 0;
}
