/*
 * commands.c: what each ferryctl command does: one request to the admin
 * API, then a table (or, with --json, the API's JSON as it came). keygen
 * and encrypt work locally with a key file (server/secret.c), hash-password
 * with server/pwhash.c.
 */
#include <errno.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include "ferryctl.h"
#include "http.h"
#include "server/pwhash.h"
#include "server/secret.h"

#define PATH_LEN 1024

static int fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int fail(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fputs("ferryctl: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
    return EXIT_FAIL;
}

/* The API's error message of a failed reply, printed; returns EXIT_FAIL. */
static int api_error(const http_reply *r)
{
    json_t *v = json_loads(r->body, 0, NULL);
    const char *msg = json_string_value(json_object_get(v, "error"));
    if (msg)
        fail("%s", msg);
    else
        fail("HTTP %d from ferryd", r->status);
    json_decref(v);
    return EXIT_FAIL;
}

/* Performs a request; on success returns 0 and the parsed body in *out (may be NULL). */
static int call(const ctl *c, const char *method, const char *path, const char *body, json_t **out,
                http_reply *raw)
{
    char err[1024];
    http_reply r;
    if (http_call(&c->target, method, path, body, &r, err, sizeof err) < 0)
        return fail("%s", err);
    if (r.status < 200 || r.status > 299) {
        int rc = api_error(&r);
        http_reply_free(&r);
        return rc;
    }
    if (out)
        *out = json_loads(r.body, JSON_DECODE_ANY, NULL);
    if (raw)
        *raw = r;
    else
        http_reply_free(&r);
    return 0;
}

/* "/v1/<collection>/<name>[/<tail>]" with name percent-encoded. */
static void object_path(char *buf, size_t len, const char *collection, const char *name,
                        const char *tail)
{
    snprintf(buf, len, "/v1/%s/", collection);
    http_path_segment(buf, len, name);
    if (tail) {
        size_t n = strlen(buf);
        snprintf(buf + n, len - n, "/%s", tail);
    }
}

/* Prints the reply body as it came (--json) and frees it. */
static int print_raw(http_reply *r)
{
    fputs(r->body, stdout);
    if (r->len && r->body[r->len - 1] != '\n')
        fputc('\n', stdout);
    http_reply_free(r);
    return 0;
}

int cmd_list(const ctl *c, char **argv, const void *data)
{
    const list_view *view = data;
    json_t *rows = NULL;
    http_reply raw;
    int rc = call(c, "GET", view->path, NULL, &rows, &raw);
    if (rc)
        return rc;
    if (c->json) {
        json_decref(rows);
        return print_raw(&raw);
    }
    http_reply_free(&raw);
    if (!json_is_array(rows)) {
        json_decref(rows);
        return fail("unexpected reply: not a JSON array");
    }
    render_list(rows, view->cols, stdout);
    json_decref(rows);
    return 0;
}

int cmd_show(const ctl *c, char **argv, const void *data)
{
    static const char *const SKIP[] = {"snapshot", NULL};
    char path[PATH_LEN];
    object_path(path, sizeof path, data, argv[0], NULL);
    json_t *obj = NULL;
    http_reply raw;
    int rc = call(c, "GET", path, NULL, &obj, &raw);
    if (rc)
        return rc;
    if (c->json) {
        json_decref(obj);
        return print_raw(&raw);
    }
    http_reply_free(&raw);
    render_object(obj, SKIP, stdout);
    json_decref(obj);
    return 0;
}

/* An action: prints OK, or with --json the reply. */
static int act(const ctl *c, const char *method, const char *path, const char *body)
{
    http_reply raw;
    int rc = call(c, method, path, body, NULL, &raw);
    if (rc)
        return rc;
    if (c->json)
        return print_raw(&raw);
    http_reply_free(&raw);
    puts("OK");
    return 0;
}

static int server_flag(const ctl *c, char **argv, const char *method)
{
    if (strcmp(argv[1], "maintenance") != 0 && strcmp(argv[1], "drain") != 0)
        return fail("unknown server state '%s' (expected maintenance or drain)", argv[1]);
    char path[PATH_LEN];
    object_path(path, sizeof path, "servers", argv[0], argv[1]);
    return act(c, method, path, NULL);
}

int cmd_set(const ctl *c, char **argv, const void *data)
{
    return server_flag(c, argv, "PUT");
}

int cmd_clear(const ctl *c, char **argv, const void *data)
{
    return server_flag(c, argv, "DELETE");
}

int cmd_alter(const ctl *c, char **argv, const void *data)
{
    char *end, body[64], path[PATH_LEN];
    if (strcmp(argv[1], "priority") != 0)
        return fail("cannot alter '%s' (only priority)", argv[1]);
    long prio = strtol(argv[2], &end, 10);
    if (!*argv[2] || *end)
        return fail("priority '%s' is not an integer", argv[2]);
    snprintf(body, sizeof body, "{\"priority\": %ld}", prio);
    object_path(path, sizeof path, "servers", argv[0], "priority");
    return act(c, "PUT", path, body);
}

int cmd_switchover(const ctl *c, char **argv, const void *data)
{
    char path[PATH_LEN];
    object_path(path, sizeof path, "monitors", argv[0], "switchover");
    if (argv[1]) {
        size_t n = strlen(path);
        snprintf(path + n, sizeof path - n, "?to=");
        http_path_segment(path, sizeof path, argv[1]);
    }
    return act(c, "POST", path, NULL);
}

/* binlog status: the service's router_diagnostics as three tables. */
int cmd_binlog_status(const ctl *c, char **argv, const void *data)
{
    static const char *const SKIP[] = {"files", "replicas", "upstream", NULL};
    char path[PATH_LEN];
    object_path(path, sizeof path, "services", argv[0], NULL);
    json_t *svc = NULL;
    http_reply raw;
    int rc = call(c, "GET", path, NULL, &svc, &raw);
    if (rc)
        return rc;
    json_t *d = json_object_get(svc, "router_diagnostics");
    if (!json_is_object(json_object_get(d, "upstream"))) {
        http_reply_free(&raw);
        json_decref(svc);
        return fail("service '%s' is not a binlog relay", argv[0]);
    }
    if (c->json) {
        char *text = json_dumps(d, JSON_INDENT(2));
        puts(text ? text : "{}");
        free(text);
    } else {
        render_object(d, SKIP, stdout);
        puts("Upstream");
        render_object(json_object_get(d, "upstream"), NULL, stdout);
        puts("Files");
        render_list(json_object_get(d, "files"), BINLOG_FILE_COLS, stdout);
        puts("Replicas");
        render_list(json_object_get(d, "replicas"), BINLOG_REPLICA_COLS, stdout);
    }
    http_reply_free(&raw);
    json_decref(svc);
    return 0;
}

int cmd_kill(const ctl *c, char **argv, const void *data)
{
    char path[PATH_LEN];
    object_path(path, sizeof path, "sessions", argv[0], NULL);
    return act(c, "DELETE", path, NULL);
}

int cmd_rotate(const ctl *c, char **argv, const void *data)
{
    return act(c, "POST", "/v1/rotate-logs", NULL);
}

/* reload: what was applied and what needs a restart. */
int cmd_reload(const ctl *c, char **argv, const void *data)
{
    json_t *v = NULL;
    http_reply raw;
    int rc = call(c, "POST", "/v1/reload", NULL, &v, &raw);
    if (rc)
        return rc;
    if (c->json) {
        json_decref(v);
        return print_raw(&raw);
    }
    http_reply_free(&raw);
    static const char *const WHAT[] = {"applied", "restart_required"};
    static const char *const TITLE[] = {"Applied", "Needs a restart (not applied)"};
    for (int k = 0; k < 2; k++) {
        json_t *a = json_object_get(v, WHAT[k]);
        printf("%s:%s\n", TITLE[k], json_array_size(a) ? "" : " none");
        for (size_t i = 0; i < json_array_size(a); i++)
            printf("  %s\n", json_string_value(json_array_get(a, i)));
    }
    puts("User accounts: reloading for every service");
    json_decref(v);
    return 0;
}

int cmd_metrics(const ctl *c, char **argv, const void *data)
{
    http_reply raw;
    int rc = call(c, "GET", "/metrics", NULL, NULL, &raw);
    return rc ? rc : print_raw(&raw);
}

/* ---- keys ---- */

static const char *key_path(const ctl *c, char **argv)
{
    return argv && argv[0] ? argv[0] : c->key_file ? c->key_file : SECRET_DEFAULT_KEY;
}

int cmd_keygen(const ctl *c, char **argv, const void *data)
{
    const char *path = key_path(c, argv);
    uint8_t key[SECRET_KEY_LEN];
    char err[1024];
    struct passwd *pw = c->owner ? getpwnam(c->owner) : NULL;
    if (c->owner && !pw)
        return fail("no user named '%s'", c->owner);
    if (secret_key_generate(key) < 0)
        return fail("cannot get random bytes");
    int rc = secret_key_write(path, key, err, sizeof err);
    if (rc < 0)
        return fail("%s", err);
    if (pw && chown(path, pw->pw_uid, pw->pw_gid) < 0)
        return fail("cannot give %s to its owner: %s", path, strerror(errno));
    printf("wrote a new key to %s; point ferry.secrets_file at it\n", path);
    return 0;
}

/* A line of standard input, without echo (and with a prompt) on a terminal. */
static char *read_line(void)
{
    struct termios saved, quiet;
    bool tty = isatty(STDIN_FILENO) && tcgetattr(STDIN_FILENO, &saved) == 0;
    if (tty) {
        fputs("Password: ", stderr);
        quiet = saved;
        quiet.c_lflag &= ~(tcflag_t)ECHO;
        tcsetattr(STDIN_FILENO, TCSAFLUSH, &quiet);
    }
    char *line = NULL;
    size_t cap = 0;
    ssize_t n = getline(&line, &cap, stdin);
    if (tty) {
        tcsetattr(STDIN_FILENO, TCSAFLUSH, &saved);
        fputc('\n', stderr);
    }
    if (n < 0) {
        free(line);
        return NULL;
    }
    line[strcspn(line, "\r\n")] = '\0';
    return line;
}

/* The password argument, or a line of standard input when it is NULL or "-". */
static char *password_arg(const char *arg)
{
    return arg && strcmp(arg, "-") != 0 ? strdup(arg) : read_line();
}

int cmd_encrypt(const ctl *c, char **argv, const void *data)
{
    const char *path = key_path(c, NULL);
    uint8_t key[SECRET_KEY_LEN];
    char err[1024];
    if (secret_key_read(path, key, err, sizeof err) < 0)
        return fail("%s", err);
    char *plain = password_arg(argv[0]);
    char *enc = plain ? secret_encrypt(key, plain) : NULL;
    free(plain);
    if (!enc)
        return fail("cannot encrypt the password");
    puts(enc);
    free(enc);
    return 0;
}

int cmd_hash_password(const ctl *c, char **argv, const void *data)
{
    char *plain = password_arg(argv[0]);
    if (plain && !*plain) {
        free(plain);
        return fail("the password must not be empty");
    }
    char *hash = plain ? pwhash_make(plain, PWHASH_ITERATIONS) : NULL;
    free(plain);
    if (!hash)
        return fail("cannot hash the password");
    puts(hash);
    free(hash);
    return 0;
}
