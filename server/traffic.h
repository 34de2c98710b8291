/*
 * traffic.h: byte counters that several threads add to (each worker when
 * one of its sessions ends) and the admin thread reads, for the metrics of
 * services and listeners.
 */
#ifndef FERRY_SERVER_TRAFFIC_H
#define FERRY_SERVER_TRAFFIC_H

#include <stdatomic.h>
#include <stdint.h>

typedef struct traffic {
    atomic_uint_fast64_t bytes_in;  /* from clients */
    atomic_uint_fast64_t bytes_out; /* to clients */
} traffic;

static inline void traffic_add(traffic *t, uint64_t in, uint64_t out)
{
    atomic_fetch_add_explicit(&t->bytes_in, in, memory_order_relaxed);
    atomic_fetch_add_explicit(&t->bytes_out, out, memory_order_relaxed);
}

#endif
