/*
 * fuzz_relay_sql.c: libFuzzer target for the SQL a client sends to the binlog
 * relay's port (replicas, mariadb-binlog, operators). The first input byte
 * picks the client's capabilities (bit 0: CLIENT_DEPRECATE_EOF); the rest is
 * the COM_QUERY text. It is normalized, then answered against an empty relay
 * store without an upstream thread, and the answer must be whole packets
 * numbered from 1 that end in an OK, ERR or EOF packet. Each input starts
 * with fresh user variables, so a crash reproduces from its input alone.
 */
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "protocol/handshake.h"
#include "protocol/packet.h"
#include "router/blr_sql.h"
#include "router/blr_store.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static blr_service g_relay;
static blr_vars g_vars;
static char g_dir[] = "/tmp/ferry-fuzz-relay-XXXXXX";

/* At exit: the store never gets a file (nothing is relayed), so its directory is empty. */
static void remove_relay(void)
{
    blr_store_close(g_relay.store);
    rmdir(g_dir);
}

static void open_relay(void)
{
    char err[512] = "";
    blr_store_opts o = {
        .dir = mkdtemp(g_dir), .server_id = 7100, .max_file_size = 1 << 20, .sync = BLR_SYNC_NEVER};
    if (!o.dir || !(g_relay.store = blr_store_open(&o, err, sizeof err))) {
        fprintf(stderr, "fuzz_relay_sql: cannot open a relay store in %s: %s\n", g_dir, err);
        abort();
    }
    atexit(remove_relay);
    g_relay.cfg.server_id = 7100;
    snprintf(g_relay.cfg.dir, sizeof g_relay.cfg.dir, "%s", g_dir);
    pthread_mutex_init(&g_relay.replicas_lock, NULL);
}

static void bad_answer(const proto_buf *out, size_t at, const char *why)
{
    fprintf(stderr, "fuzz_relay_sql: bad answer (%zu bytes) at byte %zu: %s\n", out->len, at, why);
    for (size_t i = 0; i < out->len && i < 256; i++)
        fprintf(stderr, "%02x%s", out->data[i], i % 32 == 31 ? "\n" : " ");
    fputc('\n', stderr);
    abort();
}

/* The answer is whole packets, numbered from 1, the last one OK/ERR/EOF. */
static void check_answer(const proto_buf *out)
{
    size_t at = 0;
    uint8_t want = 1, last = 0;
    while (at < out->len) {
        if (out->len - at < PROTO_HEADER_LEN)
            bad_answer(out, at, "a partial header");
        size_t len = proto_load_u24(out->data + at);
        if (out->data[at + 3] != want++)
            bad_answer(out, at, "wrong sequence number");
        if (len == 0 || out->len - at - PROTO_HEADER_LEN < len)
            bad_answer(out, at, "an empty or cut packet");
        last = out->data[at + PROTO_HEADER_LEN];
        at += PROTO_HEADER_LEN + len;
    }
    if (want == 1 || (last != 0x00 && last != 0xfe && last != 0xff))
        bad_answer(out, at, "no answer, or it does not end in OK, ERR or EOF");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!g_relay.store)
        open_relay();
    if (size == 0)
        return 0;
    char *q = malloc(size - 1 ? size - 1 : 1); /* exactly sized: overreads are caught */
    memcpy(q, data + 1, size - 1);

    blr_vars_init(&g_vars);
    static char norm[BLR_SQL_MAX];
    blr_sql_normalize(q, size - 1, norm, sizeof norm);

    blr_sql_ctx c = {.b = &g_relay,
                     .vars = &g_vars,
                     .caps = (data[0] & 1) ? CLIENT_DEPRECATE_EOF : 0,
                     .user = "repl",
                     .client_ip = "127.0.0.1",
                     .conn_id = 42,
                     .version = BLR_DEFAULT_VERSION};
    proto_buf out;
    proto_buf_init(&out);
    blr_sql_query(&c, q, size - 1, &out);
    check_answer(&out);
    proto_buf_free(&out);
    free(q);
    return 0;
}
