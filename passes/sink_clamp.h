/* Clamps below quantizers.
 * Precondition: constants folded. Effect: `QuantizeLinear(Relu(x))` and
 * `QuantizeLinear(Clip(x, lo, hi))` (constant scalar bounds, the activation's only use is the Q,
 * the Q has constant per-tensor parameters and its result is not a graph output) become
 * `Clip(QuantizeLinear(x), Q(lo), Q(hi))` on the integers, so the op before the activation meets
 * its quantizer and folds into an integer op, with the clamp left for its epilogue.
 * Exact for every non-NaN input: quantization is monotone, so Q(clip(v, lo, hi)) equals
 * clip(Q(v), Q(lo), Q(hi)). (A NaN quantizes to the type's minimum, as in ONNX Runtime, and then
 * clamps to Q(lo).) */
#ifndef QCC_PASSES_SINK_CLAMP_H
#define QCC_PASSES_SINK_CLAMP_H

#include "passes/pass_manager.h"

extern const qcc_pass qcc_pass_sink_clamp;

#endif
