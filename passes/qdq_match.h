/* Pattern helpers for Q/DQ rewrites, and the builders the rewrites share. */
#ifndef QCC_PASSES_QDQ_MATCH_H
#define QCC_PASSES_QDQ_MATCH_H

#include "ir/graph_util.h"
#include "ir/op_kinds.h"

/* The DequantizeLinear producing operand i of `op`, or NULL. */
qcc_op *qcc_match_dq_operand(const qcc_op *op, uint32_t i);
/* The only consumer of `op`'s single result when it is a QuantizeLinear and the result is not a
 * graph output; NULL otherwise. */
qcc_op *qcc_match_single_q_consumer(const qcc_op *op);
/* Element type of a Q/DQ's quantized side (Q result or DQ operand 0). */
qcc_elem qcc_qdq_int_elem(const qcc_op *qdq);
/* Per-tensor scale/zero point of a Q or DQ, when both are constants; zero point 0 if absent. */
bool qcc_qdq_scalar_params(const qcc_op *qdq, double *scale, int64_t *zero_point);
/* The quantization a Q or DQ with constant scale/zero point applies to its integer side `t`,
 * allocated in the graph arena; NULL when the parameters are not constants or not valid. */
const qcc_quant *qcc_quant_of_qdq(qcc_graph *g, const qcc_op *qdq, qcc_type t);

/* A QLinearLookup of dq's integer input through `table` (a 256-entry constant) with q's output
 * parameters, placed before q and named after `node` (the op it replaces); q's result keeps its
 * quantization type. NULL with *nomem false when the shape rule rejects it (nothing added but
 * the table, which the caller erases), with *nomem true on OOM. */
qcc_op *qcc_build_lookup(qcc_graph *g, qcc_op *dq, qcc_value *table, qcc_op *q, const qcc_op *node,
                         bool *nomem);

/* True when the weights' DequantizeLinear `dw` is per tensor, or per axis along `axis` of its
 * operand (negative counts from the end): the one axis an integer kernel's per-channel scales
 * can describe (a conv's output channels, a matmul's columns). A scale vector of any other
 * shape, or a dynamic one, is not. */
bool qcc_qdq_weight_axis_is(const qcc_op *dw, int32_t axis);

/* True for ops that only move elements of operand 0 (or, for MaxPool, select one of them), so
 * they commute with a per-tensor quantizer and run on integers unchanged: MaxPool (its Indices
 * result unused), Reshape, Flatten, Transpose, Squeeze, Unsqueeze, Slice. */
bool qcc_is_element_movement(const qcc_op *op);

/* A Constant before `before` holding a copy of `data`: with the element type and shape of `like`
 * (its quantization dropped) when given, else of `elem` and dims[0..rank). NULL on OOM. */
qcc_value *qcc_build_const(qcc_graph *g, const qcc_type *like, qcc_elem elem, int32_t rank,
                           const int64_t *dims, const void *data, size_t nbytes, qcc_op *before);
/* A QuantizeLinear or DequantizeLinear (`kind`) of x with scale and optional zero point, with
 * attribute axis when axis >= 0, result type `type` (quantization dropped), before `before`.
 * NULL on OOM. */
qcc_op *qcc_build_qdq(qcc_graph *g, qcc_op_kind kind, qcc_value *x, qcc_value *scale, qcc_value *zp,
                      int64_t axis, qcc_type type, qcc_loc loc, qcc_op *before);

#endif
