/*
 * snapshot_json.c: renders a cluster snapshot as JSON for the admin socket
 * (and ferryd's debug log). Pure: reads the immutable snapshot and the
 * servers' static config, writes text with open_memstream.
 */
#include <stdio.h>
#include <stdlib.h>

#include "monitor/snapshot.h"
#include "server/srv.h"

/* A JSON string literal, escaped; NULL is written as null. */
static void json_str(FILE *out, const char *s)
{
    if (!s) {
        fputs("null", out);
        return;
    }
    fputc('"', out);
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if (*p == '"' || *p == '\\')
            fprintf(out, "\\%c", *p);
        else if (*p == '\n')
            fputs("\\n", out);
        else if (*p == '\t')
            fputs("\\t", out);
        else if (*p < 0x20)
            fprintf(out, "\\u%04x", *p);
        else
            fputc(*p, out);
    }
    fputc('"', out);
}

static void json_key(FILE *out, const char *key, bool first)
{
    if (!first)
        fputc(',', out);
    json_str(out, key);
    fputc(':', out);
}

static void json_bool(FILE *out, const char *key, bool v)
{
    json_key(out, key, false);
    fputs(v ? "true" : "false", out);
}

static void json_int(FILE *out, const char *key, long long v)
{
    json_key(out, key, false);
    fprintf(out, "%lld", v);
}

static void json_text(FILE *out, const char *key, const char *v)
{
    json_key(out, key, false);
    json_str(out, v);
}

static void json_states(FILE *out, uint32_t state)
{
    size_t i = 0;
    const char *name;
    json_key(out, "state", false);
    fputc('[', out);
    for (bool first = true; (name = snapshot_state_name(state, &i)); first = false) {
        if (!first)
            fputc(',', out);
        json_str(out, name);
    }
    fputc(']', out);
}

static void json_wsrep(FILE *out, const snap_server *ss)
{
    json_key(out, "wsrep", false);
    if (!ss->wsrep) {
        fputs("null", out);
        return;
    }
    fputc('{', out);
    json_key(out, "local_state", true);
    fprintf(out, "%d", ss->wsrep_local_state);
    json_text(out, "local_state_comment", ss->wsrep_state_comment);
    json_text(out, "cluster_status", ss->cluster_status);
    json_text(out, "cluster_uuid", ss->cluster_uuid);
    json_int(out, "cluster_size", ss->cluster_size);
    json_int(out, "local_index", ss->local_index);
    json_bool(out, "desync", ss->desync);
    json_bool(out, "ready", ss->ready);
    json_int(out, "recv_queue", ss->recv_queue);
    json_int(out, "gtid_domain_id", ss->wsrep_gtid_domain_id);
    fputc('}', out);
}

static const char *server_name(const cluster_snapshot *s, int i)
{
    return i >= 0 && (size_t)i < s->nservers && s->servers[i].srv ? s->servers[i].srv->name : NULL;
}

static void json_server(FILE *out, const cluster_snapshot *s, size_t i)
{
    const snap_server *ss = &s->servers[i];
    bool running = ss->state & SRV_RUNNING;
    fputc('{', out);
    json_key(out, "name", true);
    json_str(out, ss->srv ? ss->srv->name : NULL);
    json_text(out, "address", ss->srv ? ss->srv->address : NULL);
    json_int(out, "port", ss->srv ? ss->srv->port : 0);
    json_states(out, ss->state);
    json_int(out, "priority", ss->priority);
    json_text(out, "last_error", ss->last_error);
    if (running) {
        json_int(out, "server_id", ss->server_id);
        json_bool(out, "read_only", ss->read_only);
        json_text(out, "version", ss->version);
        json_text(out, "gtid_current_pos", ss->gtid_current_pos);
        json_text(out, "gtid_binlog_pos", ss->gtid_binlog_pos);
        json_int(out, "gtid_domain_id", ss->gtid_domain_id);
        json_wsrep(out, ss);
        json_text(out, "replicates_from", server_name(s, ss->replicates_from));
        json_text(out, "inbound", ss->inbound[0] ? ss->inbound : NULL);
    }
    fputc('}', out);
}

char *snapshot_to_json(const cluster_snapshot *s)
{
    char *text = NULL;
    size_t len;
    FILE *out = open_memstream(&text, &len);
    if (!out)
        return NULL;
    const snap_server *ref = snapshot_cluster_ref(s);
    fputc('{', out);
    json_key(out, "monitor", true);
    json_str(out, s->monitor);
    json_int(out, "seq", (long long)s->seq);
    json_int(out, "taken_ms", (long long)s->taken_ms);
    json_text(out, "master", server_name(s, s->master));
    json_text(out, "cluster_uuid", ref && ref->cluster_uuid[0] ? ref->cluster_uuid : NULL);
    json_int(out, "cluster_size", ref ? ref->cluster_size : 0);
    json_key(out, "servers", false);
    fputc('[', out);
    for (size_t i = 0; i < s->nservers; i++) {
        if (i)
            fputc(',', out);
        json_server(out, s, i);
    }
    fputs("]}", out);
    if (fclose(out) != 0) {
        free(text);
        return NULL;
    }
    return text;
}
