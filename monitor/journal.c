/*
 * journal.c: formats, parses, reads and writes the monitor journal (see
 * journal.h). The format:
 *
 *   ferry-monitor-journal 1
 *   master<TAB>NAME                 (NAME empty: no master)
 *   server<TAB>STATE<TAB>PRIORITY<TAB>CONFIG_PRIORITY<TAB>NAME
 *   end
 *
 * STATE is the snapshot's state bits in hex. A file without the last line is
 * ignored, as is one with another first line.
 */
#include "monitor/journal.h"

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "monitor/events.h"
#include "server/srv.h"

#define MAGIC "ferry-monitor-journal 1"

char *journal_format(const cluster_snapshot *s)
{
    char *text = NULL;
    size_t len;
    FILE *out = open_memstream(&text, &len);
    if (!out)
        return NULL;
    const char *master = s->master >= 0 ? s->servers[s->master].srv->name : "";
    fprintf(out, MAGIC "\nmaster\t%s\n", master);
    for (size_t i = 0; i < s->nservers; i++) {
        const snap_server *ss = &s->servers[i];
        fprintf(out, "server\t%x\t%d\t%d\t%s\n", ss->state, ss->priority, ss->srv->priority,
                ss->srv->name);
    }
    fputs("end\n", out);
    if (fclose(out) != 0) {
        free(text);
        return NULL;
    }
    return text;
}

static int find_name(const char *const *names, size_t n, const char *name, size_t len)
{
    for (size_t i = 0; i < n; i++)
        if (strlen(names[i]) == len && strncmp(names[i], name, len) == 0)
            return (int)i;
    return -1;
}

typedef struct parse_ctx {
    const char *const *names;
    const int *config_priority;
    size_t n;
    uint32_t *state;
    int *priority;
    int master;
    bool ended;
} parse_ctx;

/* One line (without its newline). false when it is malformed. */
static bool parse_line(parse_ctx *c, const char *line, size_t len)
{
    unsigned int state;
    int prio, cfg_prio, name_at = -1;
    if (len == 3 && strncmp(line, "end", 3) == 0) {
        c->ended = true;
        return true;
    }
    if (strncmp(line, "master\t", 7) == 0) {
        c->master = len > 7 ? find_name(c->names, c->n, line + 7, len - 7) : -1;
        return true;
    }
    if (sscanf(line, "server\t%x\t%d\t%d\t%n", &state, &prio, &cfg_prio, &name_at) < 3 ||
        name_at < 0 || (size_t)name_at > len)
        return false;
    int i = find_name(c->names, c->n, line + name_at, len - (size_t)name_at);
    if (i >= 0) {
        c->state[i] = state;
        c->priority[i] = cfg_prio == c->config_priority[i] ? prio : c->config_priority[i];
    }
    return true;
}

/* Nothing known: every state unknown, the config's priorities. */
static void forget(const parse_ctx *c)
{
    for (size_t i = 0; i < c->n; i++) {
        c->state[i] = MON_STATE_UNKNOWN;
        c->priority[i] = c->config_priority[i];
    }
}

int journal_parse(const char *text, const char *const *names, const int *config_priority, size_t n,
                  uint32_t *state, int *priority)
{
    parse_ctx c = {names, config_priority, n, state, priority, -1, false};
    forget(&c);
    size_t magic = strlen(MAGIC);
    if (strncmp(text, MAGIC, magic) != 0 || text[magic] != '\n')
        return JOURNAL_NOT_A_JOURNAL;
    for (const char *p = text + magic + 1; *p && !c.ended;) {
        size_t len = strcspn(p, "\n");
        if (!parse_line(&c, p, len))
            break;
        p += len + (p[len] == '\n');
    }
    if (c.ended)
        return c.master;
    forget(&c);
    return JOURNAL_NOT_A_JOURNAL;
}

char *journal_read(const char *path)
{
    FILE *f = fopen(path, "r");
    if (!f)
        return NULL;
    char *text = NULL;
    size_t cap = 0, len = 0, got;
    do {
        if (len + 4096 + 1 > cap) {
            char *bigger = realloc(text, cap = len + 8192);
            if (!bigger) {
                free(text);
                fclose(f);
                errno = ENOMEM;
                return NULL;
            }
            text = bigger;
        }
        got = fread(text + len, 1, cap - len - 1, f);
        len += got;
    } while (got > 0);
    bool failed = ferror(f);
    fclose(f);
    if (failed) {
        free(text);
        errno = EIO;
        return NULL;
    }
    text[len] = '\0';
    return text;
}

static int write_all(int fd, const char *text)
{
    size_t left = strlen(text);
    while (left > 0) {
        ssize_t w = write(fd, text, left);
        if (w < 0 && errno == EINTR)
            continue;
        if (w < 0)
            return -1;
        text += w;
        left -= (size_t)w;
    }
    return 0;
}

int journal_write(const char *path, const char *text)
{
    char tmp[4096];
    if (snprintf(tmp, sizeof(tmp), "%s.tmp", path) >= (int)sizeof(tmp)) {
        errno = ENAMETOOLONG;
        return -1;
    }
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0640);
    if (fd < 0)
        return -1;
    int rc = write_all(fd, text) == 0 && fsync(fd) == 0 ? 0 : -1;
    int saved = errno;
    close(fd);
    if (rc == 0 && rename(tmp, path) == 0)
        return 0;
    saved = rc == 0 ? errno : saved;
    unlink(tmp);
    errno = saved;
    return -1;
}
