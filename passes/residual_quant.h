/* Residual quantizers.
 * Precondition: constants folded. Rule: an Add whose only consumer is a QuantizeLinear with
 * constant per-tensor parameters (s_y, z_y) (directly, or through one Relu/Clip), one of whose
 * inputs comes from a DequantizeLinear of the same integer type (the quantized shortcut) and the
 * other from an op in the quantized region (an op with a DequantizeLinear operand: the last conv of
 * the residual branch) used only by the Add, gets `Q(other, s_y, z_y) -> DQ` on that input. The
 * branch's op then meets a quantizer and folds to an integer op, and the Add folds to QLinearAdd:
 * conv + add run in int8, as TensorRT runs them. The output's parameters are the ones the graph
 * gives for the sum's range; on mobilenetv2_qdq they measure better than the shortcut's (44.8
 * vs 40.4 dB against ONNX Runtime). Not exact: the branch is rounded to a step of s_y before the
 * add (half a step) and saturates where it alone leaves the output range
 * (test/passes/qdq-opt-diff.test: at most 2 steps there).
 * `--no-residual-quant` leaves the pass out of any pipeline. */
#ifndef QCC_PASSES_RESIDUAL_QUANT_H
#define QCC_PASSES_RESIDUAL_QUANT_H

#include "passes/pass_manager.h"

extern const qcc_pass qcc_pass_residual_quant;

#endif
