/* com.microsoft QLinearAdd, QLinearMul (numpy broadcasting), QLinearSigmoid and QLinearLeakyRelu
 * (ir/ops/qlinear_elementwise.c):
 *  - add: ONNX Runtime's fused float expression of ir/ops/qlinear_binary.h, the association
 *    chosen by the broadcast mode, then qcc_cvt_f32_i32 and saturation;
 *  - mul: float(a' * b') * ((a_scale * b_scale) / y_scale) + y_zp, converted and saturated;
 *  - sigmoid, leaky relu: a 256-entry table of the interpreter's own results on every code.
 * Add and mul run over the result's contiguous dim in vectors of LANES elements (the whole
 * tensor as one run when A, B and Y share dims and layout), each lane computing the scalar
 * expression; an operand constant along that dim is one value splatted; the elements after the
 * last full vector take the scalar code. */
#include "codegen/lower/lower.h"
#include "ir/op_registry.h"
#include "ir/ops/qlinear_binary.h"
#include "ir/ops/qoperand.h"

enum { LANES = 16 };

typedef struct binary_job {
  qcc_cg_tensor a, b, y; /* a and b right-aligned to y's rank */
  int32_t inner;         /* the logical dim the lanes walk; -1: scalar loops only */
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

/* ---- loops over the contiguous dim in vectors ---- */

/* Same dims and, where a dim has more than one element, same strides. */
static bool same_view(const qcc_cg_tensor *a, const qcc_cg_tensor *b) {
  if (a->rank != b->rank)
    return false;
  for (int32_t d = 0; d < a->rank; ++d)
    if (a->dims[d] != b->dims[d] || (a->dims[d] > 1 && a->strides[d] != b->strides[d]))
      return false;
  return true;
}

static void make_flat(qcc_cg_tensor *t, int64_t n) {
  t->rank = 1;
  t->dims[0] = n;
  t->strides[0] = 1;
}

/* Chooses the lanes' dim: all of y when A and B are laid out as y (one dense run), else y's
 * contiguous dim if A and B are contiguous or constant along it. */
static void choose_inner(binary_job *j) {
  if (same_view(&j->a, &j->y) && same_view(&j->b, &j->y)) {
    int64_t n = 1;
    for (int32_t d = 0; d < j->y.rank; ++d)
      n *= j->y.dims[d];
    make_flat(&j->y, n), make_flat(&j->a, n), make_flat(&j->b, n);
  }
  j->inner = -1;
  for (int32_t d = 0; d < j->y.rank && j->inner < 0; ++d)
    if (j->y.strides[d] == 1 && j->y.dims[d] > 1)
      j->inner = d;
  if (j->inner < 0)
    return;
  const qcc_cg_tensor *ops[2] = {&j->a, &j->b};
  for (int i = 0; i < 2; ++i)
    if (ops[i]->dims[j->inner] > 1 && ops[i]->strides[j->inner] != 1)
      j->inner = -1;
}

/* lanes elements of t along j->inner from idx on: a vector load, or for an operand of one
 * element along that dim its value splatted (one element for lanes 1). */
static LLVMValueRef load_lanes(qcc_cg *cg, const binary_job *j, const qcc_cg_tensor *t,
                               LLVMValueRef *idx, unsigned lanes) {
  if (lanes == 1)
    return qcc_cg_load(cg, t, idx);
  if (t->dims[j->inner] == 1)
    return qcc_cg_splat(cg, qcc_cg_load(cg, t, idx), lanes);
  LLVMTypeRef vt = LLVMVectorType(qcc_cg_elem_type(cg, t->elem), lanes);
  LLVMValueRef v = LLVMBuildLoad2(cg->b, vt, qcc_cg_elem_ptr(cg, t, qcc_cg_offset(cg, t, idx)), "");
  LLVMSetAlignment(v, (unsigned)qcc_elem_size(t->elem));
  return v;
}

static LLVMTypeRef lanes_type(LLVMTypeRef t, unsigned lanes) {
  return lanes == 1 ? t : LLVMVectorType(t, lanes);
}

/* An 8-bit code (or vector of codes) widened to i32 lanes. */
static LLVMValueRef widen(qcc_cg *cg, LLVMValueRef v, qcc_elem e, unsigned lanes) {
  LLVMTypeRef t = lanes_type(cg->i32, lanes);
  return e == QCC_U8 ? LLVMBuildZExt(cg->b, v, t, "") : LLVMBuildSExt(cg->b, v, t, "");
}

static void binary_lanes(qcc_cg *cg, LLVMValueRef *idx, unsigned lanes, void *user) {
  binary_job *j = user;
  LLVMBuilderRef b = cg->b;
  LLVMTypeRef f32 = lanes_type(cg->f32, lanes);
  LLVMValueRef av = widen(cg, load_lanes(cg, j, &j->a, idx, lanes), j->a.elem, lanes);
  LLVMValueRef bv = widen(cg, load_lanes(cg, j, &j->b, idx, lanes), j->b.elem, lanes);
  LLVMValueRef v;
  if (j->add) {
    LLVMValueRef fa = LLVMBuildSIToFP(b, av, f32, ""), fb = LLVMBuildSIToFP(b, bv, f32, "");
    LLVMValueRef ra = qcc_cg_f32(cg, j->ra), rb = qcc_cg_f32(cg, j->rb);
    LLVMValueRef fixed = qcc_cg_f32(cg, j->fixed);
    v = j->mode == QCC_BCAST_A_SCALAR ? qcc_cg_fma(cg, fb, rb, qcc_cg_fma(cg, fa, ra, fixed))
                                      : qcc_cg_fma(cg, fa, ra, qcc_cg_fma(cg, fb, rb, fixed));
  } else {
    av = LLVMBuildSub(b, av, qcc_cg_like(cg, av, qcc_cg_i32(cg, j->a_zp)), "");
    bv = LLVMBuildSub(b, bv, qcc_cg_like(cg, bv, qcc_cg_i32(cg, j->b_zp)), "");
    LLVMValueRef prod = LLVMBuildSIToFP(b, LLVMBuildMul(b, av, bv, ""), f32, "");
    prod = LLVMBuildFMul(b, prod, qcc_cg_like(cg, prod, qcc_cg_f32(cg, j->ratio)), "");
    v = LLVMBuildFAdd(b, prod, qcc_cg_like(cg, prod, qcc_cg_f32(cg, (float)j->y_zp)), "");
  }
  LLVMValueRef q = qcc_cg_saturate(cg, qcc_cg_cvt_f32_i32(cg, v), j->r);
  q = LLVMBuildTrunc(b, q, lanes_type(cg->i8, lanes), "");
  LLVMValueRef st = LLVMBuildStore(b, q, qcc_cg_elem_ptr(cg, &j->y, qcc_cg_offset(cg, &j->y, idx)));
  LLVMSetAlignment(st, 1);
}

static void binary_body(qcc_cg *cg, LLVMValueRef *idx, void *user) {
  binary_lanes(cg, idx, 1, user);
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
  choose_inner(&j);
  if (j.inner >= 0)
    qcc_cg_for_each_lanes(L->cg, &j.y, j.inner, LANES, binary_lanes, &j);
  else
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
