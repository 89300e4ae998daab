/* QDQ fusion: rewrites DequantizeLinear -> op -> QuantizeLinear patterns into the integer
 * operators (QLinearConv, QGemm, QLinearAdd, ...), and drops Q/DQ around data movement, with
 * the same selection rules as ONNX Runtime's CPU QDQ transformer, so that interpreting the
 * fused graph reproduces ONNX Runtime's int8 results (docs/ort-arithmetic.md section 8). */
#ifndef QCC_PASSES_QDQ_FUSION_H
#define QCC_PASSES_QDQ_FUSION_H

#include "passes/pass_manager.h"

extern const qcc_pass qcc_pass_qdq_fusion;

#endif
