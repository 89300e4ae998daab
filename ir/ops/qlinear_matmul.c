/* QLinearMatMul, MatMulInteger (numpy matmul broadcasting), com.microsoft QGemm and
 * DynamicQuantizeMatMul: exact
 * int32 accumulation of 8-bit operands minus their zero points (per tensor, per row of A,
 * per column of B), then ONNX Runtime's requantization (requant.h). */
#include "ir/ops/gemm.h"
#include "ir/ops/op_util.h"
#include "ir/ops/qoperand.h"
#include "ir/ops/requant.h"

#include <stdlib.h>
#include <string.h>

/* numpy matmul shape rule on static types with unknown dims. */
static qcc_status matmul_infer_shape(qcc_infer_ctx *ctx, uint32_t ai, uint32_t bi, qcc_elem out) {
  qcc_type a = qcc_operand_type(ctx, ai), b = qcc_operand_type(ctx, bi);
  if (a.rank < 0 || b.rank < 0)
    return qcc_infer_set(ctx, 0, out, QCC_RANK_UNKNOWN, NULL);
  if (a.rank < 1 || b.rank < 1)
    return qcc_infer_error(ctx, "matmul operands must have rank >= 1");
  qcc_dim ad[QCC_MAX_RANK], bd[QCC_MAX_RANK];
  int32_t ar = a.rank, br = b.rank;
  if (ar == 1) {
    ad[0] = (qcc_dim){.size = 1};
    ad[1] = a.dims[0];
    ar = 2;
  } else {
    memcpy(ad, a.dims, (size_t)ar * sizeof(qcc_dim));
  }
  if (br == 1) {
    bd[0] = b.dims[0];
    bd[1] = (qcc_dim){.size = 1};
    br = 2;
  } else {
    memcpy(bd, b.dims, (size_t)br * sizeof(qcc_dim));
  }
  qcc_dim ka = ad[ar - 1], kb = bd[br - 2];
  if (ka.size >= 0 && kb.size >= 0 && ka.size != kb.size)
    return qcc_infer_error(ctx, "inner dimensions differ (%lld vs %lld)", (long long)ka.size,
                           (long long)kb.size);
  qcc_type batch[2] = {qcc_type_make(a.elem, ar - 2, ad), qcc_type_make(b.elem, br - 2, bd)};
  qcc_dim dims[QCC_MAX_RANK + 2];
  int32_t rank;
  qcc_status st = qcc_infer_broadcast(ctx, batch, 2, dims, &rank);
  if (st != QCC_OK)
    return st;
  if (a.rank > 1)
    dims[rank++] = ad[ar - 2];
  if (b.rank > 1)
    dims[rank++] = bd[br - 1];
  return qcc_infer_set(ctx, 0, out, rank, dims);
}

/* ---- evaluation ---------------------------------------------------------------------------- */

/* A matmul operand seen as a batch of matrices: dims with 1-D promoted to a matrix. */
typedef struct mat_view {
  const qcc_tensor *t;
  int32_t rank; /* promoted rank >= 2 */
  int64_t dims[QCC_MAX_RANK + 1];
} mat_view;

static void mat_view_init(mat_view *v, const qcc_tensor *t, bool is_a) {
  v->t = t;
  if (t->rank == 1) {
    v->rank = 2;
    v->dims[0] = is_a ? 1 : t->dims[0];
    v->dims[1] = is_a ? t->dims[0] : 1;
  } else {
    v->rank = t->rank;
    memcpy(v->dims, t->dims, (size_t)t->rank * sizeof(int64_t));
  }
}

/* Linear batch index into dims[0..nb) (right-aligned against the output batch index,
 * broadcasting size-1 dims). */
static int64_t batch_index(const int64_t *dims, int32_t nb, const int64_t *out_idx,
                           int32_t out_nb) {
  int64_t off = 0;
  for (int32_t d = 0; d < nb; ++d) {
    int64_t i = dims[d] == 1 ? 0 : out_idx[d + out_nb - nb];
    off = off * dims[d] + i;
  }
  return off;
}

/* Where a quantization parameter of a matrix operand lives: one value, one per row (A) or
 * column (B) given as a 1-D tensor, or a tensor of the operand's rank with the other matrix
 * dim 1 and batch dims equal to the operand's or 1. */
typedef struct qparam_view {
  const qcc_tensor *p; /* NULL: absent (zero) */
  int kind;            /* 0 scalar, 1 per row/column, 2 batched */
  int64_t len;         /* rows/columns per batch */
} qparam_view;

static qcc_status qparam_view_init(qcc_eval_ctx *ctx, qparam_view *q, const qcc_tensor *p,
                                   const mat_view *m, bool per_row, const char *what) {
  q->p = p;
  q->kind = 0;
  q->len = per_row ? m->dims[m->rank - 2] : m->dims[m->rank - 1];
  if (!p || p->numel == 1)
    return QCC_OK;
  if (p->rank == 1 && p->dims[0] == q->len) {
    q->kind = 1;
    return QCC_OK;
  }
  if (p->rank == m->rank && m->rank == m->t->rank) {
    bool ok = per_row ? (p->dims[p->rank - 1] == 1 && p->dims[p->rank - 2] == q->len)
                      : (p->dims[p->rank - 2] == 1 && p->dims[p->rank - 1] == q->len);
    for (int32_t d = 0; ok && d < p->rank - 2; ++d)
      ok = p->dims[d] == 1 || p->dims[d] == m->dims[d];
    if (ok) {
      q->kind = 2;
      return QCC_OK;
    }
  }
  return qcc_eval_error(ctx, "%s must be a scalar or hold one value per %s", what,
                        per_row ? "row of A" : "column of B");
}

/* Index of the parameter for row/column `i` of batch `out_idx`. */
static int64_t qparam_index(const qparam_view *q, const int64_t *out_idx, int32_t out_nb,
                            int64_t i) {
  if (q->kind == 0)
    return 0;
  if (q->kind == 1)
    return i;
  return batch_index(q->p->dims, q->p->rank - 2, out_idx, out_nb) * q->len + i;
}

static int32_t qparam_int(const qparam_view *q, const int64_t *out_idx, int32_t out_nb, int64_t i) {
  return q->p ? (int32_t)qcc_tensor_get_i64(q->p, qparam_index(q, out_idx, out_nb, i)) : 0;
}

static float qparam_float(const qparam_view *q, const int64_t *out_idx, int32_t out_nb, int64_t i) {
  return (float)qcc_tensor_get_f64(q->p, qparam_index(q, out_idx, out_nb, i));
}

static qcc_status check_zp(qcc_eval_ctx *ctx, const qcc_tensor *zp, const qcc_tensor *like) {
  if (zp && zp->elem != like->elem)
    return qcc_eval_error(ctx, "zero point must have the element type of its operand");
  return QCC_OK;
}

/* Batched matmul of (a - a_zp) x (b - b_zp) into a fresh i32 tensor. The per-row/column
 * views are returned for the caller's requantization. */
typedef struct matmul_job {
  mat_view a, b;
  qparam_view a_zp, b_zp;
  int32_t out_rank, out_nb; /* output rank and number of output batch dims */
  int64_t out_dims[QCC_MAX_RANK], m, k, n, batches;
} matmul_job;

static qcc_status matmul_setup(qcc_eval_ctx *ctx, matmul_job *j, const qcc_tensor *a,
                               const qcc_tensor *b, const qcc_tensor *a_zp,
                               const qcc_tensor *b_zp) {
  if (!qcc_is_8bit(a->elem) || !qcc_is_8bit(b->elem))
    return qcc_eval_error(ctx, "matmul operands must be u8 or i8 tensors");
  if (a->rank < 1 || b->rank < 1)
    return qcc_eval_error(ctx, "matmul operands must have rank >= 1");
  qcc_status st;
  if ((st = check_zp(ctx, a_zp, a)) != QCC_OK || (st = check_zp(ctx, b_zp, b)) != QCC_OK)
    return st;
  mat_view_init(&j->a, a, true);
  mat_view_init(&j->b, b, false);
  j->m = j->a.dims[j->a.rank - 2];
  j->k = j->a.dims[j->a.rank - 1];
  j->n = j->b.dims[j->b.rank - 1];
  if (j->b.dims[j->b.rank - 2] != j->k)
    return qcc_eval_error(ctx, "inner dimensions differ (%lld vs %lld)", (long long)j->k,
                          (long long)j->b.dims[j->b.rank - 2]);
  int32_t na = j->a.rank - 2, nb = j->b.rank - 2;
  int32_t nbat = na > nb ? na : nb;
  j->batches = 1;
  for (int32_t d = 0; d < nbat; ++d) {
    int32_t da = d - (nbat - na), db = d - (nbat - nb);
    int64_t x = da >= 0 ? j->a.dims[da] : 1, y = db >= 0 ? j->b.dims[db] : 1;
    if (x != y && x != 1 && y != 1)
      return qcc_eval_error(ctx, "batch dimensions cannot be broadcast (%lld vs %lld)",
                            (long long)x, (long long)y);
    j->out_dims[d] = x == 1 ? y : x;
  }
  j->out_nb = nbat;
  j->out_rank = nbat;
  if (a->rank > 1)
    j->out_dims[j->out_rank++] = j->m;
  if (b->rank > 1)
    j->out_dims[j->out_rank++] = j->n;
  if (j->out_rank > QCC_MAX_RANK)
    return qcc_eval_error(ctx, "result rank exceeds %d", QCC_MAX_RANK);
  if (!qcc_shape_numel(j->out_dims, j->out_nb, &j->batches))
    return qcc_eval_error(ctx, "result shape overflows");
  if ((st = qparam_view_init(ctx, &j->a_zp, a_zp, &j->a, true, "a_zero_point")) != QCC_OK ||
      (st = qparam_view_init(ctx, &j->b_zp, b_zp, &j->b, false, "b_zero_point")) != QCC_OK)
    return st;
  return QCC_OK;
}

static int32_t *to_i32(const qcc_tensor *t) {
  int32_t *v = malloc((size_t)(t->numel ? t->numel : 1) * sizeof(int32_t));
  if (v)
    for (int64_t i = 0; i < t->numel; ++i)
      v[i] = (int32_t)qcc_tensor_get_i64(t, i);
  return v;
}

/* Fills acc (batches x m x n, already allocated) with the exact int32 products. */
static qcc_status matmul_run(qcc_eval_ctx *ctx, const matmul_job *j, int32_t *acc) {
  int32_t *av = to_i32(j->a.t), *bv = to_i32(j->b.t);
  int32_t *bzp = malloc((size_t)(j->n ? j->n : 1) * sizeof(int32_t));
  qcc_status st = QCC_OK;
  if (!av || !bv || !bzp) {
    st = qcc_eval_error(ctx, "out of memory");
    goto done;
  }
  int64_t idx[QCC_MAX_RANK] = {0};
  int32_t na = j->a.rank - 2, nb = j->b.rank - 2;
  for (int64_t bt = 0; bt < j->batches; ++bt) {
    const int32_t *ap = av + batch_index(j->a.dims, na, idx, j->out_nb) * j->m * j->k;
    const int32_t *bp = bv + batch_index(j->b.dims, nb, idx, j->out_nb) * j->k * j->n;
    int32_t *yp = acc + bt * j->m * j->n;
    for (int64_t c = 0; c < j->n; ++c)
      bzp[c] = qparam_int(&j->b_zp, idx, j->out_nb, c);
    for (int64_t r = 0; r < j->m; ++r) {
      int32_t azp = qparam_int(&j->a_zp, idx, j->out_nb, r);
      for (int64_t c = 0; c < j->n; ++c) {
        uint32_t sum = 0; /* wraps like the kernels' int32 accumulators */
        for (int64_t t = 0; t < j->k; ++t)
          sum += (uint32_t)((ap[r * j->k + t] - azp) * (bp[t * j->n + c] - bzp[c]));
        yp[r * j->n + c] = (int32_t)sum;
      }
    }
    qcc_index_next(idx, j->out_dims, j->out_nb);
  }
done:
  free(av);
  free(bv);
  free(bzp);
  return st;
}

/* ---- MatMulInteger --------------------------------------------------------------------------- */

static qcc_status matmul_integer_infer(qcc_infer_ctx *ctx) {
  qcc_status st;
  if ((st = qcc_infer_expect_8bit(ctx, 0, "A")) != QCC_OK ||
      (st = qcc_infer_expect_8bit(ctx, 1, "B")) != QCC_OK ||
      (st = qcc_infer_expect_zero_point(ctx, 2, 0, "a_zero_point")) != QCC_OK ||
      (st = qcc_infer_expect_zero_point(ctx, 3, 1, "b_zero_point")) != QCC_OK)
    return st;
  return matmul_infer_shape(ctx, 0, 1, QCC_I32);
}

static qcc_status matmul_integer_eval(qcc_eval_ctx *ctx, const qcc_op *op,
                                      const qcc_tensor *const *in, qcc_tensor **out) {
  matmul_job j;
  qcc_status st = matmul_setup(ctx, &j, in[0], in[1], qcc_has_operand(op, 2) ? in[2] : NULL,
                               qcc_has_operand(op, 3) ? in[3] : NULL);
  if (st != QCC_OK)
    return st;
  out[0] = qcc_eval_alloc(ctx, QCC_I32, j.out_rank, j.out_dims);
  if (!out[0])
    return QCC_ERR_INPUT;
  return matmul_run(ctx, &j, out[0]->data);
}

/* ---- QLinearMatMul -------------------------------------------------------------------------- */

/* Operands: a, a_scale, a_zero_point, b, b_scale, b_zero_point, y_scale, y_zero_point. */
static qcc_status qlinear_matmul_infer(qcc_infer_ctx *ctx) {
  static const char *const names[8] = {"a",       "a_scale",      "a_zero_point", "b",
                                       "b_scale", "b_zero_point", "y_scale",      "y_zero_point"};
  qcc_elem out;
  qcc_status st = qcc_infer_qlinear_operands(ctx, names, false, &out);
  if (st != QCC_OK)
    return st;
  return matmul_infer_shape(ctx, 0, 3, out);
}

static qcc_status scalar_param(qcc_eval_ctx *ctx, const qcc_tensor *t, bool is_float,
                               const char *what) {
  if (!t)
    return QCC_OK;
  if (t->numel != 1)
    return qcc_eval_error(ctx, "%s must be a scalar", what);
  if (is_float ? !qcc_elem_is_float(t->elem) : !qcc_is_8bit(t->elem))
    return qcc_eval_error(ctx, "%s has the wrong element type", what);
  return QCC_OK;
}

static qcc_status qlinear_matmul_eval(qcc_eval_ctx *ctx, const qcc_op *op,
                                      const qcc_tensor *const *in, qcc_tensor **out) {
  if (!qcc_has_operand(op, 1) || !qcc_has_operand(op, 3) || !qcc_has_operand(op, 4) ||
      !qcc_has_operand(op, 6))
    return qcc_eval_error(ctx, "a_scale, b, b_scale and y_scale are required");
  const qcc_tensor *y_zp_t = qcc_has_operand(op, 7) ? in[7] : NULL;
  qcc_status st;
  if ((st = scalar_param(ctx, in[1], true, "a_scale")) != QCC_OK ||
      (st = scalar_param(ctx, in[6], true, "y_scale")) != QCC_OK ||
      (st = scalar_param(ctx, y_zp_t, false, "y_zero_point")) != QCC_OK)
    return st;
  if (!qcc_elem_is_float(in[4]->elem))
    return qcc_eval_error(ctx, "b_scale must be a float tensor");
  matmul_job j;
  if ((st = matmul_setup(ctx, &j, in[0], in[3], qcc_has_operand(op, 2) ? in[2] : NULL,
                         qcc_has_operand(op, 5) ? in[5] : NULL)) != QCC_OK)
    return st;
  qparam_view b_scale;
  if ((st = qparam_view_init(ctx, &b_scale, in[4], &j.b, false, "b_scale")) != QCC_OK)
    return st;
  qcc_elem oe = y_zp_t ? y_zp_t->elem : QCC_U8;
  int32_t y_zp = y_zp_t ? (int32_t)qcc_tensor_get_i64(y_zp_t, 0) : 0;
  float a_scale = (float)qcc_tensor_get_f64(in[1], 0),
        y_scale = (float)qcc_tensor_get_f64(in[6], 0);
  qcc_qrange r = qcc_elem_qrange(oe);
  int64_t count;
  if (!qcc_shape_numel(j.out_dims, j.out_rank, &count))
    return qcc_eval_error(ctx, "result shape overflows");
  qcc_tensor *acc = qcc_eval_alloc(ctx, QCC_I32, j.out_rank, j.out_dims);
  if (!acc)
    return QCC_ERR_INPUT;
  if ((st = matmul_run(ctx, &j, acc->data)) != QCC_OK) {
    qcc_tensor_free(acc);
    return st;
  }
  out[0] = qcc_eval_alloc(ctx, oe, j.out_rank, j.out_dims);
  if (!out[0]) {
    qcc_tensor_free(acc);
    return QCC_ERR_INPUT;
  }
  const int32_t *av = acc->data;
  int64_t idx[QCC_MAX_RANK] = {0};
  for (int64_t bt = 0; bt < j.batches; ++bt) {
    for (int64_t c = 0; c < j.n; ++c) {
      float mult =
          qcc_requant_multiplier(a_scale, qparam_float(&b_scale, idx, j.out_nb, c), y_scale);
      for (int64_t rr = 0; rr < j.m; ++rr) {
        int64_t i = (bt * j.m + rr) * j.n + c;
        qcc_store_q(out[0], i, qcc_requantize(av[i], mult, y_zp, r));
      }
    }
    qcc_index_next(idx, j.out_dims, j.out_nb);
  }
  qcc_tensor_free(acc);
  return QCC_OK;
}

/* ---- com.microsoft QGemm ----------------------------------------------------------------------
 */

/* Operands: A, a_scale, a_zero_point, B, b_scale, b_zero_point, C, y_scale, y_zero_point.
 * Y = alpha * (A - a_zp)(B - b_zp) * a_scale * b_scale (+ C, an i32 bias in accumulator
 * units), requantized with y_scale/y_zero_point, or f32 when y_scale is absent. */
static qcc_elem qgemm_out_elem(const qcc_op *op, qcc_elem y_zp_elem) {
  if (qcc_has_operand(op, 8))
    return y_zp_elem;
  return qcc_has_operand(op, 7) ? QCC_U8 : QCC_F32;
}

static qcc_status qgemm_infer(qcc_infer_ctx *ctx) {
  static const uint32_t required[] = {0, 1, 3, 4};
  qcc_status st;
  if ((st = qcc_infer_require_operands(ctx, required, sizeof required / sizeof required[0])) !=
          QCC_OK ||
      (st = qcc_infer_expect_8bit(ctx, 0, "A")) != QCC_OK ||
      (st = qcc_infer_expect_8bit(ctx, 3, "B")) != QCC_OK ||
      (st = qcc_infer_expect_float(ctx, 1, "a_scale")) != QCC_OK ||
      (st = qcc_infer_expect_float(ctx, 4, "b_scale")) != QCC_OK ||
      (st = qcc_infer_expect_zero_point(ctx, 2, 0, "a_zero_point")) != QCC_OK ||
      (st = qcc_infer_expect_zero_point(ctx, 5, 3, "b_zero_point")) != QCC_OK)
    return st;
  if (qcc_has_operand(ctx->op, 6) && qcc_operand_type(ctx, 6).elem != QCC_I32)
    return qcc_infer_error(ctx, "C must be i32, not %s",
                           qcc_elem_name(qcc_operand_type(ctx, 6).elem));
  if (qcc_has_operand(ctx->op, 7) && (st = qcc_infer_expect_float(ctx, 7, "y_scale")) != QCC_OK)
    return st;
  qcc_elem y_zp_elem = QCC_U8;
  if (qcc_has_operand(ctx->op, 8)) {
    if (!qcc_has_operand(ctx->op, 7))
      return qcc_infer_error(ctx, "y_zero_point given without y_scale");
    if ((st = qcc_infer_expect_8bit(ctx, 8, "y_zero_point")) != QCC_OK)
      return st;
    y_zp_elem = qcc_operand_type(ctx, 8).elem;
  }
  qcc_elem oe = qgemm_out_elem(ctx->op, y_zp_elem);
  qcc_gemm_params p = qcc_gemm_params_read(ctx->op);
  qcc_dim dims[2];
  if ((st = qcc_infer_gemm_dims(ctx, 0, 3, &p, dims)) != QCC_OK)
    return st;
  return qcc_infer_set(ctx, 0, oe, 2, dims);
}

static qcc_status qgemm_eval(qcc_eval_ctx *ctx, const qcc_op *op, const qcc_tensor *const *in,
                             qcc_tensor **out) {
  if (!qcc_has_operand(op, 1) || !qcc_has_operand(op, 3) || !qcc_has_operand(op, 4))
    return qcc_eval_error(ctx, "a_scale, B and b_scale are required");
  const qcc_tensor *a = in[0], *b = in[3];
  const qcc_tensor *c_t = qcc_has_operand(op, 6) ? in[6] : NULL;
  const qcc_tensor *y_scale_t = qcc_has_operand(op, 7) ? in[7] : NULL;
  const qcc_tensor *y_zp_t = qcc_has_operand(op, 8) ? in[8] : NULL;
  const qcc_tensor *a_zp_t = qcc_has_operand(op, 2) ? in[2] : NULL;
  const qcc_tensor *b_zp_t = qcc_has_operand(op, 5) ? in[5] : NULL;
  qcc_status st;
  if ((st = scalar_param(ctx, in[1], true, "a_scale")) != QCC_OK ||
      (st = scalar_param(ctx, a_zp_t, false, "a_zero_point")) != QCC_OK ||
      (st = scalar_param(ctx, y_scale_t, true, "y_scale")) != QCC_OK ||
      (st = scalar_param(ctx, y_zp_t, false, "y_zero_point")) != QCC_OK)
    return st;
  if (!qcc_is_8bit(a->elem) || !qcc_is_8bit(b->elem) || a->rank != 2 || b->rank != 2)
    return qcc_eval_error(ctx, "A and B must be 2-D u8 or i8 tensors");
  if ((st = check_zp(ctx, a_zp_t, a)) != QCC_OK || (st = check_zp(ctx, b_zp_t, b)) != QCC_OK)
    return st;
  qcc_gemm_params p = qcc_gemm_params_read(op);
  bool ta = p.trans_a, tb = p.trans_b;
  int64_t m = a->dims[ta ? 1 : 0], k = a->dims[ta ? 0 : 1];
  int64_t n = b->dims[tb ? 0 : 1];
  if (b->dims[tb ? 1 : 0] != k)
    return qcc_eval_error(ctx, "inner dimensions differ (%lld vs %lld)", (long long)k,
                          (long long)b->dims[tb ? 1 : 0]);
  if (!qcc_elem_is_float(in[4]->elem) || in[4]->rank > 1 ||
      (in[4]->numel != 1 && in[4]->numel != n))
    return qcc_eval_error(ctx, "b_scale must be a float scalar or hold one value per column");
  if (b_zp_t && (b_zp_t->rank > 1 || (b_zp_t->numel != 1 && b_zp_t->numel != n)))
    return qcc_eval_error(ctx, "b_zero_point must be a scalar or hold one value per column");
  /* C broadcasts unidirectionally to [M, N]. */
  int64_t c_rows = 1, c_cols = 1;
  if (c_t) {
    if (c_t->elem != QCC_I32 || c_t->rank > 2)
      return qcc_eval_error(ctx, "C must be an i32 tensor of rank <= 2");
    if (!qcc_gemm_c_shape(c_t, m, n, &c_rows, &c_cols))
      return qcc_eval_error(ctx, "C cannot be broadcast to [%lld, %lld]", (long long)m,
                            (long long)n);
  }
  qcc_elem oe = qgemm_out_elem(op, y_zp_t ? y_zp_t->elem : QCC_U8);
  int64_t out_dims[2] = {m, n};
  out[0] = qcc_eval_alloc(ctx, oe, 2, out_dims);
  if (!out[0])
    return QCC_ERR_INPUT;
  int32_t *av = to_i32(a), *bv = to_i32(b);
  float *scale = malloc((size_t)(n ? n : 1) * sizeof(float));
  if (!av || !bv || !scale) {
    st = qcc_eval_error(ctx, "out of memory");
    goto done;
  }
  float alpha = p.alpha;
  float a_scale = (float)qcc_tensor_get_f64(in[1], 0);
  float y_scale = y_scale_t ? (float)qcc_tensor_get_f64(y_scale_t, 0) : 1.0f;
  for (int64_t j = 0; j < n; ++j) {
    /* (alpha * a_scale * b_scale[j]) [/ y_scale], left to right in float32. */
    float s = alpha * a_scale;
    s = s * (float)qcc_tensor_get_f64(in[4], in[4]->numel == 1 ? 0 : j);
    scale[j] = y_scale_t ? s / y_scale : s;
  }
  int32_t a_zp = a_zp_t ? (int32_t)qcc_tensor_get_i64(a_zp_t, 0) : 0;
  int32_t y_zp = y_zp_t ? (int32_t)qcc_tensor_get_i64(y_zp_t, 0) : 0;
  qcc_qrange r = qcc_elem_qrange(oe);
  for (int64_t i = 0; i < m; ++i)
    for (int64_t j = 0; j < n; ++j) {
      int32_t b_zp = b_zp_t ? (int32_t)qcc_tensor_get_i64(b_zp_t, b_zp_t->numel == 1 ? 0 : j) : 0;
      uint32_t sum = 0;
      for (int64_t t = 0; t < k; ++t) {
        int32_t x = av[ta ? t * m + i : i * k + t] - a_zp;
        int32_t w = bv[tb ? j * k + t : t * n + j] - b_zp;
        sum += (uint32_t)(x * w);
      }
      int32_t acc = (int32_t)sum;
      if (c_t)
        acc = qcc_add_wrap_i32(
            acc,
            ((const int32_t *)c_t->data)[(c_rows == 1 ? 0 : i) * c_cols + (c_cols == 1 ? 0 : j)]);
      if (oe == QCC_F32)
        ((float *)out[0]->data)[i * n + j] = (float)acc * scale[j];
      else
        qcc_store_q(out[0], i * n + j, qcc_requantize(acc, scale[j], y_zp, r));
    }
done:
  free(av);
  free(bv);
  free(scale);
  return st;
}

/* ---- com.microsoft DynamicQuantizeMatMul
 * --------------------------------------------------------- Operands: A (f32), B (8-bit), b_scale
 * (f32, scalar or per column), b_zero_point, bias (f32, per column). A is quantized to uint8 with
 * DynamicQuantizeLinear's parameters, multiplied exactly with B minus its zero points, and Y =
 * f32(f32(acc) * f32(a_scale * b_scale[c])) + bias[c]: the operations of the DynamicQuantizeLinear
 * -> MatMulInteger -> Cast -> Mul -> Add chain it replaces, in ONNX Runtime's order. */
static qcc_status dynamic_matmul_infer(qcc_infer_ctx *ctx) {
  qcc_type a = qcc_operand_type(ctx, 0);
  if (a.elem != QCC_F32)
    return qcc_infer_error(ctx, "A must be f32, not %s", qcc_elem_name(a.elem));
  qcc_status st;
  if ((st = qcc_infer_expect_8bit(ctx, 1, "B")) != QCC_OK ||
      (st = qcc_infer_expect_zero_point(ctx, 3, 1, "b_zero_point")) != QCC_OK)
    return st;
  if (!qcc_elem_is_float(qcc_operand_type(ctx, 2).elem))
    return qcc_infer_error(ctx, "b_scale must be f32");
  if (qcc_has_operand(ctx->op, 4) && qcc_operand_type(ctx, 4).elem != QCC_F32)
    return qcc_infer_error(ctx, "bias must be f32");
  return matmul_infer_shape(ctx, 0, 1, QCC_F32);
}

static qcc_status dynamic_matmul_eval(qcc_eval_ctx *ctx, const qcc_op *op,
                                      const qcc_tensor *const *in, qcc_tensor **out) {
  const qcc_tensor *a = in[0], *bias = qcc_has_operand(op, 4) ? in[4] : NULL;
  if (a->elem != QCC_F32 || !qcc_elem_is_float(in[2]->elem) || (bias && bias->elem != QCC_F32))
    return qcc_eval_error(ctx, "A, b_scale and bias must be f32");
  float a_scale;
  int32_t a_zp;
  qcc_dynamic_qparams_u8(a->data, a->numel, &a_scale, &a_zp);
  qcc_tensor *aq = qcc_eval_alloc(ctx, QCC_U8, a->rank, a->dims);
  qcc_tensor *azp = qcc_eval_alloc(ctx, QCC_U8, 0, NULL);
  qcc_tensor *acc = NULL;
  qcc_status st = QCC_ERR_INPUT;
  if (!aq || !azp)
    goto done;
  for (int64_t i = 0; i < a->numel; ++i)
    ((uint8_t *)aq->data)[i] =
        (uint8_t)qcc_quantize_value(((const float *)a->data)[i], a_scale, a_zp, qcc_qrange_u8());
  *(uint8_t *)azp->data = (uint8_t)a_zp;
  matmul_job j;
  qparam_view b_scale;
  if ((st = matmul_setup(ctx, &j, aq, in[1], azp, qcc_has_operand(op, 3) ? in[3] : NULL)) !=
          QCC_OK ||
      (st = qparam_view_init(ctx, &b_scale, in[2], &j.b, false, "b_scale")) != QCC_OK)
    goto done;
  if (bias && bias->numel != j.n && bias->numel != 1) {
    st = qcc_eval_error(ctx, "bias must hold one value per column of B");
    goto done;
  }
  st = QCC_ERR_INPUT;
  if (!(acc = qcc_eval_alloc(ctx, QCC_I32, j.out_rank, j.out_dims)) ||
      !(out[0] = qcc_eval_alloc(ctx, QCC_F32, j.out_rank, j.out_dims)))
    goto done;
  if ((st = matmul_run(ctx, &j, acc->data)) != QCC_OK)
    goto done;
  const int32_t *av = acc->data;
  float *y = out[0]->data;
  int64_t idx[QCC_MAX_RANK] = {0};
  for (int64_t bt = 0; bt < j.batches; ++bt) {
    for (int64_t c = 0; c < j.n; ++c) {
      float mult = a_scale * qparam_float(&b_scale, idx, j.out_nb, c);
      float b = bias ? ((const float *)bias->data)[bias->numel == 1 ? 0 : c] : 0.0f;
      for (int64_t r = 0; r < j.m; ++r) {
        int64_t i = (bt * j.m + r) * j.n + c;
        float v = (float)av[i] * mult;
        y[i] = bias ? v + b : v;
      }
    }
    qcc_index_next(idx, j.out_dims, j.out_nb);
  }
done:
  qcc_tensor_free(aq);
  qcc_tensor_free(azp);
  qcc_tensor_free(acc);
  return st;
}

const qcc_op_def qcc_op_def_QLinearMatMul = {
    .kind = QCC_OP_QLinearMatMul,
    QCC_OP_NAMES(QLinearMatMul),
    .min_operands = 1, /* the shape rule names the missing required operand */
    .max_operands = 8,
    .min_results = 1,
    .max_results = 1,
    .attrs = QCC_NO_ATTRS,
    .infer = qlinear_matmul_infer,
    .eval = qlinear_matmul_eval,
};

const qcc_op_def qcc_op_def_MatMulInteger = {
    .kind = QCC_OP_MatMulInteger,
    QCC_OP_NAMES(MatMulInteger),
    .min_operands = 2,
    .max_operands = 4,
    .min_results = 1,
    .max_results = 1,
    .attrs = QCC_NO_ATTRS,
    .infer = matmul_integer_infer,
    .eval = matmul_integer_eval,
};

const qcc_op_def qcc_op_def_QGemm = {
    .kind = QCC_OP_QGemm,
    QCC_OP_NAMES(QGemm),
    .min_operands = 1,
    .max_operands = 9,
    .min_results = 1,
    .max_results = 1,
    .attrs = QCC_ATTRS(QCC_ATTR_F("alpha", 1.0f), QCC_ATTR_I("transA", 0), QCC_ATTR_I("transB", 0)),
    .infer = qgemm_infer,
    .eval = qgemm_eval,
};

const qcc_op_def qcc_op_def_DynamicQuantizeMatMul = {
    .kind = QCC_OP_DynamicQuantizeMatMul,
    QCC_OP_NAMES(DynamicQuantizeMatMul),
    .min_operands = 3,
    .max_operands = 5,
    .min_results = 1,
    .max_results = 1,
    .attrs = QCC_NO_ATTRS,
    .infer = dynamic_matmul_infer,
    .eval = dynamic_matmul_eval,
};
