/* com.microsoft QLinearAdd, QLinearMul (numpy broadcasting), QLinearSigmoid and QLinearLeakyRelu
 * (ir/ops/qlinear_elementwise.c):
 *  - add: ONNX Runtime's fused float expression of ir/ops/qlinear_binary.h, the association
 *    chosen by the broadcast mode, then qcc_cvt_f32_i32 and saturation;
 *  - mul: float(a' * b') * ((a_scale * b_scale) / y_scale) + y_zp, converted and saturated;
 *  - sigmoid, leaky relu: a 256-entry table of the interpreter's own results on every code. */
#include "codegen/lower/lower.h"
#include "ir/op_registry.h"
#include "ir/ops/qlinear_binary.h"
#include "ir/ops/qoperand.h"

typedef struct binary_job {
  qcc_cg_tensor a, b, y; /* a and b right-aligned to y's rank */
  bool add;
  qcc_bcast_mode mode;
  float ra, rb, fixed, ratio;
  int32_t a_zp, b_zp, y_zp;
  qcc_qrange r;
} binary_job;

/* `t` seen with `rank` dims: missing leading dims of size 1. */
static void align_to(qcc_cg_tensor *t, int32_t rank) {
  int32_t shift = rank - t->rank;
  for (int32_t d = rank - 1; d >= 0; --d) {
    bool have = d - shift >= 0;
    t->dims[d] = have ? t->dims[d - shift] : 1;
    t->strides[d] = have ? t->strides[d - shift] : 0;
  }
  t->rank = rank;
}

static void binary_body(qcc_cg *cg, LLVMValueRef *idx, void *user) {
  binary_job *j = user;
  LLVMBuilderRef b = cg->b;
  LLVMValueRef av = qcc_cg_to_i32(cg, qcc_cg_load(cg, &j->a, idx), j->a.elem);
  LLVMValueRef bv = qcc_cg_to_i32(cg, qcc_cg_load(cg, &j->b, idx), j->b.elem);
  LLVMValueRef v;
  if (j->add) {
    LLVMValueRef fa = LLVMBuildSIToFP(b, av, cg->f32, ""), fb = LLVMBuildSIToFP(b, bv, cg->f32, "");
    LLVMValueRef ra = qcc_cg_f32(cg, j->ra), rb = qcc_cg_f32(cg, j->rb);
    LLVMValueRef fixed = qcc_cg_f32(cg, j->fixed);
    v = j->mode == QCC_BCAST_A_SCALAR ? qcc_cg_fma(cg, fb, rb, qcc_cg_fma(cg, fa, ra, fixed))
                                      : qcc_cg_fma(cg, fa, ra, qcc_cg_fma(cg, fb, rb, fixed));
  } else {
    av = LLVMBuildSub(b, av, qcc_cg_i32(cg, j->a_zp), "");
    bv = LLVMBuildSub(b, bv, qcc_cg_i32(cg, j->b_zp), "");
    LLVMValueRef prod = LLVMBuildSIToFP(b, LLVMBuildMul(b, av, bv, ""), cg->f32, "");
    prod = LLVMBuildFMul(b, prod, qcc_cg_f32(cg, j->ratio), "");
    v = LLVMBuildFAdd(b, prod, qcc_cg_f32(cg, (float)j->y_zp), "");
  }
  LLVMValueRef q = qcc_cg_saturate(cg, qcc_cg_cvt_f32_i32(cg, v), j->r);
  qcc_cg_store(cg, &j->y, idx, qcc_cg_from_i32(cg, q, j->y.elem));
}

static qcc_status lower_binary(qcc_lower_ctx *L, bool add) {
  binary_job j = {.add = add};
  qcc_lower_operand(L, 0, &j.a);
  qcc_lower_operand(L, 3, &j.b);
  qcc_lower_result(L, 0, &j.y);
  if (!qcc_is_8bit(j.a.elem) || j.b.elem != j.a.elem)
    return qcc_lower_error(L, "A and B must both be u8 or both i8");
  float as, bs, ys;
  qcc_status st;
  if ((st = qcc_lower_const_floats(L, 1, 1, &as, "A_scale")) != QCC_OK ||
      (st = qcc_lower_const_ints(L, 2, 1, &j.a_zp, "A_zero_point")) != QCC_OK ||
      (st = qcc_lower_const_floats(L, 4, 1, &bs, "B_scale")) != QCC_OK ||
      (st = qcc_lower_const_ints(L, 5, 1, &j.b_zp, "B_zero_point")) != QCC_OK ||
      (st = qcc_lower_const_floats(L, 6, 1, &ys, "C_scale")) != QCC_OK ||
      (st = qcc_lower_const_ints(L, 7, 1, &j.y_zp, "C_zero_point")) != QCC_OK)
    return st;
  j.r = qcc_elem_qrange(j.y.elem);
  if (add) {
    j.ra = as / ys;
    j.rb = bs / ys;
    j.mode = qcc_ort_broadcast_mode(j.a.rank, j.a.dims, j.b.rank, j.b.dims);
    j.fixed = qcc_qadd_fixed(j.mode, j.ra, j.a_zp, j.rb, j.b_zp, j.y_zp);
  } else {
    float ab = as * bs;
    j.ratio = ab / ys;
  }
  align_to(&j.a, j.y.rank);
  align_to(&j.b, j.y.rank);
  const qcc_value *y = L->op->results[0];
  if ((st = qcc_lower_check_in_place(L, &j.y, y, &j.a, qcc_op_operand(L->op, 0))) != QCC_OK ||
      (st = qcc_lower_check_in_place(L, &j.y, y, &j.b, qcc_op_operand(L->op, 3))) != QCC_OK)
    return st;
  qcc_cg_for_each_index(L->cg, j.y.rank, j.y.dims, j.y.strides, binary_body, &j);
  return QCC_OK;
}

qcc_status qcc_lower_qlinear_add(qcc_lower_ctx *L) { return lower_binary(L, true); }
qcc_status qcc_lower_qlinear_mul(qcc_lower_ctx *L) { return lower_binary(L, false); }

qcc_status qcc_lower_qlinear_table(qcc_lower_ctx *L) {
  uint8_t table[256];
  qcc_status st = qcc_lower_eval_byte_map(L, table);
  return st != QCC_OK ? st : qcc_lower_byte_map_kernel(L, table);
}
