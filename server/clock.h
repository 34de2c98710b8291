/*
 * clock.h: the clocks Ferry reads. Wall-clock milliseconds for timestamps
 * shown to operators (status, metrics, logs of stalls); the monotonic clock
 * for intervals, timeouts and rates.
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

/* CLOCK_MONOTONIC in microseconds and milliseconds. */
static inline int64_t clock_mono_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static inline int64_t clock_mono_ms(void)
{
    return clock_mono_us() / 1000;
}

#endif
