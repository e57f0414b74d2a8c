/*
 * service.h - an inference service at fleet level: how many replicas its
 * demand needs on a GPU type, and how well a number of replicas serves it.
 *
 * A plan fixes, for one service on one GPU type, the tensor-parallel size
 * (the scenario's, or with tp = "auto" the size that needs the fewest GPUs
 * for the design demand at the objectives), the capacity of one replica at
 * the objectives (fs_replica_capacity: the largest Poisson rate whose p99
 * TTFT and TPOT meet them) and the attainment-vs-load curve of one replica:
 * the share of requests served within both objectives at each load, from
 * the same request-level simulations (interpolated with GSL).
 *
 * Per interval the fleet asks for ceil(demand / capacity) replicas, is
 * granted some, spreads the demand over the granted replicas and reads the
 * attainment at that load off the curve. Demand that no replica serves is
 * not served within the objectives. A test bounds the difference between
 * this hourly model and a request-level simulation of every replica.
 *
 * Plans are memoised in a caller-owned struct fs_service_memo (one per
 * run), so each (service, GPU type) is planned once. Nothing allocates
 * after planning.
 */
#ifndef FLEETSIM_SERVICE_H
#define FLEETSIM_SERVICE_H

#include "fleetsim/error.h"
#include "fleetsim/scenario.h"

#define FS_SERVICE_CURVE_MAX 16

struct fs_service_plan {
	/* The service and GPU type first planned with this replica shape; read
	 * only while the plan's curve is built, and NULL in a plan that came
	 * from fs_service_memo_import (its curve came with it). */
	const struct fs_service_spec *svc;
	const struct fs_gpu *gpu;
	int tp;                      /* GPUs per replica, within one node */
	double capacity_rps;         /* per replica at the objectives (> 0) */
	double saturation_rps;       /* per replica with the replica kept full */
	double output_tokens_per_req; /* mean generated tokens per request served within the
				       * objectives (sampled in the curve's runs up to capacity) */
	int n_points;                /* attainment curve: load per replica (rps) increasing */
	double load_rps[FS_SERVICE_CURVE_MAX];
	double attain_frac[FS_SERVICE_CURVE_MAX];
};

struct fs_service_memo;
struct fs_dbuf; /* dispatch.h: a growable byte buffer */

enum fs_status fs_service_memo_create(struct fs_service_memo **out);
void fs_service_memo_destroy(struct fs_service_memo *memo);

/*
 * Appends memo to out: its replica memo (fs_replica_memo_export), then
 * every plan's numbers with the key of its replica curve, in a layout only
 * this build reads (a worker's plans on their way to the writer). FS_OK or
 * FS_ERR_NOMEM.
 */
enum fs_status fs_service_memo_export(const struct fs_service_memo *memo, struct fs_dbuf *out);

/*
 * Adds what data[0..n) (fs_service_memo_export's bytes) holds and memo
 * does not: the replica curves first, then the plans, each keyed by its
 * curve as a computed plan is, with svc and gpu NULL. FS_OK; FS_ERR_SIM
 * when the bytes are not an export (truncated, damaged, a plan whose curve
 * the bytes do not hold, or whose capacity is not its curve's), and then no
 * plan is added; FS_ERR_NOMEM.
 */
enum fs_status fs_service_memo_import(struct fs_service_memo *memo, const void *data, size_t n,
				      struct fs_error *e);

/* The design demand a fleet run plans svc for: its peak over [0, horizon_s),
 * requests/s. Whoever plans ahead of a run (a sweep) asks this, not its own copy. */
double fs_service_design_rps(const struct fs_service_spec *svc, double horizon_s);

/*
 * The plan of svc on GPU type g for a design demand of design_rps (the
 * peak the plan must hold; used by tp = "auto"). *out points into memo.
 * FS_OK; FS_ERR_INFEASIBLE when no TP size fits the model on g or none
 * meets the objectives at any load (e says which, and by how much);
 * FS_ERR_NOMEM.
 */
enum fs_status fs_service_plan_get(struct fs_service_memo *memo, const struct fs_service_spec *svc,
				   const struct fs_gpu *g, int gpus_per_node, double design_rps,
				   const struct fs_service_plan **out, struct fs_error *e);

/* One tensor-parallel size of a service on a GPU type (fs_service_tp_table). */
struct fs_service_tp_row {
	int tp;
	double capacity_rps;         /* per replica at the objectives */
	int replicas;                /* for the design demand: ceil(design / capacity), >= 1 */
	int gpus;                    /* replicas x tp */
};

/*
 * Every TP size 1, 2, 4, 8 (<= gpus_per_node; only svc->tp when it is not 0)
 * on which svc's model fits on g and meets the objectives at some load, in
 * TP order, into rows[0..*n_rows) (room for 4). FS_OK with *n_rows >= 1;
 * FS_ERR_INFEASIBLE with the reason of the largest size tried in e when none
 * qualifies; FS_ERR_INPUT (explicit tp only: the model rejects it);
 * FS_ERR_NOMEM. Capacities are memoised in memo.
 */
enum fs_status fs_service_tp_table(struct fs_service_memo *memo, const struct fs_service_spec *svc,
				   const struct fs_gpu *g, int gpus_per_node, double design_rps,
				   struct fs_service_tp_row rows[4], int *n_rows, struct fs_error *e);

/*
 * The TP sizes fs_service_tp_table tries for svc on a node of
 * gpus_per_node GPUs (svc->tp alone when it is set and fits the node),
 * into sizes[0..count), in TP order; returns the count (0 to 4).
 */
int fs_service_tp_sizes(const struct fs_service_spec *svc, int gpus_per_node, int sizes[4]);

/* Replicas needed for demand_rps at the objectives: ceil(demand / capacity), >= 0. */
int fs_service_replicas_needed(const struct fs_service_plan *p, double demand_rps);

/*
 * Share (0..1) of demand_rps served within both objectives by replicas
 * replicas sharing it evenly; 0 when replicas is 0 and demand is positive,
 * 1 when demand is 0. Between curve points linear (monotone); beyond the
 * last point the rate served within the objectives stays at the last
 * point's (the replica is saturated), so the share falls as 1 / load.
 */
double fs_service_attainment(const struct fs_service_plan *p, double demand_rps, int replicas);

#endif
