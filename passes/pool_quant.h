/* Input quantizers for average pools.
 * Precondition: constants folded, Q/DQ propagated across data movement. Rule: a
 * GlobalAveragePool or AveragePool whose float input is computed by an op in the quantized
 * region (not a DequantizeLinear) used only by the pool, and whose only consumer is a
 * QuantizeLinear with constant per-tensor parameters (s, z), gets Q -> DQ on its input with scale
 * s; the zero point is z, except that when the input is provably non-negative (a Relu, a Clip
 * with a lower bound >= 0, or data movement / MaxPool of one) it is the type's minimum, so all 256
 * codes cover [0, 255 s] instead of half of them. The op before the pool then meets a quantizer
 * and folds, and the pool folds to an integer average. This is how the TensorRT idiom's float
 * tail (last conv, activation, global average pool, then the classifier's quantizer) becomes
 * integer. Within one step of s, not exact: each input is rounded to half a step before the mean
 * (so the mean moves by at most half a step), unless an input exceeds the code range (255 s for a
 * non-negative input), where it saturates. */
#ifndef QCC_PASSES_POOL_QUANT_H
#define QCC_PASSES_POOL_QUANT_H

#include "passes/pass_manager.h"

extern const qcc_pass qcc_pass_pool_quant;

#endif
