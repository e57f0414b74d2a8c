/*
 * train_internal.h - the seam between the training step model (train.c) and
 * its plan search and memo (train_search.c). Private to models/train*.c; not
 * installed with the public headers in include/fleetsim/.
 */
#ifndef FLEETSIM_TRAIN_INTERNAL_H
#define FLEETSIM_TRAIN_INTERNAL_H

#include "fleetsim/train.h"

/*
 * Checks a request and the plan fields it fixes: FS_OK, or FS_ERR_INPUT /
 * FS_ERR_INFEASIBLE with e filled. Pure.
 */
enum fs_status fs_train_check_request_(const struct fs_train_request *rq, struct fs_error *e);

/*
 * Step time, memory and whole-run figures of one complete plan pl (every
 * layout field set) for a checked request, into r (caller storage). Pure.
 */
void fs_train_evaluate_plan_(const struct fs_train_request *rq, const struct fs_train_plan *pl,
			     struct fs_train_result *r);

/*
 * Global batch in sequences: rq->plan.global_batch when set, else the default
 * (about 4M tokens) rounded up to a multiple of dp * micro_batch of pl.
 */
int fs_train_plan_global_batch_(const struct fs_train_request *rq, const struct fs_train_plan *pl);

/*
 * The request with the stack's recompute default applied: rq itself when
 * nothing changes, else *copy (caller storage) filled and returned. Pure.
 */
const struct fs_train_request *fs_train_apply_stack_(const struct fs_train_request *rq,
						     struct fs_train_request *copy);

#endif
