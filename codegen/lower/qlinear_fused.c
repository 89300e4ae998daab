/* QLinearConvFused (ir/ops/qlinear_fused.c): the QLinearConv loop nest of qlinear_conv.c with
 * the residual QLinearAdd and the integer clamp in its epilogue, in registers: the conv's code
 * never goes through memory. The add is QLinearAdd's arithmetic in the original operand order
 * (ir/ops/qlinear_binary.h), the clamp the interpreter's `v < lo ? lo : v > hi ? hi : v`. The
 * result may be written in place over the residual: each element is read before it is written. */
#include "codegen/lower/qlinear_conv.h"
#include "ir/op_registry.h"
#include "ir/ops/qlinear_binary.h"
#include "ir/ops/qoperand.h"

enum { FUSED_R = 9, FUSED_R_SCALE, FUSED_R_ZP, FUSED_Y_SCALE, FUSED_Y_ZP, FUSED_MIN, FUSED_MAX };

typedef struct fused_epilogue {
  bool residual, conv_first, clamp;
  qcc_cg_tensor r;
  qcc_bcast_mode mode;
  float ra, rb, fixed; /* QLinearAdd's, for A and B in the add's order */
  qcc_qrange range;
  int32_t lo, hi;
} fused_epilogue;

/* y: one code, or a vector of consecutive channels (then the residual's channels are
 * contiguous: the conv kernel checks qcc_conv_epilogue.lanes_contiguous). */
static LLVMValueRef apply(qcc_lower_ctx *L, const qcc_conv_epilogue *e, LLVMValueRef y,
                          LLVMValueRef *idx, LLVMValueRef mask) {
  const fused_epilogue *f = e->user;
  qcc_cg *cg = L->cg;
  LLVMBuilderRef b = cg->b;
  LLVMTypeRef yt = LLVMTypeOf(y);
  bool vec = LLVMGetTypeKind(yt) == LLVMVectorTypeKind;
  LLVMTypeRef ft = vec ? LLVMVectorType(cg->f32, LLVMGetVectorSize(yt)) : cg->f32;
  if (f->residual) {
    LLVMValueRef raw = vec ? qcc_cg_load_lanes(cg, &f->r, qcc_cg_offset(cg, &f->r, idx),
                                               LLVMGetVectorSize(yt), mask)
                           : qcc_cg_load(cg, &f->r, idx);
    LLVMValueRef rv = qcc_cg_to_i32(cg, raw, f->r.elem);
    LLVMValueRef fa = LLVMBuildSIToFP(b, f->conv_first ? y : rv, ft, "");
    LLVMValueRef fb = LLVMBuildSIToFP(b, f->conv_first ? rv : y, ft, "");
    LLVMValueRef ra = qcc_cg_f32(cg, f->ra), rb = qcc_cg_f32(cg, f->rb);
    LLVMValueRef fixed = qcc_cg_f32(cg, f->fixed);
    LLVMValueRef v = f->mode == QCC_BCAST_A_SCALAR
                         ? qcc_cg_fma(cg, fb, rb, qcc_cg_fma(cg, fa, ra, fixed))
                         : qcc_cg_fma(cg, fa, ra, qcc_cg_fma(cg, fb, rb, fixed));
    /* A clamp inside the range composes with the saturation: one float clamp to its bounds. */
    bool merge = f->clamp && f->range.lo <= f->lo && f->lo <= f->hi && f->hi <= f->range.hi;
    qcc_qrange r = merge ? (qcc_qrange){.lo = f->lo, .hi = f->hi} : f->range;
    y = qcc_cg_cvt_saturate(cg, v, r);
    if (merge)
      return y;
  }
  if (f->clamp) {
    LLVMValueRef lo = qcc_cg_like(cg, y, qcc_cg_i32(cg, f->lo));
    LLVMValueRef hi = qcc_cg_like(cg, y, qcc_cg_i32(cg, f->hi));
    LLVMValueRef t = LLVMBuildSelect(b, LLVMBuildICmp(b, LLVMIntSGT, y, hi, ""), hi, y, "");
    y = LLVMBuildSelect(b, LLVMBuildICmp(b, LLVMIntSLT, y, lo, ""), lo, t, "");
  }
  return y;
}

qcc_status qcc_lower_qlinear_conv_fused(qcc_lower_ctx *L) {
  const qcc_op *op = L->op;
  fused_epilogue f = {.residual = qcc_op_operand(op, FUSED_R) != NULL};
  qcc_cg_tensor y;
  qcc_lower_result(L, 0, &y);
  f.range = qcc_elem_qrange(y.elem);
  f.lo = f.range.lo;
  f.hi = f.range.hi;
  qcc_status st;
  if (f.residual) {
    qcc_lower_operand(L, FUSED_R, &f.r);
    if (f.r.elem != y.elem)
      return qcc_lower_error(L, "the residual must have the result's type");
    if ((st = qcc_lower_check_in_place(L, &y, op->results[0], &f.r, qcc_op_operand(op, FUSED_R))) !=
        QCC_OK)
      return st;
    float conv_scale, r_scale, y_scale;
    int32_t conv_zp, r_zp, y_zp;
    if ((st = qcc_lower_const_floats(L, 6, 1, &conv_scale, "y_scale")) != QCC_OK ||
        (st = qcc_lower_const_ints(L, 7, 1, &conv_zp, "y_zero_point")) != QCC_OK ||
        (st = qcc_lower_const_floats(L, FUSED_R_SCALE, 1, &r_scale, "R_scale")) != QCC_OK ||
        (st = qcc_lower_const_ints(L, FUSED_R_ZP, 1, &r_zp, "R_zero_point")) != QCC_OK ||
        (st = qcc_lower_const_floats(L, FUSED_Y_SCALE, 1, &y_scale, "the sum's scale")) != QCC_OK ||
        (st = qcc_lower_const_ints(L, FUSED_Y_ZP, 1, &y_zp, "the sum's zero point")) != QCC_OK)
      return st;
    f.conv_first = qcc_op_attr_int(op, "conv_operand") == 0;
    float a_scale = f.conv_first ? conv_scale : r_scale,
          b_scale = f.conv_first ? r_scale : conv_scale;
    int32_t a_zp = f.conv_first ? conv_zp : r_zp, b_zp = f.conv_first ? r_zp : conv_zp;
    /* The conv result and the residual have the same shape (the shape rule checks). */
    const int64_t *cd = y.dims, *rd = f.r.dims;
    f.mode = f.conv_first ? qcc_ort_broadcast_mode(y.rank, cd, f.r.rank, rd)
                          : qcc_ort_broadcast_mode(f.r.rank, rd, y.rank, cd);
    f.ra = a_scale / y_scale;
    f.rb = b_scale / y_scale;
    f.fixed = qcc_qadd_fixed(f.mode, f.ra, a_zp, f.rb, b_zp, y_zp);
  }
  if (qcc_op_operand(op, FUSED_MIN) || qcc_op_operand(op, FUSED_MAX)) {
    f.clamp = true;
    if (qcc_op_operand(op, FUSED_MIN) &&
        (st = qcc_lower_const_ints(L, FUSED_MIN, 1, &f.lo, "the lower bound")) != QCC_OK)
      return st;
    if (qcc_op_operand(op, FUSED_MAX) &&
        (st = qcc_lower_const_ints(L, FUSED_MAX, 1, &f.hi, "the upper bound")) != QCC_OK)
      return st;
  }
  qcc_conv_epilogue e = {.apply = apply,
                         .user = &f,
                         .lanes_contiguous = !f.residual || (f.r.rank >= 2 && f.r.strides[1] == 1),
                         .operand = f.residual ? &f.r : NULL};
  return qcc_lower_conv_nest(L, &e);
}
