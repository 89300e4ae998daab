/* The float arithmetic of com.microsoft QLinearAdd as ONNX Runtime's x86 kernels do it, shared by
 * the interpreter (qlinear_elementwise.c, qlinear_fused.c) and the code generator. */
#ifndef QCC_IR_OPS_QLINEAR_BINARY_H
#define QCC_IR_OPS_QLINEAR_BINARY_H

#include <math.h>
#include <stdint.h>

/* ONNX Runtime picks one of three loops from the innermost non-trivial dimension of the two
 * shapes (its Broadcaster): A constant along it, B constant along it, or both varying. The
 * loops differ in how the float expression is associated, so the choice is part of the
 * arithmetic. */
typedef enum { QCC_BCAST_GENERAL, QCC_BCAST_A_SCALAR, QCC_BCAST_B_SCALAR } qcc_bcast_mode;

static inline qcc_bcast_mode qcc_ort_broadcast_mode(int32_t ra, const int64_t *a_dims, int32_t rb,
                                                    const int64_t *b_dims) {
  int32_t rmin = ra < rb ? ra : rb;
  if (rmin == 0) {
    if (ra == rb)
      return QCC_BCAST_GENERAL;
    return ra == 0 ? QCC_BCAST_A_SCALAR : QCC_BCAST_B_SCALAR;
  }
  for (int32_t i = 0; i < rmin; ++i) {
    int64_t da = a_dims[ra - 1 - i], db = b_dims[rb - 1 - i];
    if (da <= 1 && db <= 1 && i + 1 < rmin)
      continue;
    if (da <= 1)
      return QCC_BCAST_A_SCALAR;
    if (db <= 1)
      return QCC_BCAST_B_SCALAR;
    break;
  }
  return QCC_BCAST_GENERAL;
}

/* MLAS builds its AVX2 QLinearAdd kernel with FMA enabled and gcc contracts its scalar set-up
 * expressions; both contractions below were confirmed against ONNX Runtime on inputs where
 * the unfused forms round differently (test/tools/ort_diff.py, qlinearadd_tie_*).
 *
 * F = y_zp - (r0*zp0 + r1*zp1), the first product fused into the sum. */
static inline float qcc_qadd_fold_zero_points(float r0, int32_t zp0, float r1, int32_t zp1,
                                              int32_t y_zp) {
  return (float)y_zp - fmaf(r0, (float)zp0, r1 * (float)zp1);
}

/* The constant term of QLinearAdd(A, B) -> Y with ra = A_scale / Y_scale and rb = B_scale /
 * Y_scale in broadcast mode `mode`. The sum of codes a, b is then
 *   A_SCALAR:  fmaf(b, rb, fmaf(a, ra, fixed))
 *   otherwise: fmaf(a, ra, fmaf(b, rb, fixed))
 * (with B constant over a span, ONNX Runtime folds b * rb into the fixed term first, which is
 * the same fused operation). */
static inline float qcc_qadd_fixed(qcc_bcast_mode mode, float ra, int32_t a_zp, float rb,
                                   int32_t b_zp, int32_t y_zp) {
  return mode == QCC_BCAST_A_SCALAR ? qcc_qadd_fold_zero_points(rb, b_zp, ra, a_zp, y_zp)
                                    : qcc_qadd_fold_zero_points(ra, a_zp, rb, b_zp, y_zp);
}

#endif
