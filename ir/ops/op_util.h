/* Helpers shared by op families: shape rules, attribute checks, quantization arithmetic. */
#ifndef QCC_IR_OPS_OP_UTIL_H
#define QCC_IR_OPS_OP_UTIL_H

#include <math.h>

#include "ir/interp.h"
#include "ir/op_registry.h"

/* Static type of operand i (operand must be present). */
static inline qcc_type qcc_operand_type(const qcc_infer_ctx *ctx, uint32_t i) {
  return ctx->op->operands[i].value->type;
}
static inline bool qcc_has_operand(const qcc_op *op, uint32_t i) {
  return i < op->num_operands && op->operands[i].value != NULL;
}

/* Result i gets `t` (dims copied into the arena). */
qcc_status qcc_infer_set(qcc_infer_ctx *ctx, uint32_t i, qcc_elem elem, int32_t rank,
                         const qcc_dim *dims);
qcc_status qcc_infer_set_static(qcc_infer_ctx *ctx, uint32_t i, qcc_elem elem, int32_t rank,
                                const int64_t *sizes);
/* Result 0 = type of operand 0 (minus quantization). */
qcc_status qcc_infer_same_as_operand0(qcc_infer_ctx *ctx);
/* Checks operand i has element type `elem` (or, with any_float, f32/f16). */
qcc_status qcc_infer_expect_elem(qcc_infer_ctx *ctx, uint32_t i, qcc_elem elem);
/* Every operand present among the first n has element type `elem`. */
qcc_status qcc_infer_expect_elems(qcc_infer_ctx *ctx, uint32_t n, qcc_elem elem);
bool qcc_elem_is_float(qcc_elem e);
/* The present operands among the first n are all f32 or all f16; *elem receives which (f32 when
 * none is present). */
qcc_status qcc_infer_float_elems(qcc_infer_ctx *ctx, uint32_t n, qcc_elem *elem);
/* Multidirectional (numpy) broadcast of the given types' shapes into `out` (rank in *rank). */
qcc_status qcc_infer_broadcast(qcc_infer_ctx *ctx, const qcc_type *types, uint32_t n, qcc_dim *out,
                               int32_t *rank);
/* Reads a constant integer operand (i64/i32) into a heap array in the arena. Returns false
 * when the operand is not a constant. */
bool qcc_infer_const_ints(qcc_infer_ctx *ctx, uint32_t i, const int64_t **vals, int64_t *count);
/* Normalizes a possibly negative axis into [0, rank); reports an error when out of range. */
qcc_status qcc_infer_axis(qcc_infer_ctx *ctx, int64_t axis, int32_t rank, int32_t *out);

/* Runtime broadcasting: out shape of two tensors; false when incompatible. */
bool qcc_broadcast_shape(const qcc_tensor *a, const qcc_tensor *b, int32_t *rank, int64_t *dims);
/* Index into `t` of the element at multi-index `idx` of a broadcast result of rank `rank`. */
int64_t qcc_broadcast_offset(const qcc_tensor *t, int32_t rank, const int64_t *idx);
/* Increments a multi-index over `dims`; returns false after the last one. */
bool qcc_index_next(int64_t *idx, const int64_t *dims, int32_t rank);

/* ONNX rounding: half to even (the default floating-point rounding mode). */
static inline float qcc_round_half_even(float x) { return nearbyintf(x); }
static inline int32_t qcc_saturate(double v, int64_t lo, int64_t hi) {
  if (!(v == v))
    return 0;
  if (v < (double)lo)
    return (int32_t)lo;
  if (v > (double)hi)
    return (int32_t)hi;
  return (int32_t)v;
}

/* Quantization parameters of a Q/DQ-style op read from its runtime scale/zero-point tensors:
 * per tensor when scale is a scalar or 1-element, else per axis. */
typedef struct qcc_qparams {
  const qcc_tensor *scale, *zero_point; /* zero_point may be NULL */
  int32_t axis;                         /* normalized; -1 when per tensor */
  int64_t channels;
} qcc_qparams;
qcc_status qcc_qparams_read(qcc_eval_ctx *ctx, const qcc_tensor *x, const qcc_tensor *scale,
                            const qcc_tensor *zero_point, int64_t axis_attr, qcc_qparams *out);
/* Channel of flat element `i` of `x` under `q` (0 when per tensor). */
int64_t qcc_qparams_channel(const qcc_qparams *q, const qcc_tensor *x, int64_t i);
float qcc_qparams_scale(const qcc_qparams *q, int64_t c);
int32_t qcc_qparams_zero_point(const qcc_qparams *q, int64_t c);

/* float16 compute, as ONNX Runtime's CPU provider does it for the ops it has no f16 kernel for:
 * each f16 operand is widened to f32 (exactly), the op's f32 semantics run, and every result the
 * shape rule typed f16 is rounded back to f16 to nearest even. An op family's eval starts with
 *   if (qcc_eval_has_f16(op, in)) return qcc_eval_f16_via_f32(ctx, op, in, out, its_eval);
 * True when an operand present in `in` is an f16 tensor. */
bool qcc_eval_has_f16(const qcc_op *op, const qcc_tensor *const *in);
qcc_status qcc_eval_f16_via_f32(qcc_eval_ctx *ctx, const qcc_op *op, const qcc_tensor *const *in,
                                qcc_tensor **out, qcc_eval_fn eval);
/* The runtime counterpart of qcc_infer_float_elems: the tensors present among in[0..n) are all
 * f32 or all f16 (*elem says which), else a located error. */
qcc_status qcc_eval_float_elems(qcc_eval_ctx *ctx, const qcc_op *op, const qcc_tensor *const *in,
                                uint32_t n, qcc_elem *elem);
/* f32 copy of an f16 tensor (exact); NULL with a located error on failure. */
qcc_tensor *qcc_eval_widen_f16(qcc_eval_ctx *ctx, const qcc_tensor *x);

/* Convenience to declare an op definition's attribute table. */
#define QCC_ATTRS(...) ((const qcc_attr_spec[]){__VA_ARGS__, {0}})
#define QCC_NO_ATTRS ((const qcc_attr_spec[]){{0}})

#endif
