/* int8 -> uint8 Q/DQ pairs.
 * Precondition: constants folded. Effect: an int8 QuantizeLinear whose only consumer is a
 * DequantizeLinear with the same constant scalar zero point becomes uint8 with the zero point
 * moved by 128 (ONNX Runtime's QDQS8ToU8Transformer on x86); in this pass (not inside
 * qdq-fusion) also through integer data movement between them. The pair computes exactly the same
 * values; the kernels fused afterwards see u8 activations and round in that domain. qdq-fusion
 * runs it first too, so ONNX Runtime's pipeline is unchanged. Exact. */
#ifndef QCC_PASSES_S8_TO_U8_H
#define QCC_PASSES_S8_TO_U8_H

#include "passes/pass_manager.h"

extern const qcc_pass qcc_pass_s8_to_u8;

/* The rewrite itself; `*n` counts the pairs. With `through_movement`, also a Q whose result
 * reaches its DQ through integer data movement (each link used once; the links run on u8
 * unchanged: moving or selecting elements commutes with the +128). QCC_ERR_NOMEM on OOM
 * (nothing reported). */
qcc_status qcc_convert_s8_to_u8(qcc_graph *g, bool through_movement, uint64_t *n);

#endif
