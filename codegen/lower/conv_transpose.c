/* ConvTranspose (ir/ops/conv_transpose.c) on f32, 1-D to 3-D, grouped, strided, dilated,
 * padded, with the interpreter's geometry (qcc_tconv_geom_read/_dim, the same functions). The
 * interpreter scatters: for each kernel tap in row-major order and each input position, the
 * f32 sum over the group's input channels (from 0) is added to the output position it reaches.
 * Each output element therefore receives its taps' sums in tap order; the kernel gathers them
 * in that order: y = 0, for each tap whose input position i = (o + pad - k * dilation) / stride
 * is whole and inside, y += sum_c w * x; then y += bias. */
#include <string.h>

#include "codegen/lower/lower.h"
#include "ir/op_registry.h"
#include "ir/ops/conv_transpose.h"

enum { MAX_SP = QCC_TCONV_MAX_SPATIAL };

typedef struct tconv_job {
  qcc_cg_tensor x, w, b, y;
  bool has_bias;
  int32_t nsp;
  int64_t cg, mg; /* input channels per group, output channels per group */
  int64_t kernel[MAX_SP], stride[MAX_SP], dil[MAX_SP], pad[MAX_SP];
  LLVMValueRef acc, sum;
  LLVMValueRef xidx[QCC_MAX_RANK], widx[QCC_MAX_RANK];
  LLVMValueRef oidx[QCC_MAX_RANK];
  LLVMValueRef c0; /* first input channel of the group */
} tconv_job;

static void emit_taps(qcc_cg *cg, tconv_job *j, int32_t d) {
  LLVMBuilderRef b = cg->b;
  if (d == j->nsp) {
    qcc_cg_set(cg, j->sum, qcc_cg_f32(cg, 0.0f));
    qcc_cg_loop lc = {0};
    LLVMValueRef c = qcc_cg_loop_n(cg, &lc, j->cg);
    j->widx[0] = LLVMBuildNSWAdd(b, j->c0, c, "");
    j->xidx[1] = j->widx[0];
    LLVMValueRef p =
        LLVMBuildFMul(b, qcc_cg_load(cg, &j->w, j->widx), qcc_cg_load(cg, &j->x, j->xidx), "");
    qcc_cg_set(cg, j->sum, LLVMBuildFAdd(b, qcc_cg_get(cg, cg->f32, j->sum), p, ""));
    qcc_cg_loop_end(cg, &lc);
    qcc_cg_set(
        cg, j->acc,
        LLVMBuildFAdd(b, qcc_cg_get(cg, cg->f32, j->acc), qcc_cg_get(cg, cg->f32, j->sum), ""));
    return;
  }
  qcc_cg_loop lk = {0};
  LLVMValueRef k = qcc_cg_loop_n(cg, &lk, j->kernel[d]);
  j->widx[2 + d] = k;
  /* t = o + pad - k * dilation; the tap reaches o from input t / stride. */
  LLVMValueRef t = LLVMBuildNSWAdd(b, j->oidx[2 + d], qcc_cg_i64(cg, j->pad[d]), "");
  t = LLVMBuildNSWSub(b, t, LLVMBuildNSWMul(b, k, qcc_cg_i64(cg, j->dil[d]), ""), "");
  LLVMValueRef s = qcc_cg_i64(cg, j->stride[d]);
  LLVMValueRef i = j->stride[d] == 1 ? t : LLVMBuildSDiv(b, t, s, "");
  LLVMValueRef ok = qcc_cg_in_range(cg, i, 0, j->x.dims[2 + d]);
  ok = LLVMBuildAnd(b, ok, LLVMBuildICmp(b, LLVMIntSGE, t, qcc_cg_i64(cg, 0), ""), "");
  if (j->stride[d] != 1)
    ok = LLVMBuildAnd(
        b, ok, LLVMBuildICmp(b, LLVMIntEQ, LLVMBuildSRem(b, t, s, ""), qcc_cg_i64(cg, 0), ""), "");
  j->xidx[2 + d] = i;
  qcc_cg_if in;
  qcc_cg_if_begin(cg, &in, ok);
  emit_taps(cg, j, d + 1);
  qcc_cg_if_end(cg, &in);
  qcc_cg_loop_end(cg, &lk);
}

static void emit_output(qcc_cg *cg, LLVMValueRef *idx, void *user) {
  tconv_job *j = user;
  LLVMBuilderRef b = cg->b;
  for (int32_t d = 0; d < j->y.rank; ++d)
    j->oidx[d] = idx[d];
  LLVMValueRef oc = idx[1];
  LLVMValueRef mg = qcc_cg_i64(cg, j->mg);
  LLVMValueRef grp = j->mg == 1 ? oc : LLVMBuildSDiv(b, oc, mg, "");
  j->widx[1] = j->mg == 1 ? qcc_cg_i64(cg, 0) : LLVMBuildSRem(b, oc, mg, "");
  j->c0 = LLVMBuildNSWMul(b, grp, qcc_cg_i64(cg, j->cg), "");
  j->xidx[0] = idx[0];
  qcc_cg_set(cg, j->acc, qcc_cg_f32(cg, 0.0f));
  emit_taps(cg, j, 0);
  LLVMValueRef v = qcc_cg_get(cg, cg->f32, j->acc);
  if (j->has_bias) {
    LLVMValueRef bi[1] = {oc};
    v = LLVMBuildFAdd(b, v, qcc_cg_load(cg, &j->b, bi), "");
  }
  qcc_cg_store(cg, &j->y, idx, v);
}

qcc_status qcc_lower_conv_transpose(qcc_lower_ctx *L) {
  const qcc_op *op = L->op;
  qcc_cg *cg = L->cg;
  tconv_job j;
  memset(&j, 0, sizeof j);
  qcc_lower_operand(L, 0, &j.x);
  qcc_lower_operand(L, 1, &j.w);
  j.has_bias = qcc_lower_operand(L, 2, &j.b);
  qcc_lower_result(L, 0, &j.y);
  if (j.x.elem != QCC_F32 || j.w.elem != QCC_F32 || (j.has_bias && j.b.elem != QCC_F32))
    return qcc_lower_error(L, "only f32 is supported");
  if (j.x.rank < 3 || j.x.rank > MAX_SP + 2 || j.w.rank != j.x.rank)
    return qcc_lower_error(L, "input and weights must have the same rank in [3, %d]", MAX_SP + 2);
  j.nsp = j.x.rank - 2;
  qcc_tconv_geom g;
  if (!qcc_tconv_geom_read(&g, op, j.nsp, j.w.dims + 2))
    return qcc_lower_error(L, "%s", g.w.err);
  int64_t c_in = j.x.dims[1];
  if (j.w.dims[0] != c_in || c_in % g.group != 0)
    return qcc_lower_error(L, "channels do not match the group");
  j.cg = c_in / g.group;
  j.mg = j.w.dims[1];
  if (j.y.dims[1] != j.mg * g.group)
    return qcc_lower_error(L, "the result's channels differ from the weights'");
  for (int32_t d = 0; d < j.nsp; ++d) {
    if (!qcc_tconv_geom_dim(&g, op, d, j.x.dims[2 + d]))
      return qcc_lower_error(L, "%s", g.w.err);
    if (g.out[d] != j.y.dims[2 + d])
      return qcc_lower_error(L, "the result's shape differs from the geometry's");
    j.kernel[d] = g.w.kernel[d];
    j.stride[d] = g.w.stride[d];
    j.dil[d] = g.w.dilation[d];
    j.pad[d] = g.pad_begin[d];
  }
  for (int32_t d = 0; d < j.y.rank; ++d)
    if (j.y.dims[d] == 0)
      return QCC_OK;
  j.acc = qcc_cg_var(cg, cg->f32, NULL);
  j.sum = qcc_cg_var(cg, cg->f32, NULL);
  qcc_cg_for_each_index(cg, j.y.rank, j.y.dims, j.y.strides, emit_output, &j);
  return QCC_OK;
}
