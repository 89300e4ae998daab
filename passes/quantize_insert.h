/* Post-training quantization's Q/DQ placement (`qcc quantize`): where a float graph gets its
 * QuantizeLinear/DequantizeLinear pairs, following TensorRT's explicit-quantization rules so
 * that qcc's own passes fold every pair into an integer op:
 *  - the data input of every float Conv, Gemm and MatMul with constant float weights (one pair
 *    per value, shared by all such consumers), and the weights themselves: int8, symmetric
 *    (zero point 0), per output channel (Conv axis 0, Gemm's B along N, MatMul's B along its
 *    last axis) or per tensor, codes in [-127, 127];
 *  - the skip branch of a residual Add (an Add of two float activations of one shape, one of
 *    them a single-use Conv/Gemm/MatMul result): the other operand (operand 1 when both are),
 *    quantized with that value's pair, so that residual-quant quantizes the conv branch with the
 *    Add's output parameters and the conv and the Add fold into one fused integer conv; or,
 *    with both_residual_inputs, both operands with their own ranges (QLinearConv + QLinearAdd,
 *    which fuse-epilogue folds into one fused conv again): the Add's output parameters cannot
 *    hold the conv branch's values when they exceed the sum's range (a ReLU'd sum in uint8
 *    starts at 0; ResNet-18 in int8: 11.6 dB skip-only, 33.2 dB with both);
 *  - the input of every GlobalAveragePool / AveragePool, with its own range: without it
 *    pool-quant would quantize the pool's input with the pool's output parameters, whose range
 *    (of averages) is narrower than the input's and saturates it (ResNet-18: 35 -> 25 dB);
 *  - nothing else: graph outputs and float-only regions stay float.
 * Precondition: BatchNormalization folded into the convs (fold-conv-bn), constants folded.
 * Ops named in keep_float keep their float inputs and weights. */
#ifndef QCC_PASSES_QUANTIZE_INSERT_H
#define QCC_PASSES_QUANTIZE_INSERT_H

#include "ir/diag.h"
#include "ir/graph.h"

typedef struct qcc_qdq_placement {
  bool per_tensor_weights;
  bool both_residual_inputs;
  const char *const *keep_float; /* op names */
  uint32_t num_keep_float;
} qcc_qdq_placement;

/* The activation quantization of one value. */
typedef struct qcc_qdq_act {
  qcc_elem elem; /* QCC_U8 or QCC_I8 */
  float scale;
  int32_t zero_point;
} qcc_qdq_act;

/* needs[v->id] (g->num_values entries) is set for each value that gets an activation pair;
 * share[v->id] is the id of the value whose parameters v's pair takes (v's own, or after data
 * movement the moved value's). */
void qcc_qdq_place(const qcc_graph *g, const qcc_qdq_placement *o, bool *needs, uint32_t *share);

/* Inserts the pairs of the values qcc_qdq_place marked, with act[v->id], and quantizes the
 * weights of the quantized Conv/Gemm/MatMul ops. Counts what it did in *pairs / *weights. */
qcc_status qcc_qdq_insert(qcc_graph *g, const qcc_qdq_placement *o, const bool *needs,
                          const qcc_qdq_act *act, qcc_diag *diag, uint32_t *pairs,
                          uint32_t *weights);

#endif
