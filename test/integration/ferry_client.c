/*
 * ferry_client.c: a small libmariadb client for the integration tests, for
 * what pymysql cannot do: server-side prepared statements (binary protocol,
 * COM_STMT_SEND_LONG_DATA, COM_STMT_RESET), COM_CHANGE_USER and the
 * compressed protocol. conftest.py compiles it on the fly with
 * `cc ferry_client.c $(mariadb_config --cflags --libs) -lcrypto`.
 *
 * usage: ferry_client [--compress] [--ssl-ca FILE] [--db DB] [--timeout S]
 *                     HOST PORT USER PASSWORD STEP...
 * Every STEP runs on the same connection, in order; each prints lines that
 * the tests compare. An error prints "ERROR <errno> (<sqlstate>): <message>"
 * and the next step still runs. Steps:
 *   query SQL                  text protocol; prints the rows (TSV), then "rows=N"
 *                              or "affected=N"
 *   ps SQL N P1..PN            prepare, bind N parameters, execute, fetch, close.
 *                              Parameter: i:INT  s:TEXT  d:DOUBLE  n (NULL)
 *                              blob:SIZE (sent with mysql_stmt_send_long_data in
 *                              1 MiB chunks; byte k is (k*31+7) % 251)
 *   ps-loop SQL COUNT          prepare "SELECT ?..." once, execute it COUNT times
 *                              with i:0..COUNT-1 (one parameter), check that the
 *                              first column comes back as the parameter; prints
 *                              "ps-loop ok COUNT" or the first mismatch
 *   ps-many N                  prepare N statements "SELECT ? * k", execute them
 *                              in reverse order, close them; prints "ps-many ok N"
 *   ps-reset                   prepare, send long data, reset, execute: the long
 *                              data must be gone; prints the row
 *   change-user USER PASS DB   COM_CHANGE_USER ("-" for no database); prints
 *                              "change-user ok" or the error
 *   ping                       COM_PING; prints "ping ok"
 *   init-db DB                 COM_INIT_DB; prints "init-db ok"
 *   info                       prints "compress=0|1 tls=CIPHER|none"
 * Values longer than 64 bytes print as "<len=N sha1=HEX>"; NULL prints as \N.
 * Exit: 0 when connected (whatever the steps did), 1 when the connect failed,
 * 2 on a usage error.
 */
#include <mysql.h>
#include <openssl/sha.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void print_error(MYSQL *m)
{
    printf("ERROR %u (%s): %s\n", mysql_errno(m), mysql_sqlstate(m), mysql_error(m));
}

static void print_stmt_error(MYSQL_STMT *st)
{
    printf("ERROR %u (%s): %s\n", mysql_stmt_errno(st), mysql_stmt_sqlstate(st),
           mysql_stmt_error(st));
}

static void print_value(const char *v, unsigned long len, int is_null)
{
    if (is_null) {
        fputs("\\N", stdout);
        return;
    }
    if (len <= 64) {
        fwrite(v, 1, len, stdout);
        return;
    }
    unsigned char md[SHA_DIGEST_LENGTH];
    SHA1((const unsigned char *)v, len, md);
    printf("<len=%lu sha1=", len);
    for (int i = 0; i < SHA_DIGEST_LENGTH; i++)
        printf("%02x", md[i]);
    putchar('>');
}

static void step_query(MYSQL *m, const char *sql)
{
    if (mysql_query(m, sql)) {
        print_error(m);
        return;
    }
    do {
        MYSQL_RES *res = mysql_store_result(m);
        if (res) {
            unsigned n = mysql_num_fields(res);
            MYSQL_ROW row;
            unsigned long rows = 0;
            while ((row = mysql_fetch_row(res))) {
                unsigned long *lens = mysql_fetch_lengths(res);
                for (unsigned i = 0; i < n; i++) {
                    if (i)
                        putchar('\t');
                    print_value(row[i], lens[i], row[i] == NULL);
                }
                putchar('\n');
                rows++;
            }
            printf("rows=%lu\n", rows);
            mysql_free_result(res);
        } else if (mysql_field_count(m) == 0) {
            printf("affected=%llu\n", (unsigned long long)mysql_affected_rows(m));
        } else {
            print_error(m);
            return;
        }
    } while (mysql_next_result(m) == 0);
    if (mysql_errno(m))
        print_error(m);
}

static void blob_pattern(char *buf, size_t off, size_t n)
{
    for (size_t k = 0; k < n; k++)
        buf[k] = (char)(((off + k) * 31 + 7) % 251);
}

/* Prints the result set of an executed statement; 0 ok, -1 error (printed). */
static int print_stmt_result(MYSQL_STMT *st)
{
    MYSQL_RES *meta = mysql_stmt_result_metadata(st);
    if (!meta) {
        printf("affected=%llu\n", (unsigned long long)mysql_stmt_affected_rows(st));
        return 0;
    }
    my_bool update = 1;
    mysql_stmt_attr_set(st, STMT_ATTR_UPDATE_MAX_LENGTH, &update);
    if (mysql_stmt_store_result(st)) {
        print_stmt_error(st);
        mysql_free_result(meta);
        return -1;
    }
    unsigned n = mysql_num_fields(meta);
    MYSQL_FIELD *f = mysql_fetch_fields(meta);
    MYSQL_BIND *b = calloc(n, sizeof *b);
    unsigned long *lens = calloc(n, sizeof *lens);
    my_bool *nulls = calloc(n, sizeof *nulls);
    char **bufs = calloc(n, sizeof *bufs);
    for (unsigned i = 0; i < n; i++) {
        size_t cap = f[i].max_length + 64;
        bufs[i] = malloc(cap);
        b[i].buffer_type = MYSQL_TYPE_STRING;
        b[i].buffer = bufs[i];
        b[i].buffer_length = cap;
        b[i].length = &lens[i];
        b[i].is_null = &nulls[i];
    }
    int rc = 0;
    if (mysql_stmt_bind_result(st, b)) {
        print_stmt_error(st);
        rc = -1;
    }
    unsigned long rows = 0;
    int r;
    while (rc == 0 && (r = mysql_stmt_fetch(st)) == 0) {
        for (unsigned i = 0; i < n; i++) {
            if (i)
                putchar('\t');
            print_value(bufs[i], lens[i], nulls[i]);
        }
        putchar('\n');
        rows++;
    }
    if (rc == 0 && r == 1) {
        print_stmt_error(st);
        rc = -1;
    } else if (rc == 0 && r == MYSQL_DATA_TRUNCATED) {
        printf("ERROR truncated\n");
        rc = -1;
    }
    if (rc == 0)
        printf("rows=%lu\n", rows);
    for (unsigned i = 0; i < n; i++)
        free(bufs[i]);
    free(bufs);
    free(nulls);
    free(lens);
    free(b);
    mysql_stmt_free_result(st);
    mysql_free_result(meta);
    return rc;
}

typedef struct param {
    long long i;
    double d;
    char *s;
    unsigned long len;
    my_bool null;
    size_t blob;
} param;

static int step_ps(MYSQL *m, const char *sql, int n, char **args)
{
    MYSQL_STMT *st = mysql_stmt_init(m);
    if (!st) {
        print_error(m);
        return 0;
    }
    if (mysql_stmt_prepare(st, sql, (unsigned long)strlen(sql))) {
        print_stmt_error(st);
        mysql_stmt_close(st);
        return 0;
    }
    if ((int)mysql_stmt_param_count(st) != n) {
        printf("ERROR param_count %lu != %d\n", mysql_stmt_param_count(st), n);
        mysql_stmt_close(st);
        return 0;
    }
    MYSQL_BIND *b = calloc((size_t)n + 1, sizeof *b);
    param *p = calloc((size_t)n + 1, sizeof *p);
    for (int k = 0; k < n; k++) {
        const char *a = args[k];
        if (strncmp(a, "i:", 2) == 0) {
            p[k].i = strtoll(a + 2, NULL, 10);
            b[k].buffer_type = MYSQL_TYPE_LONGLONG;
            b[k].buffer = &p[k].i;
        } else if (strncmp(a, "d:", 2) == 0) {
            p[k].d = strtod(a + 2, NULL);
            b[k].buffer_type = MYSQL_TYPE_DOUBLE;
            b[k].buffer = &p[k].d;
        } else if (strncmp(a, "s:", 2) == 0) {
            p[k].s = (char *)a + 2;
            p[k].len = (unsigned long)strlen(p[k].s);
            b[k].buffer_type = MYSQL_TYPE_STRING;
            b[k].buffer = p[k].s;
            b[k].buffer_length = p[k].len;
            b[k].length = &p[k].len;
        } else if (strcmp(a, "n") == 0) {
            p[k].null = 1;
            b[k].buffer_type = MYSQL_TYPE_NULL;
            b[k].is_null = &p[k].null;
        } else if (strncmp(a, "blob:", 5) == 0) {
            p[k].blob = strtoull(a + 5, NULL, 10);
            b[k].buffer_type = MYSQL_TYPE_LONG_BLOB;
        } else {
            fprintf(stderr, "ferry_client: bad parameter '%s'\n", a);
            exit(2);
        }
    }
    int ok = 0;
    if (n && mysql_stmt_bind_param(st, b)) {
        print_stmt_error(st);
        goto out;
    }
    for (int k = 0; k < n; k++) {
        if (!p[k].blob)
            continue;
        size_t chunk = 1 << 20;
        char *buf = malloc(chunk);
        for (size_t off = 0; off < p[k].blob; off += chunk) {
            size_t len = p[k].blob - off < chunk ? p[k].blob - off : chunk;
            blob_pattern(buf, off, len);
            if (mysql_stmt_send_long_data(st, (unsigned)k, buf, (unsigned long)len)) {
                print_stmt_error(st);
                free(buf);
                goto out;
            }
        }
        free(buf);
    }
    if (mysql_stmt_execute(st)) {
        print_stmt_error(st);
        goto out;
    }
    ok = print_stmt_result(st) == 0;
out:
    free(p);
    free(b);
    if (mysql_stmt_close(st))
        print_error(m);
    return ok;
}

static void step_ps_loop(MYSQL *m, const char *sql, long count)
{
    MYSQL_STMT *st = mysql_stmt_init(m);
    if (mysql_stmt_prepare(st, sql, (unsigned long)strlen(sql))) {
        print_stmt_error(st);
        mysql_stmt_close(st);
        return;
    }
    long long in = 0, out = 0;
    my_bool out_null = 0;
    MYSQL_BIND pb = {0}, rb = {0};
    pb.buffer_type = MYSQL_TYPE_LONGLONG;
    pb.buffer = &in;
    rb.buffer_type = MYSQL_TYPE_LONGLONG;
    rb.buffer = &out;
    rb.is_null = &out_null;
    mysql_stmt_bind_param(st, &pb);
    for (long k = 0; k < count; k++) {
        in = k;
        out = -1;
        if (mysql_stmt_execute(st) || mysql_stmt_bind_result(st, &rb)) {
            print_stmt_error(st);
            mysql_stmt_close(st);
            return;
        }
        int r = mysql_stmt_fetch(st);
        if (r != 0 || out_null || out != k) {
            printf("ps-loop mismatch at %ld: fetch=%d value=%lld\n", k, r, out);
            if (r == 1)
                print_stmt_error(st);
            mysql_stmt_close(st);
            return;
        }
        while (mysql_stmt_fetch(st) == 0) {
        }
        mysql_stmt_free_result(st);
    }
    printf("ps-loop ok %ld\n", count);
    mysql_stmt_close(st);
}

static void step_ps_many(MYSQL *m, int n)
{
    MYSQL_STMT **sts = calloc((size_t)n, sizeof *sts);
    char sql[64];
    for (int k = 0; k < n; k++) {
        sts[k] = mysql_stmt_init(m);
        snprintf(sql, sizeof sql, "SELECT ? * %d", k + 1);
        if (mysql_stmt_prepare(sts[k], sql, (unsigned long)strlen(sql))) {
            print_stmt_error(sts[k]);
            return;
        }
    }
    for (int k = n - 1; k >= 0; k--) {
        long long in = 1000 + k, out = -1;
        MYSQL_BIND pb = {0}, rb = {0};
        pb.buffer_type = rb.buffer_type = MYSQL_TYPE_LONGLONG;
        pb.buffer = &in;
        rb.buffer = &out;
        if (mysql_stmt_bind_param(sts[k], &pb) || mysql_stmt_execute(sts[k]) ||
            mysql_stmt_bind_result(sts[k], &rb) || mysql_stmt_fetch(sts[k]) != 0) {
            print_stmt_error(sts[k]);
            return;
        }
        if (out != in * (k + 1)) {
            printf("ps-many mismatch: statement %d gave %lld, expected %lld\n", k, out,
                   in * (k + 1));
            return;
        }
        mysql_stmt_free_result(sts[k]);
    }
    for (int k = 0; k < n; k++)
        mysql_stmt_close(sts[k]);
    free(sts);
    printf("ps-many ok %d\n", n);
}

static void step_ps_reset(MYSQL *m)
{
    const char *sql = "SELECT CONCAT('[', ?, ']')";
    MYSQL_STMT *st = mysql_stmt_init(m);
    if (mysql_stmt_prepare(st, sql, (unsigned long)strlen(sql))) {
        print_stmt_error(st);
        mysql_stmt_close(st);
        return;
    }
    char val[] = "after-reset";
    unsigned long len = sizeof val - 1;
    MYSQL_BIND pb = {0};
    pb.buffer_type = MYSQL_TYPE_STRING;
    pb.buffer = val;
    pb.buffer_length = len;
    pb.length = &len;
    mysql_stmt_bind_param(st, &pb);
    if (mysql_stmt_send_long_data(st, 0, "long-data-", 10)) {
        print_stmt_error(st);
        mysql_stmt_close(st);
        return;
    }
    if (mysql_stmt_reset(st)) {
        print_stmt_error(st);
        mysql_stmt_close(st);
        return;
    }
    if (mysql_stmt_execute(st)) {
        print_stmt_error(st);
        mysql_stmt_close(st);
        return;
    }
    print_stmt_result(st);
    mysql_stmt_close(st);
}

static void step_info(MYSQL *m)
{
    const char *cipher = mysql_get_ssl_cipher(m);
    printf("compress=%d tls=%s\n", m->net.compress ? 1 : 0, cipher ? cipher : "none");
}

static void usage(void)
{
    fprintf(stderr, "usage: ferry_client [--compress] [--ssl-ca FILE] [--db DB] [--timeout S] "
                    "HOST PORT USER PASSWORD STEP...\n");
    exit(2);
}

int main(int argc, char **argv)
{
    int compress = 0;
    unsigned timeout = 15;
    const char *ca = NULL, *db = NULL;
    int a = 1;
    for (; a < argc && strncmp(argv[a], "--", 2) == 0; a++) {
        if (strcmp(argv[a], "--compress") == 0)
            compress = 1;
        else if (strcmp(argv[a], "--ssl-ca") == 0 && a + 1 < argc)
            ca = argv[++a];
        else if (strcmp(argv[a], "--db") == 0 && a + 1 < argc)
            db = argv[++a];
        else if (strcmp(argv[a], "--timeout") == 0 && a + 1 < argc)
            timeout = (unsigned)atoi(argv[++a]);
        else
            usage();
    }
    if (argc - a < 4)
        usage();
    const char *host = argv[a], *user = argv[a + 2], *pass = argv[a + 3];
    unsigned port = (unsigned)atoi(argv[a + 1]);
    a += 4;

    setvbuf(stdout, NULL, _IOLBF, 0);
    MYSQL *m = mysql_init(NULL);
    mysql_options(m, MYSQL_OPT_CONNECT_TIMEOUT, &timeout);
    mysql_options(m, MYSQL_OPT_READ_TIMEOUT, &timeout);
    mysql_options(m, MYSQL_OPT_WRITE_TIMEOUT, &timeout);
    unsigned long maxp = 1024UL * 1024 * 1024;
    mysql_options(m, MYSQL_OPT_MAX_ALLOWED_PACKET, &maxp);
    if (compress)
        mysql_options(m, MYSQL_OPT_COMPRESS, NULL);
    if (ca) {
        my_bool on = 1;
        mysql_options(m, MYSQL_OPT_SSL_CA, ca);
        mysql_options(m, MYSQL_OPT_SSL_ENFORCE, &on);
        mysql_options(m, MYSQL_OPT_SSL_VERIFY_SERVER_CERT, &on); /* what enforces TLS */
    }
    if (!mysql_real_connect(m, host, user, pass, db, port, NULL, CLIENT_MULTI_STATEMENTS)) {
        printf("CONNECT ");
        print_error(m);
        mysql_close(m);
        return 1;
    }
    while (a < argc) {
        const char *step = argv[a++];
        if (strcmp(step, "query") == 0 && a < argc) {
            step_query(m, argv[a++]);
        } else if (strcmp(step, "ps") == 0 && a + 1 < argc) {
            const char *sql = argv[a];
            int n = atoi(argv[a + 1]);
            a += 2;
            if (a + n > argc)
                usage();
            step_ps(m, sql, n, argv + a);
            a += n;
        } else if (strcmp(step, "ps-loop") == 0 && a + 1 < argc) {
            step_ps_loop(m, argv[a], atol(argv[a + 1]));
            a += 2;
        } else if (strcmp(step, "ps-many") == 0 && a < argc) {
            step_ps_many(m, atoi(argv[a++]));
        } else if (strcmp(step, "ps-reset") == 0) {
            step_ps_reset(m);
        } else if (strcmp(step, "change-user") == 0 && a + 2 < argc) {
            const char *d = strcmp(argv[a + 2], "-") == 0 ? NULL : argv[a + 2];
            if (mysql_change_user(m, argv[a], argv[a + 1], d))
                print_error(m);
            else
                printf("change-user ok\n");
            a += 3;
        } else if (strcmp(step, "ping") == 0) {
            if (mysql_ping(m))
                print_error(m);
            else
                printf("ping ok\n");
        } else if (strcmp(step, "init-db") == 0 && a < argc) {
            if (mysql_select_db(m, argv[a++]))
                print_error(m);
            else
                printf("init-db ok\n");
        } else if (strcmp(step, "info") == 0) {
            step_info(m);
        } else {
            fprintf(stderr, "ferry_client: bad step '%s'\n", step);
            return 2;
        }
    }
    mysql_close(m);
    return 0;
}
