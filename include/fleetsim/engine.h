/*
 * engine.h - the discrete-event queue and clock. It knows nothing about GPUs.
 *
 * An event is a small fixed-size record: due time (integer nanoseconds, so
 * equal times compare exactly), a priority (lower fires first among equal
 * times), a sequence number assigned at push (ties of time and priority fire
 * in push order: FIFO), a kind and a subject chosen by the caller, and one
 * 64-bit argument. The sequence number doubles as the event's handle: it
 * increases by one with every push, and it is never reused, not even after
 * fs_evq_reset.
 *
 * Total order: (t_ns, prio, seq). Runs are deterministic: nothing depends on
 * addresses or allocation.
 *
 * The queue is pull-style: the caller pops the next event and dispatches on
 * its kind. Popping advances the clock (fs_evq_now). Pushing an event earlier
 * than the clock is a caller bug (asserted).
 *
 * Limits: prio in FS_EVQ_PRIO_MIN .. FS_EVQ_PRIO_MAX (it is packed into 16
 * bits of the sort key); seq below 2^48 (push fails after about 10^14
 * pushes). Kind FS_KIND_ANY is reserved as the wildcard of cancel_subject.
 *
 * Structure (sim/engine.c, docs/ENGINE.md): a two-tier ladder queue. Far
 * events wait unsorted in time buckets whose width comes from a quantile of
 * sampled times; the next bucket is sorted when the clock reaches it. A
 * queue of at most a few dozen events is a plain 4-ary heap instead. Which
 * handles are pending is recorded only from the first cancel on (a hash set
 * of seqs); a queue that never cancels pays nothing for handles.
 *
 * Memory: entries live in pools that grow by doubling, reserved at push, so
 * pop never allocates or fails; in steady state (pushes balanced by pops)
 * nothing is allocated. About 40 bytes per pending event in use, 16 more
 * once a cancel has been made.
 *
 * Cancellation is lazy: it frees the handle at once (size drops) and the
 * entry is discarded when the clock reaches it; everything is compacted
 * when cancelled entries outnumber pending events.
 *
 * Costs: push and pop O(1) amortised when times are spread out; events
 * crowded into one bucket (equal or very close times) cost O(log n) each;
 * peek, size, cancel by handle O(1) amortised (the first cancel O(n), to
 * record every pending handle); cancel of a subject O(n).
 * Measured rates and their limits: docs/ENGINE.md.
 *
 * Errors: push returns 0 (queue unchanged) when out of memory, out of
 * sequence numbers, or prio is out of range; create returns FS_ERR_NOMEM.
 * No global state: any number of queues may coexist.
 */
#ifndef FLEETSIM_ENGINE_H
#define FLEETSIM_ENGINE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "fleetsim/error.h"

#define FS_NS_PER_S 1000000000LL
#define FS_KIND_ANY UINT32_MAX
#define FS_EVQ_PRIO_MIN (-32768)
#define FS_EVQ_PRIO_MAX 32767

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

/*
 * Removes every pending event and resets the clock and fs_evq_popped to 0;
 * keeps the memory. Handles issued before stay stale (never reused).
 */
void fs_evq_reset(struct fs_evq *q);

/*
 * Schedules an event at t_ns (>= fs_evq_now). Returns its handle (> 0,
 * greater than every handle issued before), or 0 with the queue unchanged
 * when growing the pool failed, the 2^48 sequence numbers are used up, or
 * prio is outside FS_EVQ_PRIO_MIN .. FS_EVQ_PRIO_MAX (also asserted).
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
 * already fired, was cancelled, or never existed, or (first cancel only)
 * when there was no memory to record the pending handles (queue unchanged). */
bool fs_evq_cancel(struct fs_evq *q, uint64_t id);

/* Cancels every pending event of subject whose kind matches (FS_KIND_ANY:
 * all kinds). Returns how many were cancelled (0, queue unchanged, also
 * when a first cancel found no memory to record the pending handles). */
size_t fs_evq_cancel_subject(struct fs_evq *q, uint32_t kind, uint32_t subject);

size_t fs_evq_size(const struct fs_evq *q);  /* pending events */
int64_t fs_evq_now(const struct fs_evq *q);  /* time of the last popped event */
uint64_t fs_evq_popped(const struct fs_evq *q); /* events popped since create/reset */

/*
 * Checks every invariant (for tests; O(n)): heap order, key fields, tier
 * ranges, pool slots, the handle set, live and cancelled counts, the head
 * being live. true when consistent.
 */
bool fs_evq_check(const struct fs_evq *q);

#endif
