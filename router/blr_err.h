/*
 * blr_err.h: the binlog relay's "format an error message and fail" helper,
 * shared by the store and the replica stream.
 */
#ifndef FERRY_ROUTER_BLR_ERR_H
#define FERRY_ROUTER_BLR_ERR_H

#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>

/* Formats into err and returns -1. */
static inline int blr_fail(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static inline int blr_fail(char *err, size_t errlen, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
    return -1;
}

#endif
