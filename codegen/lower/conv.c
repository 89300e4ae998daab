/* Conv and BatchNormalization (ir/ops/conv.c) on f32.
 *
 * Conv: 1-D to 3-D, grouped, strided, dilated, padded, with the interpreter's window
 * (qcc_conv_geom_read, qcc_window_expand3). The interpreter starts each output at the bias (0
 * without one) and adds w * x (f32, no fma) for the group's input channels in order, each
 * channel's kernel taps in row-major order, taps outside the input skipped; the kernel computes
 * each output element with the same sequence of additions. Operands are read at run time.
 * FusedConv (com.microsoft) is the same sum, then + Z and its activation (Relu), in registers.
 * Convs with constant weights and row-major 1-D or 2-D operands take conv_float.c's vector
 * kernel instead; this loop nest is the general fallback.
 *
 * BatchNormalization (inference): y = (x - mean) * inv * scale + bias with
 * inv = 1 / sqrtf(var + epsilon) (libm's sqrtf) per channel. */
#include <string.h>

#include "codegen/lower/lower.h"
#include "ir/op_registry.h"
#include "ir/ops/window.h"

enum { MAX_SP = 3 };

typedef struct fconv_job {
  qcc_cg_tensor x, w, b, y, z;
  bool has_bias, has_z, relu;
  int32_t nsp;
  int64_t cg, mg;
  int64_t kernel[MAX_SP], stride[MAX_SP], dil[MAX_SP], pad[MAX_SP];
  bool always_inside[MAX_SP];
  LLVMValueRef acc;
  LLVMValueRef xidx[QCC_MAX_RANK], widx[QCC_MAX_RANK], oidx[QCC_MAX_RANK];
} fconv_job;

static void conv_taps(qcc_cg *cg, fconv_job *j, int32_t d) {
  LLVMBuilderRef b = cg->b;
  if (d == j->nsp) {
    LLVMValueRef p =
        LLVMBuildFMul(b, qcc_cg_load(cg, &j->w, j->widx), qcc_cg_load(cg, &j->x, j->xidx), "");
    qcc_cg_set(cg, j->acc, LLVMBuildFAdd(b, qcc_cg_get(cg, cg->f32, j->acc), p, ""));
    return;
  }
  qcc_cg_loop lk = {0};
  LLVMValueRef k = qcc_cg_loop_n(cg, &lk, j->kernel[d]);
  j->widx[2 + d] = k;
  LLVMValueRef o = j->stride[d] == 1
                       ? j->oidx[2 + d]
                       : LLVMBuildNSWMul(b, j->oidx[2 + d], qcc_cg_i64(cg, j->stride[d]), "");
  LLVMValueRef off = j->dil[d] == 1 ? k : LLVMBuildNSWMul(b, k, qcc_cg_i64(cg, j->dil[d]), "");
  LLVMValueRef i = LLVMBuildNSWAdd(b, o, off, "");
  if (j->pad[d])
    i = LLVMBuildNSWSub(b, i, qcc_cg_i64(cg, j->pad[d]), "");
  j->xidx[2 + d] = i;
  if (j->always_inside[d]) {
    conv_taps(cg, j, d + 1);
  } else {
    qcc_cg_if in;
    qcc_cg_if_begin(cg, &in, qcc_cg_in_range(cg, i, 0, j->x.dims[2 + d]));
    conv_taps(cg, j, d + 1);
    qcc_cg_if_end(cg, &in);
  }
  qcc_cg_loop_end(cg, &lk);
}

static void conv_output(qcc_cg *cg, LLVMValueRef *idx, void *user) {
  fconv_job *j = user;
  LLVMBuilderRef b = cg->b;
  for (int32_t d = 0; d < j->y.rank; ++d)
    j->oidx[d] = idx[d];
  LLVMValueRef oc = idx[1];
  LLVMValueRef grp = j->mg == 1 ? oc : LLVMBuildSDiv(b, oc, qcc_cg_i64(cg, j->mg), "");
  LLVMValueRef c0 = LLVMBuildNSWMul(b, grp, qcc_cg_i64(cg, j->cg), "");
  j->xidx[0] = idx[0];
  j->widx[0] = oc;
  LLVMValueRef bi[1] = {oc};
  qcc_cg_set(cg, j->acc, j->has_bias ? qcc_cg_load(cg, &j->b, bi) : qcc_cg_f32(cg, 0.0f));
  qcc_cg_loop lc = {0};
  LLVMValueRef c = qcc_cg_loop_n(cg, &lc, j->cg);
  j->widx[1] = c;
  j->xidx[1] = LLVMBuildNSWAdd(b, c0, c, "");
  conv_taps(cg, j, 0);
  qcc_cg_loop_end(cg, &lc);
  LLVMValueRef a = qcc_cg_get(cg, cg->f32, j->acc);
  if (j->has_z)
    a = LLVMBuildFAdd(b, a, qcc_cg_load(cg, &j->z, idx), "");
  if (j->relu) {
    LLVMValueRef zero = qcc_cg_f32(cg, 0.0f);
    a = LLVMBuildSelect(b, LLVMBuildFCmp(b, LLVMRealOLT, a, zero, ""), zero, a, "");
  }
  qcc_cg_store(cg, &j->y, idx, a);
}

qcc_status qcc_lower_conv(qcc_lower_ctx *L) {
  const qcc_op *op = L->op;
  qcc_cg *cg = L->cg;
  bool done = false;
  qcc_status st = qcc_lower_conv_float(L, &done);
  if (st != QCC_OK || done)
    return st;
  fconv_job j;
  memset(&j, 0, sizeof j);
  if (qcc_op_is(op, QCC_OP_FusedConv)) {
    j.has_z = qcc_lower_operand(L, 3, &j.z);
    const char *act = qcc_op_attr_string(op, "activation");
    j.relu = strcmp(act, "Relu") == 0;
    if (!j.relu && act[0])
      return qcc_lower_error(L, "activation '%s' is not supported", act);
    if (j.has_z && j.z.elem != QCC_F32)
      return qcc_lower_error(L, "only f32 is supported");
  }
  qcc_lower_operand(L, 0, &j.x);
  qcc_lower_operand(L, 1, &j.w);
  j.has_bias = qcc_lower_operand(L, 2, &j.b);
  qcc_lower_result(L, 0, &j.y);
  if (j.x.elem != QCC_F32 || j.w.elem != QCC_F32 || (j.has_bias && j.b.elem != QCC_F32))
    return qcc_lower_error(L, "only f32 is supported");
  if (j.x.rank < 3 || j.x.rank > MAX_SP + 2 || j.w.rank != j.x.rank)
    return qcc_lower_error(L, "input and weights must have the same rank in [3, %d]", MAX_SP + 2);
  j.nsp = j.x.rank - 2;
  qcc_conv_geom geom;
  if (!qcc_conv_geom_read(&geom, op, &qcc_window_rules_float, j.nsp, j.w.dims + 2))
    return qcc_lower_error(L, "%s", geom.w.err);
  int64_t m = j.w.dims[0];
  j.cg = j.w.dims[1];
  if (m % geom.group != 0 || j.x.dims[1] != j.cg * geom.group)
    return qcc_lower_error(L, "channels do not match the group");
  j.mg = m / geom.group;
  qcc_window3 n3;
  int64_t out[MAX_SP];
  if (!qcc_window_expand3(&geom.w, &qcc_window_rules_float, j.x.dims + 2, false, &n3, out))
    return qcc_lower_error(L, "%s", geom.w.err);
  /* n3 right-aligns the spatial dims to 3. */
  int32_t shift = MAX_SP - j.nsp;
  for (int32_t d = 0; d < j.nsp; ++d) {
    if (out[d] != j.y.dims[2 + d])
      return qcc_lower_error(L, "the result's shape differs from the window's");
    int64_t in = j.x.dims[2 + d];
    j.kernel[d] = n3.kernel[d + shift];
    j.stride[d] = n3.stride[d + shift];
    j.dil[d] = n3.dilation[d + shift];
    j.pad[d] = n3.pad_begin[d + shift];
    int64_t o = out[d];
    j.always_inside[d] =
        j.pad[d] == 0 && (o == 0 || (o - 1) * j.stride[d] + (j.kernel[d] - 1) * j.dil[d] < in);
  }
  for (int32_t d = 0; d < j.y.rank; ++d)
    if (j.y.dims[d] == 0)
      return QCC_OK;
  j.acc = qcc_cg_var(cg, cg->f32, NULL);
  qcc_cg_for_each_index(cg, j.y.rank, j.y.dims, j.y.strides, conv_output, &j);
  return QCC_OK;
}

/* ---- BatchNormalization ---- */

typedef struct bn_job {
  qcc_cg_tensor x, y, p[5]; /* p[1..4]: scale, bias, mean, var */
  float eps;
} bn_job;

static LLVMValueRef call_sqrtf(qcc_cg *cg, LLVMValueRef v) {
  LLVMTypeRef ft = LLVMFunctionType(cg->f32, &cg->f32, 1, false);
  LLVMValueRef fn = LLVMGetNamedFunction(cg->mod, "sqrtf");
  if (!fn)
    fn = LLVMAddFunction(cg->mod, "sqrtf", ft);
  return LLVMBuildCall2(cg->b, ft, fn, &v, 1, "");
}

static void bn_element(qcc_cg *cg, LLVMValueRef *idx, void *user) {
  bn_job *j = user;
  LLVMBuilderRef b = cg->b;
  LLVMValueRef ci[1] = {idx[1]};
  LLVMValueRef var = qcc_cg_load(cg, &j->p[4], ci);
  LLVMValueRef inv =
      LLVMBuildFDiv(b, qcc_cg_f32(cg, 1.0f),
                    call_sqrtf(cg, LLVMBuildFAdd(b, var, qcc_cg_f32(cg, j->eps), "")), "");
  LLVMValueRef v = LLVMBuildFSub(b, qcc_cg_load(cg, &j->x, idx), qcc_cg_load(cg, &j->p[3], ci), "");
  v = LLVMBuildFMul(b, LLVMBuildFMul(b, v, inv, ""), qcc_cg_load(cg, &j->p[1], ci), "");
  v = LLVMBuildFAdd(b, v, qcc_cg_load(cg, &j->p[2], ci), "");
  qcc_cg_store(cg, &j->y, idx, v);
}

qcc_status qcc_lower_batch_norm(qcc_lower_ctx *L) {
  const qcc_op *op = L->op;
  bn_job j;
  memset(&j, 0, sizeof j);
  if (qcc_op_attr_int(op, "training_mode") != 0 || op->num_results != 1)
    return qcc_lower_error(L, "training mode is not supported");
  qcc_lower_operand(L, 0, &j.x);
  qcc_lower_result(L, 0, &j.y);
  if (j.x.elem != QCC_F32 || j.x.rank < 2)
    return qcc_lower_error(L, "only f32 inputs of rank >= 2 are supported");
  for (uint32_t i = 1; i < 5; ++i)
    if (!qcc_lower_operand(L, i, &j.p[i]) || j.p[i].elem != QCC_F32 || j.p[i].rank != 1 ||
        j.p[i].dims[0] != j.x.dims[1])
      return qcc_lower_error(L, "parameters must be 1-D f32 of %lld elements",
                             (long long)j.x.dims[1]);
  j.eps = qcc_op_attr_float(op, "epsilon");
  qcc_cg_for_each_index(L->cg, j.y.rank, j.y.dims, j.y.strides, bn_element, &j);
  return QCC_OK;
}
