/*
 * table.h: ferryctl's box-drawn tables, the shape maxctrl prints. Cells are
 * UTF-8 text; a cell with newlines spans several lines of its row.
 */
#ifndef FERRYCTL_TABLE_H
#define FERRYCTL_TABLE_H

#include <stddef.h>
#include <stdio.h>

typedef struct table {
    size_t ncols, nrows; /* rows after the header */
    char **cells;        /* (nrows + 1) * ncols, row-major, header first; owned */
} table;

/* A table with the given header (ncols names). */
void table_init(table *t, const char *const *header, size_t ncols);
/* Appends a row of ncols cells (copied). */
void table_add_row(table *t, const char *const *cells);
void table_print(const table *t, FILE *out);
void table_free(table *t);

#endif
