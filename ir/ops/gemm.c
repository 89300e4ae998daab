/* Gemm (Y = alpha * A' * B' + beta * C) and MatMul (numpy matmul: 1-D operands are promoted
 * to matrices and the promoted dim is dropped again; leading batch dims broadcast). f16 operands
 * are widened to f32 and the result rounded back (qcc_eval_f16_via_f32). */
#include "ir/ops/gemm.h"

#include "ir/ops/op_util.h"

#include <string.h>

/* ---- MatMul ---- */

static bool matmul_elem_supported(qcc_elem e) {
  return qcc_elem_is_float(e) || e == QCC_I32 || e == QCC_I64;
}

static qcc_status matmul_infer(qcc_infer_ctx *ctx) {
  qcc_type a = qcc_operand_type(ctx, 0), b = qcc_operand_type(ctx, 1);
  if (a.elem != b.elem)
    return qcc_infer_error(ctx, "operands must have the same element type (%s vs %s)",
                           qcc_elem_name(a.elem), qcc_elem_name(b.elem));
  if (!matmul_elem_supported(a.elem))
    return qcc_infer_error(ctx, "element type %s is not supported", qcc_elem_name(a.elem));
  if (a.rank < 0 || b.rank < 0)
    return qcc_infer_set(ctx, 0, a.elem, QCC_RANK_UNKNOWN, NULL);
  if (a.rank == 0 || b.rank == 0)
    return qcc_infer_error(ctx, "operands must have rank >= 1");
  qcc_dim k_a = a.dims[a.rank - 1];
  qcc_dim k_b = b.rank == 1 ? b.dims[0] : b.dims[b.rank - 2];
  if (k_a.size >= 0 && k_b.size >= 0 && k_a.size != k_b.size)
    return qcc_infer_error(ctx, "inner dimensions differ (%lld vs %lld)", (long long)k_a.size,
                           (long long)k_b.size);
  /* Batch dims: everything before the last two (none for 1-D or 2-D operands). */
  qcc_type batch[2] = {
      qcc_type_make(a.elem, a.rank > 2 ? a.rank - 2 : 0, a.dims),
      qcc_type_make(b.elem, b.rank > 2 ? b.rank - 2 : 0, b.dims),
  };
  qcc_dim dims[QCC_MAX_RANK + 2];
  int32_t rank;
  qcc_status st = qcc_infer_broadcast(ctx, batch, 2, dims, &rank);
  if (st != QCC_OK)
    return st;
  if (a.rank >= 2)
    dims[rank++] = a.dims[a.rank - 2];
  if (b.rank >= 2)
    dims[rank++] = b.dims[b.rank - 1];
  return qcc_infer_set(ctx, 0, a.elem, rank, dims);
}

/* Element strides of a batch operand inside the broadcast batch shape (0 where broadcast). */
static void batch_strides(const int64_t *dims, int32_t rank, int64_t matrix, int32_t out_rank,
                          int64_t *strides) {
  int64_t s = matrix;
  for (int32_t d = out_rank - 1; d >= 0; --d) {
    int32_t td = d - (out_rank - rank);
    if (td < 0) {
      strides[d] = 0;
      continue;
    }
    strides[d] = dims[td] == 1 ? 0 : s;
    s *= dims[td];
  }
}

static void matmul_f32(const float *a, const float *b, float *y, int64_t m, int64_t k, int64_t n) {
  for (int64_t i = 0; i < m; ++i) {
    float *row = y + i * n;
    for (int64_t j = 0; j < n; ++j)
      row[j] = 0.0f;
    for (int64_t p = 0; p < k; ++p) {
      float av = a[i * k + p];
      const float *brow = b + p * n;
      for (int64_t j = 0; j < n; ++j)
        row[j] += av * brow[j];
    }
  }
}

/* Integer matmul wraps around in 64 bits like numpy; the result narrows to the element type. */
static void matmul_int(const qcc_tensor *at, int64_t ao, const qcc_tensor *bt, int64_t bo,
                       qcc_tensor *yt, int64_t yo, int64_t m, int64_t k, int64_t n) {
  for (int64_t i = 0; i < m; ++i)
    for (int64_t j = 0; j < n; ++j) {
      uint64_t acc = 0;
      for (int64_t p = 0; p < k; ++p)
        acc += (uint64_t)qcc_tensor_get_i64(at, ao + i * k + p) *
               (uint64_t)qcc_tensor_get_i64(bt, bo + p * n + j);
      if (yt->elem == QCC_I32)
        ((int32_t *)yt->data)[yo + i * n + j] = (int32_t)(uint32_t)acc;
      else
        ((int64_t *)yt->data)[yo + i * n + j] = (int64_t)acc;
    }
}

static qcc_status matmul_eval(qcc_eval_ctx *ctx, const qcc_op *op, const qcc_tensor *const *in,
                              qcc_tensor **out) {
  (void)op;
  const qcc_tensor *a = in[0], *b = in[1];
  if (a->elem != b->elem || !matmul_elem_supported(a->elem))
    return qcc_eval_error(ctx, "unsupported operand element types %s and %s",
                          qcc_elem_name(a->elem), qcc_elem_name(b->elem));
  if (a->elem == QCC_F16)
    return qcc_eval_f16_via_f32(ctx, op, in, out, matmul_eval);
  if (a->rank == 0 || b->rank == 0)
    return qcc_eval_error(ctx, "operands must have rank >= 1");
  int64_t m = a->rank >= 2 ? a->dims[a->rank - 2] : 1;
  int64_t k = a->dims[a->rank - 1];
  int64_t kb = b->rank >= 2 ? b->dims[b->rank - 2] : b->dims[0];
  int64_t n = b->rank >= 2 ? b->dims[b->rank - 1] : 1;
  if (k != kb)
    return qcc_eval_error(ctx, "inner dimensions differ (%lld vs %lld)", (long long)k,
                          (long long)kb);
  int32_t ra = a->rank > 2 ? a->rank - 2 : 0, rb = b->rank > 2 ? b->rank - 2 : 0;
  int32_t rank = ra > rb ? ra : rb;
  int64_t dims[QCC_MAX_RANK + 2];
  for (int32_t d = 0; d < rank; ++d) {
    int32_t da = d - (rank - ra), db = d - (rank - rb);
    int64_t x = da >= 0 ? a->dims[da] : 1, z = db >= 0 ? b->dims[db] : 1;
    if (x != z && x != 1 && z != 1)
      return qcc_eval_error(ctx, "batch dimensions cannot be broadcast (%lld vs %lld)",
                            (long long)x, (long long)z);
    dims[d] = x == 1 ? z : x;
  }
  int32_t batch_rank = rank;
  if (a->rank >= 2)
    dims[rank++] = m;
  if (b->rank >= 2)
    dims[rank++] = n;
  if (rank > QCC_MAX_RANK)
    return qcc_eval_error(ctx, "result rank %d exceeds the supported maximum", (int)rank);
  qcc_tensor *y = qcc_eval_alloc(ctx, a->elem, rank, dims);
  if (!y)
    return QCC_ERR_INPUT;
  out[0] = y;
  if (y->numel == 0)
    return QCC_OK;
  int64_t sa[QCC_MAX_RANK], sb[QCC_MAX_RANK];
  batch_strides(a->dims, ra, m * k, batch_rank, sa);
  batch_strides(b->dims, rb, k * n, batch_rank, sb);
  int64_t batches = y->numel / (m * n);
  int64_t idx[QCC_MAX_RANK] = {0};
  for (int64_t bi = 0; bi < batches; ++bi) {
    int64_t ao = 0, bo = 0;
    for (int32_t d = 0; d < batch_rank; ++d) {
      ao += idx[d] * sa[d];
      bo += idx[d] * sb[d];
    }
    if (a->elem == QCC_F32)
      matmul_f32((const float *)a->data + ao, (const float *)b->data + bo,
                 (float *)y->data + bi * m * n, m, k, n);
    else
      matmul_int(a, ao, b, bo, y, bi * m * n, m, k, n);
    if (batch_rank > 0)
      qcc_index_next(idx, dims, batch_rank);
  }
  return QCC_OK;
}

const qcc_op_def qcc_op_def_MatMul = {
    .kind = QCC_OP_MatMul,
    QCC_OP_NAMES(MatMul),
    .min_operands = 2,
    .max_operands = 2,
    .min_results = 1,
    .max_results = 1,
    .attrs = QCC_NO_ATTRS,
    .infer = matmul_infer,
    .eval = matmul_eval,
};

/* ---- Gemm ---- */

qcc_gemm_params qcc_gemm_params_read(const qcc_op *op) {
  return (qcc_gemm_params){
      .trans_a = qcc_op_attr_int(op, "transA") != 0,
      .trans_b = qcc_op_attr_int(op, "transB") != 0,
      .alpha = qcc_op_attr_float(op, "alpha"),
      .beta = qcc_op_is(op, QCC_OP_Gemm) ? qcc_op_attr_float(op, "beta") : 1.0f,
  };
}

qcc_status qcc_infer_gemm_dims(qcc_infer_ctx *ctx, uint32_t a_i, uint32_t b_i,
                               const qcc_gemm_params *p, qcc_dim dims[2]) {
  qcc_type a = qcc_operand_type(ctx, a_i), b = qcc_operand_type(ctx, b_i);
  if ((a.rank >= 0 && a.rank != 2) || (b.rank >= 0 && b.rank != 2))
    return qcc_infer_error(ctx, "A and B must be 2-D");
  bool ta = p->trans_a, tb = p->trans_b;
  qcc_dim unknown = {.size = -1};
  qcc_dim m = a.rank == 2 ? a.dims[ta ? 1 : 0] : unknown;
  qcc_dim ka = a.rank == 2 ? a.dims[ta ? 0 : 1] : unknown;
  qcc_dim kb = b.rank == 2 ? b.dims[tb ? 1 : 0] : unknown;
  qcc_dim n = b.rank == 2 ? b.dims[tb ? 0 : 1] : unknown;
  if (ka.size >= 0 && kb.size >= 0 && ka.size != kb.size)
    return qcc_infer_error(ctx, "inner dimensions differ (%lld vs %lld)", (long long)ka.size,
                           (long long)kb.size);
  dims[0] = m;
  dims[1] = n;
  return QCC_OK;
}

bool qcc_gemm_c_shape(const qcc_tensor *c, int64_t m, int64_t n, int64_t *rows, int64_t *cols) {
  *cols = c->rank >= 1 ? c->dims[c->rank - 1] : 1;
  *rows = c->rank == 2 ? c->dims[0] : 1;
  return (*cols == 1 || *cols == n) && (*rows == 1 || *rows == m);
}

static qcc_status gemm_infer(qcc_infer_ctx *ctx) {
  const qcc_op *op = ctx->op;
  qcc_elem elem;
  qcc_status st = qcc_infer_float_elems(ctx, 3, &elem);
  if (st != QCC_OK)
    return st;
  qcc_gemm_params p = qcc_gemm_params_read(op);
  qcc_dim dims[2];
  st = qcc_infer_gemm_dims(ctx, 0, 1, &p, dims);
  if (st != QCC_OK)
    return st;
  if (qcc_has_operand(op, 2)) {
    qcc_type c = qcc_operand_type(ctx, 2);
    if (c.rank > 2)
      return qcc_infer_error(ctx, "C must have rank <= 2");
    for (int32_t d = 0; d < c.rank; ++d) {
      qcc_dim cd = c.dims[d], yd = dims[2 - c.rank + d];
      if (cd.size >= 0 && cd.size != 1 && yd.size >= 0 && cd.size != yd.size)
        return qcc_infer_error(ctx,
                               "C (dimension %d: %lld) cannot be broadcast to the result (%lld)",
                               (int)d, (long long)cd.size, (long long)yd.size);
      /* Unidirectional broadcast: a C dim other than 1 is the result's size. */
      if (cd.size > 1 && yd.size < 0)
        dims[2 - c.rank + d] = cd;
    }
  }
  return qcc_infer_set(ctx, 0, elem, 2, dims);
}

static qcc_status gemm_eval(qcc_eval_ctx *ctx, const qcc_op *op, const qcc_tensor *const *in,
                            qcc_tensor **out) {
  const qcc_tensor *a = in[0], *b = in[1];
  const qcc_tensor *c = op->num_operands > 2 ? in[2] : NULL;
  qcc_elem elem;
  qcc_status st = qcc_eval_float_elems(ctx, op, in, 3, &elem);
  if (st != QCC_OK)
    return st;
  if (elem == QCC_F16)
    return qcc_eval_f16_via_f32(ctx, op, in, out, gemm_eval);
  if (a->rank != 2 || b->rank != 2)
    return qcc_eval_error(ctx, "A and B must be 2-D");
  qcc_gemm_params prm = qcc_gemm_params_read(op);
  bool ta = prm.trans_a, tb = prm.trans_b;
  float alpha = prm.alpha, beta = prm.beta;
  int64_t m = a->dims[ta ? 1 : 0], k = a->dims[ta ? 0 : 1];
  int64_t kb = b->dims[tb ? 1 : 0], n = b->dims[tb ? 0 : 1];
  if (k != kb)
    return qcc_eval_error(ctx, "inner dimensions differ (%lld vs %lld)", (long long)k,
                          (long long)kb);
  int64_t c_rows = 1, c_cols = 1;
  if (c) {
    if (c->rank > 2)
      return qcc_eval_error(ctx, "C must have rank <= 2");
    if (!qcc_gemm_c_shape(c, m, n, &c_rows, &c_cols))
      return qcc_eval_error(ctx, "C cannot be broadcast to [%lld, %lld]", (long long)m,
                            (long long)n);
  }
  int64_t dims[2] = {m, n};
  qcc_tensor *y = qcc_eval_alloc(ctx, QCC_F32, 2, dims);
  if (!y)
    return QCC_ERR_INPUT;
  out[0] = y;
  const float *as = a->data, *bs = b->data, *cs = c ? c->data : NULL;
  float *ys = y->data;
  /* A'(i,p) and B'(p,j) through the transposition flags. */
  int64_t a_si = ta ? 1 : k, a_sp = ta ? m : 1;
  int64_t b_sp = tb ? 1 : n, b_sj = tb ? k : 1;
  for (int64_t i = 0; i < m; ++i) {
    for (int64_t j = 0; j < n; ++j) {
      double acc = 0.0;
      for (int64_t p = 0; p < k; ++p)
        acc += (double)as[i * a_si + p * a_sp] * (double)bs[p * b_sp + j * b_sj];
      double v = (double)alpha * acc;
      if (cs)
        v += (double)beta * (double)cs[(c_rows == 1 ? 0 : i) * c_cols + (c_cols == 1 ? 0 : j)];
      ys[i * n + j] = (float)v;
    }
  }
  return QCC_OK;
}

const qcc_op_def qcc_op_def_Gemm = {
    .kind = QCC_OP_Gemm,
    QCC_OP_NAMES(Gemm),
    .min_operands = 2,
    .max_operands = 3,
    .min_results = 1,
    .max_results = 1,
    .attrs = QCC_ATTRS(QCC_ATTR_F("alpha", 1.0f), QCC_ATTR_F("beta", 1.0f), QCC_ATTR_I("transA", 0),
                       QCC_ATTR_I("transB", 0)),
    .infer = gemm_infer,
    .eval = gemm_eval,
};
