/*
 * http.c: ferryctl's minimal HTTP/1.1 client over conn.c (see http.h).
 * ferryctl makes one request per run, so it simply writes the request,
 * reads until the server closes, and parses the whole reply.
 */
#include "http.h"

#include <openssl/crypto.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "server/basic_auth.h"

#define REPLY_LIMIT (64 * 1024 * 1024)

/* Reads until EOF into a malloc'd, NUL-terminated buffer. */
static char *read_all(conn *c, size_t *len)
{
    size_t cap = 16384, n = 0;
    char *buf = malloc(cap);
    while (buf) {
        if (cap - n < 4096 && cap < REPLY_LIMIT) {
            char *bigger = realloc(buf, cap * 2);
            if (!bigger)
                break;
            buf = bigger;
            cap *= 2;
        }
        ssize_t r = conn_recv(c, buf + n, cap - n - 1);
        if (r <= 0) {
            if (r < 0) /* timeout or error */
                break;
            buf[n] = '\0';
            *len = n;
            return buf;
        }
        n += (size_t)r;
    }
    free(buf);
    return NULL;
}

/* Decodes a chunked body in place; returns its length. */
static size_t dechunk(char *body, size_t len)
{
    char *in = body, *out = body, *end = body + len;
    while (in < end) {
        char *line_end;
        unsigned long size = strtoul(in, &line_end, 16);
        char *data = strstr(line_end, "\r\n");
        if (!data || size == 0 || data + 2 + size > end)
            break;
        memmove(out, data + 2, size);
        out += size;
        in = data + 2 + size + 2;
    }
    *out = '\0';
    return (size_t)(out - body);
}

static const char *header(const char *head, const char *name)
{
    size_t n = strlen(name);
    for (const char *p = strstr(head, "\r\n"); p; p = strstr(p + 2, "\r\n"))
        if (strncasecmp(p + 2, name, n) == 0 && p[2 + n] == ':')
            return p + 3 + n + strspn(p + 3 + n, " ");
    return NULL;
}

static int parse_reply(char *raw, size_t len, http_reply *out)
{
    char *body = strstr(raw, "\r\n\r\n");
    if (!body || sscanf(raw, "HTTP/1.%*d %d", &out->status) != 1)
        return -1;
    *body = '\0';
    body += 4;
    size_t blen = len - (size_t)(body - raw);
    const char *te = header(raw, "Transfer-Encoding");
    const char *cl = header(raw, "Content-Length");
    if (te && strncasecmp(te, "chunked", 7) == 0)
        blen = dechunk(body, blen);
    else if (cl && strtoul(cl, NULL, 10) < blen)
        blen = strtoul(cl, NULL, 10);
    out->body = malloc(blen + 1);
    if (!out->body)
        return -1;
    memcpy(out->body, body, blen);
    out->body[blen] = '\0';
    out->len = blen;
    return 0;
}

/* The request's text (malloc'd), or NULL. */
static char *request(const admin_target *t, const char *method, const char *path, const char *body)
{
    char *auth = t->user ? basic_auth_header(t->user, t->password ? t->password : "") : NULL;
    char *req = NULL;
    if (t->user && !auth)
        return NULL;
    if (asprintf(&req,
                 "%s %s HTTP/1.1\r\nHost: %s\r\nConnection: close\r\n%s%s%s"
                 "Accept: application/json\r\nContent-Type: application/json\r\n"
                 "Content-Length: %zu\r\n\r\n%s",
                 method, path, t->port ? t->host : "localhost", auth ? "Authorization: " : "",
                 auth ? auth : "", auth ? "\r\n" : "", body ? strlen(body) : 0,
                 body ? body : "") < 0)
        req = NULL;
    if (auth)
        OPENSSL_cleanse(auth, strlen(auth));
    free(auth);
    return req;
}

int http_call(const admin_target *t, const char *method, const char *path, const char *body,
              http_reply *out, char *err, size_t errlen)
{
    conn c;
    memset(out, 0, sizeof *out);
    if (conn_open(&c, t, err, errlen) < 0)
        return -1;
    char *req = request(t, method, path, body), name[1100];
    size_t len = 0;
    char *raw = req && conn_send(&c, req, strlen(req)) == 0 ? read_all(&c, &len) : NULL;
    if (req)
        OPENSSL_cleanse(req, strlen(req));
    free(req);
    conn_close(&c);
    const char *why = raw && len ? "not HTTP" : "connection closed or timed out";
    int rc = raw ? parse_reply(raw, len, out) : -1;
    free(raw);
    if (rc < 0)
        snprintf(err, errlen, "no valid reply from ferryd on %s (%s)",
                 conn_name(t, name, sizeof name), why);
    return rc;
}

void http_reply_free(http_reply *r)
{
    free(r->body);
    r->body = NULL;
}

void http_path_segment(char *buf, size_t len, const char *s)
{
    static const char HEX[] = "0123456789ABCDEF";
    size_t n = strlen(buf);
    for (; *s && n + 4 < len; s++) {
        unsigned char c = (unsigned char)*s;
        if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
            strchr("-._~", c)) {
            buf[n++] = (char)c;
        } else {
            buf[n++] = '%';
            buf[n++] = HEX[c >> 4];
            buf[n++] = HEX[c & 15];
        }
    }
    buf[n] = '\0';
}
