/*
 * blr_status.c: what the binlog relay tells operators: the diagnostics of
 * GET /v1/services/NAME (upstream, committed GTID state, files, connected
 * replicas with their positions and how far behind they are) and its
 * samples for GET /metrics. Reads the writer's status and the replica
 * registry under their locks; runs on the admin thread.
 */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>

#include "router/blr_reader.h"
#include "router/blr_status.h"
#include "server/clock.h"

static const char *const DUMP_STATES[] = {"registered", "waiting for the relay", "streaming",
                                          "tailing", "finished"};

static json_t *upstream_json(const blr_upstream_status *st, int64_t now)
{
    return json_pack(
        "{s:s?, s:s, s:i, s:s, s:b, s:b, s:i, s:s, s:I, s:I, s:I, s:f, s:o}", "master",
        st->master[0] ? st->master : NULL, "host", st->host, "port", st->port, "io_state",
        st->io_state, "running", st->running, "stopped", st->stopped, "last_errno",
        (int)st->last_errno, "last_error", st->last_error, "events", (json_int_t)st->events,
        "bytes", (json_int_t)st->bytes, "switches", (json_int_t)st->switches, "last_switch_stall_s",
        st->last_switch_stall_s, "seconds_since_last_event",
        st->last_event_ms ? json_real((double)(now - st->last_event_ms) / 1000.0) : json_null());
}

static json_t *files_json(blr_store *store)
{
    json_t *a = json_array();
    uint32_t first, last;
    blr_store_range(store, &first, &last);
    for (uint32_t no = first; no && no <= last; no++) {
        int64_t size = blr_store_file_size(store, no);
        char name[BLR_NAME_MAX];
        blr_store_file_name(no, name);
        if (size >= 0)
            json_array_append_new(a,
                                  json_pack("{s:s, s:I}", "name", name, "size", (json_int_t)size));
    }
    return a;
}

/* Bytes between (file_no, offset) and the visible end v. */
static uint64_t behind_bytes(blr_store *store, uint32_t file_no, uint64_t offset, blr_pos v)
{
    if (!file_no || file_no > v.file_no || (file_no == v.file_no && offset >= v.offset))
        return 0;
    if (file_no == v.file_no)
        return v.offset - offset;
    int64_t size = blr_store_file_size(store, file_no);
    uint64_t sum = size > (int64_t)offset ? (uint64_t)size - offset : 0;
    for (uint32_t no = file_no + 1; no < v.file_no; no++) {
        size = blr_store_file_size(store, no);
        sum += size > 0 ? (uint64_t)size : 0;
    }
    return sum + v.offset;
}

static json_t *replica_json(blr_service *b, const struct blr_replica_info *r, blr_pos v,
                            int64_t now)
{
    char file[BLR_NAME_MAX] = "";
    if (r->file_no)
        blr_store_file_name(r->file_no, file);
    int st = r->dump_state >= 0 && r->dump_state <= BLR_DUMP_OVER ? r->dump_state : 0;
    return json_pack("{s:I, s:s, s:s, s:i, s:I, s:s, s:s, s:I, s:I, s:I, s:I, s:I, s:o}",
                     "server_id", (json_int_t)r->server_id, "address", r->addr, "report_host",
                     r->host, "report_port", (int)r->port, "session", (json_int_t)r->session_id,
                     "state", r->dumping ? DUMP_STATES[st] : "registered", "file", file, "position",
                     (json_int_t)r->offset, "events_sent", (json_int_t)r->events, "bytes_sent",
                     (json_int_t)r->bytes, "behind_bytes",
                     (json_int_t)behind_bytes(b->store, r->file_no, r->offset, v), "connected_s",
                     (json_int_t)((now - r->connected_ms) / 1000), "idle_s",
                     r->last_sent_ms ? json_integer((now - r->last_sent_ms) / 1000) : json_null());
}

static json_t *replicas_json(blr_service *b, blr_pos v, int64_t now)
{
    json_t *a = json_array();
    pthread_mutex_lock(&b->replicas_lock);
    for (const struct blr_replica_info *r = b->replicas; r; r = r->next)
        json_array_append_new(a, replica_json(b, r, v, now));
    pthread_mutex_unlock(&b->replicas_lock);
    return a;
}

json_t *blr_diagnostics(service *svc)
{
    blr_service *b = svc->router_data;
    blr_upstream_status st;
    blr_writer_status(b->writer, &st);
    gtid_pos *state = malloc(sizeof *state);
    char *text = malloc(GTID_POS_TEXT_MAX);
    if (!state || !text) {
        free(state);
        free(text);
        return json_pack("{s:s}", "error", "out of memory");
    }
    blr_pos v = blr_store_visible(b->store, state);
    gtid_pos_format(state, text, GTID_POS_TEXT_MAX);
    char file[BLR_NAME_MAX] = "";
    if (v.file_no)
        blr_store_file_name(v.file_no, file);
    int64_t now = clock_now_ms();
    json_t *o =
        json_pack("{s:I, s:o, s:s, s:{s:s, s:I}, s:o, s:o}", "server_id",
                  (json_int_t)b->cfg.server_id, "upstream", upstream_json(&st, now),
                  "gtid_committed", text, "end", "file", file, "position", (json_int_t)v.offset,
                  "files", files_json(b->store), "replicas", replicas_json(b, v, now));
    free(text);
    free(state);
    return o;
}

/* ---- metrics ---- */

typedef struct sampler {
    router_metric *out;
    size_t n, max;
} sampler;

static void add(sampler *s, const char *name, const char *help, bool counter, double v)
{
    if (s->n < s->max)
        s->out[s->n++] =
            (router_metric){.name = name, .help = help, .counter = counter, .value = v};
}

static void add_domains(sampler *s, const gtid_pos *state)
{
    for (uint32_t i = 0; i < state->n && s->n < s->max; i++) {
        router_metric *m = &s->out[s->n++];
        *m = (router_metric){.name = "ferry_binlog_committed_seq_no",
                             .help = "Sequence number of the relay's last committed GTID, per "
                                     "domain",
                             .label = "domain",
                             .value = (double)state->v[i].seq};
        snprintf(m->label_value, sizeof m->label_value, "%u", state->v[i].domain);
    }
}

static size_t replicas_connected(blr_service *b, uint64_t *events, uint64_t *bytes)
{
    size_t n = 0;
    pthread_mutex_lock(&b->replicas_lock);
    for (const struct blr_replica_info *r = b->replicas; r; r = r->next)
        n += r->dumping;
    *events = b->served_events;
    *bytes = b->served_bytes;
    pthread_mutex_unlock(&b->replicas_lock);
    return n;
}

size_t blr_metrics(service *svc, router_metric *out, size_t max)
{
    blr_service *b = svc->router_data;
    blr_upstream_status st;
    blr_writer_status(b->writer, &st);
    sampler s = {out, 0, max};
    uint64_t events, bytes;
    double dumps = (double)replicas_connected(b, &events, &bytes);
    double age = st.last_event_ms ? (double)(clock_now_ms() - st.last_event_ms) / 1000.0 : -1;
    add(&s, "ferry_binlog_upstream_connected", "1 while the relay is dumping from the master",
        false, st.running);
    add(&s, "ferry_binlog_events_received_total", "Events received from upstream masters", true,
        (double)st.events);
    add(&s, "ferry_binlog_bytes_received_total", "Bytes of events received from upstream masters",
        true, (double)st.bytes);
    add(&s, "ferry_binlog_events_served_total", "Events sent to replicas", true, (double)events);
    add(&s, "ferry_binlog_bytes_served_total", "Bytes of events sent to replicas", true,
        (double)bytes);
    add(&s, "ferry_binlog_replicas_connected", "Replicas with a binlog dump open", false, dumps);
    add(&s, "ferry_binlog_seconds_since_upstream_event",
        "Seconds since the last event or heartbeat from upstream (-1: none yet)", false, age);
    add(&s, "ferry_binlog_upstream_switches_total", "Times the relay moved to another master", true,
        (double)st.switches);
    add(&s, "ferry_binlog_last_switch_stall_seconds",
        "From losing the old master to the first event of the new, at the last switch", false,
        st.last_switch_stall_s);
    gtid_pos *state = malloc(sizeof *state);
    if (state) {
        blr_store_visible(b->store, state);
        add_domains(&s, state);
        free(state);
    }
    return s.n;
}
