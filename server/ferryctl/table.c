/*
 * table.c: draws ferryctl's tables with box-drawing characters. Widths count
 * UTF-8 code points, so names in any script line up (for the usual
 * one-column characters).
 */
#include "table.h"

#include <stdlib.h>
#include <string.h>

static void *xalloc(void *p)
{
    if (!p) {
        fputs("ferryctl: out of memory\n", stderr);
        exit(1);
    }
    return p;
}

void table_init(table *t, const char *const *header, size_t ncols)
{
    t->ncols = ncols;
    t->nrows = 0;
    t->cells = NULL;
    table_add_row(t, header);
}

void table_add_row(table *t, const char *const *cells)
{
    size_t base = t->cells ? (t->nrows + 1) * t->ncols : 0; /* the header comes first */
    t->cells = xalloc(realloc(t->cells, (base + t->ncols) * sizeof *t->cells));
    for (size_t i = 0; i < t->ncols; i++)
        t->cells[base + i] = xalloc(strdup(cells[i] ? cells[i] : ""));
    if (base)
        t->nrows++;
}

void table_free(table *t)
{
    for (size_t i = 0; i < (t->nrows + 1) * t->ncols; i++)
        free(t->cells[i]);
    free(t->cells);
    t->cells = NULL;
}

/* Code points in s up to len bytes. */
static size_t width_of(const char *s, size_t len)
{
    size_t w = 0;
    for (size_t i = 0; i < len; i++)
        w += ((unsigned char)s[i] & 0xC0) != 0x80;
    return w;
}

/* Line k (0-based) of a cell: start and byte length; NULL past its last line. */
static const char *cell_line(const char *cell, size_t k, size_t *len)
{
    const char *p = cell;
    for (; k > 0; k--) {
        p = strchr(p, '\n');
        if (!p)
            return NULL;
        p++;
    }
    *len = strcspn(p, "\n");
    return p;
}

static size_t cell_width(const char *cell, size_t *lines)
{
    size_t w = 0, len, k = 0;
    for (const char *l; (l = cell_line(cell, k, &len)); k++) {
        size_t lw = width_of(l, len);
        w = lw > w ? lw : w;
    }
    *lines = k;
    return w;
}

static void rule(FILE *out, const size_t *widths, size_t ncols, const char *left, const char *mid,
                 const char *right)
{
    fputs(left, out);
    for (size_t c = 0; c < ncols; c++) {
        for (size_t i = 0; i < widths[c] + 2; i++)
            fputs("─", out);
        fputs(c + 1 < ncols ? mid : right, out);
    }
    fputc('\n', out);
}

static void print_row(FILE *out, char *const *row, const size_t *widths, size_t ncols)
{
    size_t height = 1, lines;
    for (size_t c = 0; c < ncols; c++) {
        cell_width(row[c], &lines);
        height = lines > height ? lines : height;
    }
    for (size_t k = 0; k < height; k++) {
        fputs("│", out);
        for (size_t c = 0; c < ncols; c++) {
            size_t len = 0;
            const char *l = cell_line(row[c], k, &len);
            size_t pad = widths[c] - (l ? width_of(l, len) : 0);
            fprintf(out, " %.*s%*s │", (int)len, l ? l : "", (int)pad, "");
        }
        fputc('\n', out);
    }
}

void table_print(const table *t, FILE *out)
{
    size_t *widths = xalloc(calloc(t->ncols, sizeof *widths)), lines;
    for (size_t r = 0; r <= t->nrows; r++)
        for (size_t c = 0; c < t->ncols; c++) {
            size_t w = cell_width(t->cells[r * t->ncols + c], &lines);
            widths[c] = w > widths[c] ? w : widths[c];
        }
    rule(out, widths, t->ncols, "┌", "┬", "┐");
    print_row(out, t->cells, widths, t->ncols);
    rule(out, widths, t->ncols, "├", "┼", "┤");
    for (size_t r = 1; r <= t->nrows; r++)
        print_row(out, t->cells + r * t->ncols, widths, t->ncols);
    rule(out, widths, t->ncols, "└", "┴", "┘");
    free(widths);
}
