/*
 * engine.h - the discrete-event queue and clock. It knows nothing about GPUs.
 *
 * An event is a small fixed-size record: due time (integer nanoseconds, so
 * equal times compare exactly), a priority (lower fires first among equal
 * times), a sequence number assigned at push (ties of time and priority fire
 * in push order: FIFO), a kind and a subject chosen by the caller, and one
 * 64-bit argument. The sequence number doubles as the event's handle.
 *
 * Total order: (t_ns, prio, seq). Runs are deterministic: nothing depends on
 * addresses or allocation.
 *
 * The queue is pull-style: the caller pops the next event and dispatches on
 * its kind. Popping advances the clock (fs_evq_now). Pushing an event earlier
 * than the clock is a caller bug (asserted).
 *
 * Memory: records live in a pool that grows by doubling; in steady state
 * (pushes balanced by pops) nothing is allocated. Cancellation is O(log n)
 * by handle and O(n) for "every pending event of a subject".
 *
 * Costs: push and pop O(log n); peek O(1).
 */
#ifndef FLEETSIM_ENGINE_H
#define FLEETSIM_ENGINE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "fleetsim/error.h"

#define FS_NS_PER_S 1000000000LL
#define FS_KIND_ANY UINT32_MAX

struct fs_event {
	int64_t t_ns;      /* due time */
	int32_t prio;      /* lower fires first at equal times */
	uint32_t kind;     /* caller-defined event type */
	uint32_t subject;  /* caller-defined subject (GPU, job, request ...) */
	uint64_t arg;      /* caller-defined payload */
	uint64_t id;       /* handle (= sequence number, never 0) */
};

struct fs_evq; /* opaque */

/*
 * Creates an empty queue with room for capacity_hint events before the first
 * growth. FS_OK and *out set, or FS_ERR_NOMEM.
 */
enum fs_status fs_evq_create(struct fs_evq **out, size_t capacity_hint);
void fs_evq_destroy(struct fs_evq *q);

/* Removes every pending event and resets the clock to 0; keeps the memory. */
void fs_evq_reset(struct fs_evq *q);

/*
 * Schedules an event at t_ns (>= fs_evq_now). Returns its handle (> 0), or 0
 * when growing the pool failed (the queue is unchanged).
 */
uint64_t fs_evq_push(struct fs_evq *q, int64_t t_ns, int32_t prio,
		     uint32_t kind, uint32_t subject, uint64_t arg);

/*
 * Removes the earliest pending event into *out and advances the clock to its
 * time. false when the queue is empty (*out untouched).
 */
bool fs_evq_pop(struct fs_evq *q, struct fs_event *out);

/* The earliest pending event without removing it; false when empty. */
bool fs_evq_peek(const struct fs_evq *q, struct fs_event *out);

/* Cancels a pending event by handle. true if it was pending; false if it
 * already fired, was cancelled, or never existed. */
bool fs_evq_cancel(struct fs_evq *q, uint64_t id);

/* Cancels every pending event of subject whose kind matches (FS_KIND_ANY:
 * all kinds). Returns how many were cancelled. */
size_t fs_evq_cancel_subject(struct fs_evq *q, uint32_t kind, uint32_t subject);

size_t fs_evq_size(const struct fs_evq *q);  /* pending events */
int64_t fs_evq_now(const struct fs_evq *q);  /* time of the last popped event */
uint64_t fs_evq_popped(const struct fs_evq *q); /* events popped since create/reset */

/* Checks the heap invariants (for tests); true when consistent. */
bool fs_evq_check(const struct fs_evq *q);

#endif
