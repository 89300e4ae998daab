/* Resize's sampling plan (ir/ops/resize.c), shared by the interpreter's eval and the code
 * generator (codegen/lower/resize.c): the output dims and, per dim and output coordinate, the
 * input taps and their weights. An output element is sum over the taps of every dim of
 * (product of the dims' weights, in dim order) * x[tap offsets], accumulated in double in the
 * taps' row-major order, products equal to 0 skipped; the extrapolation value when some dim's
 * tap lies outside (tf_crop_and_resize). */
#ifndef QCC_IR_OPS_RESIZE_H
#define QCC_IR_OPS_RESIZE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ir/graph.h"
#include "ir/tensor.h"

/* Up to four input taps with weights for one output coordinate along one dim. */
typedef struct qcc_resize_taps {
  int32_t n;
  bool outside; /* tf_crop_and_resize sampled outside the input: extrapolation value */
  int64_t idx[4];
  double w[4];
} qcc_resize_taps;

typedef struct qcc_resize_plan {
  int32_t rank;
  int64_t dims[QCC_MAX_RANK]; /* the result's */
  double extrapolation;
  qcc_resize_taps *tables[QCC_MAX_RANK]; /* tables[d][o]: output coordinate o of dim d */
  qcc_resize_taps *all;                  /* the tables' storage (malloc) */
} qcc_resize_plan;

/* The plan of `op` for operands `in` (in[0]'s dims are read, not its data; the others are the
 * roi, scales and sizes tensors, NULL when absent). False with a message in err on an invalid
 * op; qcc_resize_plan_free must be called either way. */
bool qcc_resize_plan_make(const qcc_op *op, const qcc_tensor *const *in, qcc_resize_plan *p,
                          char *err, size_t errlen);
void qcc_resize_plan_free(qcc_resize_plan *p);

#endif
