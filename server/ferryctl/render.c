/*
 * render.c: turns the admin API's JSON into ferryctl's tables: the columns
 * of a list, or the fields of one object, each value as readable text.
 */
#include <stdlib.h>
#include <string.h>

#include "ferryctl.h"
#include "table.h"

static void render_into(FILE *out, json_t *v, bool nested);

static void render_object_lines(FILE *out, json_t *v)
{
    const char *key;
    json_t *e;
    bool first = true;
    json_object_foreach(v, key, e)
    {
        fprintf(out, "%s%s: ", first ? "" : "\n", key);
        render_into(out, e, true);
        first = false;
    }
}

/* nested: inside an object's line, where a nested object is compact JSON. */
static void render_into(FILE *out, json_t *v, bool nested)
{
    size_t i;
    json_t *e;
    char *text;
    switch (json_typeof(v)) {
    case JSON_STRING:
        fputs(json_string_value(v), out);
        break;
    case JSON_INTEGER:
        fprintf(out, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
        break;
    case JSON_REAL:
        fprintf(out, "%g", json_real_value(v));
        break;
    case JSON_TRUE:
    case JSON_FALSE:
        fputs(json_is_true(v) ? "true" : "false", out);
        break;
    case JSON_ARRAY:
        json_array_foreach(v, i, e)
        {
            fputs(i ? (json_is_object(e) ? "\n" : ", ") : "", out);
            render_into(out, e, true);
        }
        break;
    case JSON_OBJECT:
        if (!nested) {
            render_object_lines(out, v);
            break;
        }
        text = json_dumps(v, JSON_COMPACT);
        fputs(text ? text : "", out);
        free(text);
        break;
    default: /* null */
        break;
    }
}

char *render_value(json_t *v)
{
    char *text = NULL;
    size_t len;
    FILE *out = open_memstream(&text, &len);
    if (!out)
        return NULL;
    if (v)
        render_into(out, v, false);
    fclose(out);
    return text;
}

static bool column_shown(json_t *rows, const column *col)
{
    size_t i;
    json_t *row;
    if (!col->optional)
        return true;
    json_array_foreach(rows, i, row) if (json_object_get(row, col->key)) return true;
    return false;
}

static char *cell_text(json_t *row, const column *col)
{
    char buf[512];
    if (col->format) {
        const char *s = col->format(row, buf, sizeof buf);
        return strdup(s ? s : "");
    }
    return render_value(json_object_get(row, col->key));
}

void render_list(json_t *rows, const column *cols, FILE *out)
{
    const column *shown[32];
    size_t n = 0;
    for (const column *col = cols; col->title && n < 32; col++)
        if (column_shown(rows, col))
            shown[n++] = col;
    const char *titles[32];
    for (size_t c = 0; c < n; c++)
        titles[c] = shown[c]->title;
    table t;
    table_init(&t, titles, n);
    size_t i;
    json_t *row;
    json_array_foreach(rows, i, row)
    {
        char *cells[32];
        for (size_t c = 0; c < n; c++)
            cells[c] = cell_text(row, shown[c]);
        table_add_row(&t, (const char *const *)cells);
        for (size_t c = 0; c < n; c++)
            free(cells[c]);
    }
    table_print(&t, out);
    table_free(&t);
}

static bool skipped(const char *key, const char *const *skip)
{
    for (; skip && *skip; skip++)
        if (strcmp(*skip, key) == 0)
            return true;
    return false;
}

void render_object(json_t *obj, const char *const *skip, FILE *out)
{
    static const char *const HEADER[] = {"Field", "Value"};
    table t;
    table_init(&t, HEADER, 2);
    const char *key;
    json_t *v;
    json_object_foreach(obj, key, v)
    {
        if (skipped(key, skip))
            continue;
        char *text = render_value(v);
        const char *cells[] = {key, text ? text : ""};
        table_add_row(&t, cells);
        free(text);
    }
    table_print(&t, out);
    table_free(&t);
}

const char *fmt_client(json_t *row, char *buf, size_t len)
{
    const char *addr = json_string_value(json_object_get(row, "client_address"));
    snprintf(buf, len, "%s:%lld", addr ? addr : "?",
             (long long)json_integer_value(json_object_get(row, "client_port")));
    return buf;
}

const char *fmt_age(json_t *row, char *buf, size_t len)
{
    json_t *age = json_object_get(row, "age_ms");
    if (!json_is_integer(age))
        return "";
    long long s = json_integer_value(age) / 1000;
    if (s < 3600)
        snprintf(buf, len, "%llds", s);
    else
        snprintf(buf, len, "%lldh%02lldm", s / 3600, s / 60 % 60);
    return buf;
}
