/*
 * admin_auth.c: HTTP Basic authentication of the TCP admin port against
 * ferry.admin_users (password hashes, server/pwhash.c). Runs on the main
 * thread: each check costs one PBKDF2 (a few ms), also for an unknown user so
 * that timing does not tell which names exist, and at most CHECKS_PER_S run
 * in a second (more get 429 unchecked), so that a brute force cannot take the
 * main loop from the listeners. Failed logins are logged with the client's
 * address, at most FAIL_LOG_MAX per minute (then a count).
 */
#include <ctype.h>
#include <event2/keyvalq_struct.h>
#include <openssl/crypto.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "server/admin_api.h"
#include "server/basic_auth.h"
#include "server/clock.h"
#include "server/log.h"
#include "server/pwhash.h"

#define FAIL_LOG_WINDOW_S 60
#define FAIL_LOG_MAX      10
#define LOGGED_NAME_MAX   64
#define CHECKS_PER_S      30

static struct {
    time_t start;
    unsigned logged, dropped;
} g_fails;

static struct {
    time_t second;
    unsigned checks;
} g_budget;

static time_t now_s(void)
{
    return (time_t)(clock_mono_ms() / 1000);
}

/* The user name as it may appear in a log line: printable, bounded. */
static void loggable(const char *name, char *out, size_t len)
{
    size_t i = 0;
    for (; name[i] && i + 1 < len && i < LOGGED_NAME_MAX; i++)
        out[i] = isprint((unsigned char)name[i]) ? name[i] : '?';
    out[i] = '\0';
}

static void log_failure(struct evhttp_request *req, const char *user, const char *why)
{
    time_t now = now_s();
    if (now - g_fails.start >= FAIL_LOG_WINDOW_S) {
        if (g_fails.dropped)
            log_warning("admin port: %u more failed logins were not logged (at most %d a minute)",
                        g_fails.dropped, FAIL_LOG_MAX);
        g_fails.start = now;
        g_fails.logged = g_fails.dropped = 0;
    }
    if (g_fails.logged >= FAIL_LOG_MAX) {
        g_fails.dropped++;
        return;
    }
    g_fails.logged++;
    char *addr = NULL, name[LOGGED_NAME_MAX + 1];
    ev_uint16_t port = 0;
    evhttp_connection_get_peer(evhttp_request_get_connection(req), &addr, &port);
    loggable(user, name, sizeof name);
    log_warning("admin port: failed login from %s:%u as '%s' (%s)", addr ? addr : "?",
                (unsigned)port, name, why);
}

/* The hash of the user named name, or NULL; *any: the first user's (NULL when none). */
static const char *hash_of(const char *name, const char **any)
{
    size_t n;
    const cfg_object *users = cfg_groups(&admin_config()->global, "admin_users", &n);
    *any = n ? cfg_str(&users[0], "password") : NULL;
    for (size_t i = 0; i < n; i++)
        if (strcmp(cfg_str(&users[i], "name"), name) == 0)
            return cfg_str(&users[i], "password");
    return NULL;
}

/* Verifies against the user's hash, or against some hash (and fails) for an unknown user. */
static bool verify(const char *user, const char *password)
{
    const char *any, *text = hash_of(user, &any);
    pwhash h;
    char err[256];
    if (!any || pwhash_parse(text ? text : any, &h, err, sizeof err) < 0)
        return false;
    bool ok = pwhash_verify(&h, password, strlen(password));
    return ok && text;
}

/* False (after a 429 reply) when this second's password checks are spent. */
static bool within_budget(struct evhttp_request *req)
{
    time_t now = now_s();
    if (now != g_budget.second) {
        g_budget.second = now;
        g_budget.checks = 0;
    }
    if (++g_budget.checks <= CHECKS_PER_S)
        return true;
    if (g_budget.checks == CHECKS_PER_S + 1)
        log_warning("admin port: more than %d logins in a second; refusing the others until the "
                    "next one",
                    CHECKS_PER_S);
    evhttp_add_header(evhttp_request_get_output_headers(req), "Retry-After", "1");
    admin_reply_error(req, 429, "too many logins, retry in a second");
    return false;
}

static void refuse(struct evhttp_request *req, const char *msg)
{
    evhttp_add_header(evhttp_request_get_output_headers(req), "WWW-Authenticate",
                      "Basic realm=\"ferry\"");
    admin_reply_error(req, 401, "%s", msg);
}

bool admin_auth_allow(struct evhttp_request *req)
{
    const char *header = evhttp_find_header(evhttp_request_get_input_headers(req), "Authorization");
    char user[BASIC_USER_MAX], password[BASIC_PASSWORD_MAX];
    if (!header) {
        refuse(req, "authentication required: HTTP Basic with a user of ferry.admin_users");
        return false;
    }
    if (basic_auth_parse(header, user, password) < 0) {
        log_failure(req, "", "malformed Authorization header");
        refuse(req, "malformed Authorization header (expected HTTP Basic)");
        return false;
    }
    bool checked = within_budget(req);
    bool ok = checked && verify(user, password);
    OPENSSL_cleanse(password, sizeof password);
    if (checked && !ok) {
        log_failure(req, user, "wrong user name or password");
        refuse(req, "wrong user name or password");
    }
    return ok;
}
