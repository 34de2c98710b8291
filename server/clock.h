/*
 * clock.h: wall-clock milliseconds, for timestamps shown to operators
 * (status, metrics, logs of stalls). Intervals use CLOCK_MONOTONIC where
 * they are measured.
 */
#ifndef FERRY_SERVER_CLOCK_H
#define FERRY_SERVER_CLOCK_H

#include <stdint.h>
#include <time.h>

/* CLOCK_REALTIME in milliseconds since the epoch. */
static inline int64_t clock_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

#endif
