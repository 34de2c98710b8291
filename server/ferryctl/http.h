/*
 * http.h: ferryctl's HTTP/1.1 client for ferryd's admin API: one request
 * per connection (Connection: close) over conn.c's stream, a blocking
 * exchange with a timeout, HTTP Basic credentials when the target has a
 * user. Enough HTTP for evhttp's replies: status line, headers, a body by
 * Content-Length, chunks, or up to EOF.
 */
#ifndef FERRYCTL_HTTP_H
#define FERRYCTL_HTTP_H

#include <stddef.h>

#include "conn.h"

typedef struct http_reply {
    int status;
    char *body; /* NUL-terminated, malloc'd */
    size_t len;
} http_reply;

/* Sends method path (body may be NULL) to ferryd at t. Returns 0 with *out
 * filled (any status), or -1 with err (cannot connect, bad reply). */
int http_call(const admin_target *t, const char *method, const char *path, const char *body,
              http_reply *out, char *err, size_t errlen);
void http_reply_free(http_reply *r);
/* Appends s percent-encoded as one path segment to buf (size len). */
void http_path_segment(char *buf, size_t len, const char *s);

#endif
