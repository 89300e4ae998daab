/* Helpers of the data-movement op families (reshape.c, transpose.c, concat_split.c, pad.c,
 * shape.c): shape arithmetic and the integer vector operands they read. They work on raw
 * element bytes, so every element type is supported without per-type code (Cast excepted). */
#ifndef QCC_IR_OPS_LAYOUT_UTIL_H
#define QCC_IR_OPS_LAYOUT_UTIL_H

#include "ir/ops/op_util.h"

/* A dim of unknown size. */
extern const qcc_dim qcc_unknown_dim;

/* Product of dims [begin, end): static when all are (or one is 0 and one symbolic); the symbolic
 * dim itself when one is symbolic and the others are 1; otherwise (or on overflow) unknown. */
qcc_dim qcc_dim_product(const qcc_dim *dims, int32_t begin, int32_t end);
/* Product of dims [begin, end). Only bounded by the tensor's numel when that is non-zero
 * (an empty tensor may have huge other dims), hence the overflow check. */
bool qcc_numel_range(const int64_t *dims, int32_t begin, int32_t end, int64_t *n);
/* Result i: given rank with every dim unknown (unranked when rank < 0). */
qcc_status qcc_infer_unknown_dims(qcc_infer_ctx *ctx, uint32_t i, qcc_elem elem, int64_t rank);
/* Static length of a 1-D operand (e.g. a shape or axes vector), or -1. */
int64_t qcc_operand_length(const qcc_infer_ctx *ctx, uint32_t i);
/* Operand i (named `what`) must be i64 or i32. */
qcc_status qcc_infer_expect_index(qcc_infer_ctx *ctx, uint32_t i, const char *what);
/* Runtime integer vector (0-D or 1-D) into `out` (at most `cap` entries). */
qcc_status qcc_eval_read_ints(qcc_eval_ctx *ctx, const qcc_tensor *t, const char *what, int64_t cap,
                              int64_t *out, int64_t *count);
/* The dims [*start, *end) a Shape op of an operand of rank `rank` returns (its start and end
 * attributes clamped as ONNX says). */
void qcc_shape_op_range(const qcc_op *op, int32_t rank, int64_t *start, int64_t *end);
/* A fresh tensor with x's elements and the shape `dims`. */
qcc_tensor *qcc_copy_with_shape(qcc_eval_ctx *ctx, const qcc_tensor *x, int32_t rank,
                                const int64_t *dims);

#endif
