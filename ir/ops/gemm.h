/* Parameters of Gemm and QGemm (com.microsoft), decoded once for the shape rules, the
 * interpreter and the lowering: Y = alpha * A' * B' + beta * C with A' = transA ? A^T : A. */
#ifndef QCC_IR_OPS_GEMM_H
#define QCC_IR_OPS_GEMM_H

#include "ir/op_registry.h"

typedef struct qcc_gemm_params {
  bool trans_a, trans_b;
  float alpha, beta; /* QGemm has no beta: 1 */
} qcc_gemm_params;

qcc_gemm_params qcc_gemm_params_read(const qcc_op *op);

/* Shape rule of the product: operands `a` and `b` must be 2-D (when ranked) with equal inner
 * dims; dims gets [M, N] (unknown where not known). */
qcc_status qcc_infer_gemm_dims(qcc_infer_ctx *ctx, uint32_t a, uint32_t b, const qcc_gemm_params *p,
                               qcc_dim dims[2]);

/* Row and column counts of a C of rank <= 2 broadcast unidirectionally to [m, n] (each 1 or the
 * full size); false when it cannot be. */
bool qcc_gemm_c_shape(const qcc_tensor *c, int64_t m, int64_t n, int64_t *rows, int64_t *cols);

#endif
