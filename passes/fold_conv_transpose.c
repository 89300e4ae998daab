#include "passes/fold_conv_transpose.h"

#include <string.h>

#include "ir/graph_util.h"
#include "ir/op_registry.h"
#include "ir/ops/conv_transpose.h"
#include "passes/fuse_chain.h"
#include "passes/qdq_match.h"

enum { FT_OK, FT_SKIP, FT_NOMEM };
enum { MAX_SP = 3 };

/* The decomposition of one ConvTranspose. Spatial dims are stored right-aligned in MAX_SP
 * slots: the unused leading slots have size 1 (kernel, stride, dilation 1), so one loop serves
 * 1-D to 3-D. */
typedef struct plan {
  int32_t nsp;
  int64_t n, cin, cout, group, cig, cog, phases, m; /* m = cout * phases */
  int64_t k[MAX_SP], s[MAX_SP], d[MAX_SP], j[MAX_SP], in[MAX_SP], out[MAX_SP], pb[MAX_SP];
  int64_t len[MAX_SP];  /* the phase conv's output extent (positions per phase) */
  int64_t pend[MAX_SP]; /* its trailing padding */
} plan;

/* The constant f32 scales of a Q/DQ: *count of them. */
static const float *f32_values(const qcc_value *v, int64_t *count) {
  const qcc_const *k = qcc_value_const(v);
  if (!k || k->type.elem != QCC_F32 || !qcc_type_numel(k->type, count) || *count < 1)
    return NULL;
  return k->data;
}

/* The op whose result the ConvTranspose's Q reads: the ConvTranspose, or a Relu/Clip (constant
 * bounds) after it; *q gets that Q. */
static qcc_op *tail_of(qcc_op *ct, qcc_op **q) {
  qcc_value *r = ct->results[0];
  *q = qcc_match_single_q_consumer(ct);
  if (*q)
    return ct;
  if (qcc_value_use_count(r) != 1 || qcc_value_is_graph_output(r) || r->first_use->index != 0)
    return NULL;
  qcc_op *act = r->first_use->user;
  double lo, hi;
  if ((!qcc_op_is(act, QCC_OP_Relu) && !qcc_op_is(act, QCC_OP_Clip)) ||
      !qcc_clamp_const_bounds(act, &lo, &hi))
    return NULL;
  *q = qcc_match_single_q_consumer(act);
  return *q ? act : NULL;
}

static bool is_8bit(qcc_elem e) { return e == QCC_U8 || e == QCC_I8; }

/* Fills the geometry; false when the op does not fit the rule. */
static bool make_plan(const qcc_op *ct, const qcc_value *x, const qcc_value *w, plan *p) {
  int32_t rank = x->type.rank;
  if (rank < 3 || rank > 2 + MAX_SP || w->type.rank != rank)
    return false;
  int32_t nsp = rank - 2;
  int64_t kernel[QCC_TCONV_MAX_SPATIAL];
  for (int32_t i = 0; i < rank; ++i)
    if (w->type.dims[i].size < 1 || (i >= 1 && x->type.dims[i].size < 1))
      return false;
  for (int32_t d = 0; d < nsp; ++d)
    kernel[d] = w->type.dims[2 + d].size;
  qcc_tconv_geom geo;
  if (!qcc_tconv_geom_read(&geo, ct, nsp, kernel))
    return false;
  *p = (plan){.nsp = nsp,
              .n = x->type.dims[0].size,
              .cin = x->type.dims[1].size,
              .group = geo.group,
              .cog = w->type.dims[1].size,
              .phases = 1};
  if (p->cin != w->type.dims[0].size || p->cin % p->group != 0)
    return false;
  p->cig = p->cin / p->group;
  p->cout = p->cog * p->group;
  for (int32_t slot = 0; slot < MAX_SP; ++slot) {
    int32_t d = slot - (MAX_SP - nsp);
    if (d < 0) {
      p->k[slot] = p->s[slot] = p->d[slot] = p->j[slot] = p->in[slot] = p->out[slot] = 1;
      p->len[slot] = 1;
      continue;
    }
    if (!qcc_tconv_geom_dim(&geo, ct, d, x->type.dims[2 + d].size))
      return false;
    p->k[slot] = kernel[d];
    p->s[slot] = geo.w.stride[d];
    p->d[slot] = geo.w.dilation[d];
    p->in[slot] = x->type.dims[2 + d].size;
    p->out[slot] = geo.out[d];
    p->pb[slot] = geo.pad_begin[d];
    int64_t keff = (p->k[slot] - 1) * p->d[slot] + 1;
    p->j[slot] = (keff + p->s[slot] - 1) / p->s[slot];
    /* Positions q per phase so that q * s + r covers [0, pb + out). */
    int64_t need = (p->pb[slot] + p->out[slot] + p->s[slot] - 1) / p->s[slot];
    p->pend[slot] = need > p->in[slot] ? need - p->in[slot] : 0;
    p->len[slot] = p->in[slot] + p->pend[slot];
    if (p->s[slot] > 64 || p->j[slot] > 4096)
      return false;
    p->phases *= p->s[slot];
  }
  p->m = p->cout * p->phases;
  /* The rearranged weights (m x cig x prod(J) bytes) stay below 256 MiB. */
  double bytes =
      (double)p->m * (double)p->cig * (double)p->j[0] * (double)p->j[1] * (double)p->j[2];
  return p->m <= (int64_t)1 << 24 && bytes <= (double)((int64_t)1 << 28);
}

/* Source tap (row-major index into the kernel) of tap `jj` (row-major over J) of phase `ph`
 * (row-major over s), or -1 for a zero tap: per dim, r + (J - 1 - jj) s = t d. */
static int64_t source_tap(const plan *p, int64_t ph, int64_t jj) {
  int64_t src = 0, kstride = 1;
  for (int32_t slot = MAX_SP - 1; slot >= 0; --slot) {
    int64_t r = ph % p->s[slot], j = jj % p->j[slot];
    ph /= p->s[slot];
    jj /= p->j[slot];
    int64_t t = r + (p->j[slot] - 1 - j) * p->s[slot];
    if (t % p->d[slot] != 0 || t / p->d[slot] >= p->k[slot])
      return -1;
    src += t / p->d[slot] * kstride;
    kstride *= p->k[slot];
  }
  return src;
}

/* The integer weights w' [m, cig, j...]: output channel co * phases + ph takes, at each tap,
 * w[grp * cig + ci][co % cog][source tap], or the zero point of its channel. */
static void *rearrange(qcc_graph *g, const plan *p, const uint8_t *w, const uint8_t *zp,
                       bool zp_per_channel) {
  int64_t taps = 1, kk = 1;
  for (int32_t slot = 0; slot < MAX_SP; ++slot)
    taps *= p->j[slot], kk *= p->k[slot];
  uint8_t *out = qcc_arena_alloc(g->arena, (size_t)(p->m * p->cig * taps));
  if (!out)
    return NULL;
  for (int64_t co = 0; co < p->cout; ++co) {
    int64_t grp = co / p->cog, col = co % p->cog;
    uint8_t z = zp ? zp[zp_per_channel ? col : 0] : 0;
    for (int64_t ph = 0; ph < p->phases; ++ph)
      for (int64_t jj = 0; jj < taps; ++jj) {
        int64_t t = source_tap(p, ph, jj);
        for (int64_t ci = 0; ci < p->cig; ++ci) {
          const uint8_t *src = w + ((grp * p->cig + ci) * p->cog + col) * kk;
          out[((co * p->phases + ph) * p->cig + ci) * taps + jj] = t >= 0 ? src[t] : z;
        }
      }
  }
  return out;
}

/* per * reps values: position c holds value (c / reps) % stride of constant `v` (per-channel
 * parameters and bias values repeated per phase); a single parameter (`keep_single`) is kept as
 * is. */
static qcc_value *replicate(qcc_graph *g, qcc_value *v, int64_t per, int64_t reps, int64_t stride,
                            bool keep_single, qcc_op *before) {
  const qcc_const *k = qcc_value_const(v);
  int64_t n;
  if (!k || !qcc_type_numel(k->type, &n))
    return NULL;
  if (n == 1 && keep_single)
    return v;
  size_t size = qcc_elem_size(k->type.elem);
  int64_t count = per * reps;
  uint8_t *data = qcc_arena_alloc(g->arena, (size_t)count * size);
  if (!data)
    return NULL;
  for (int64_t c = 0; c < count; ++c)
    memcpy(data + (size_t)c * size, (const uint8_t *)k->data + (size_t)((c / reps) % stride) * size,
           size);
  int64_t dims[1] = {count};
  return qcc_build_const(g, NULL, k->type.elem, 1, dims, data, (size_t)count * size, before);
}

static qcc_attr ints_attr(qcc_graph *g, const char *name, const int64_t *v, uint32_t n) {
  int64_t *copy = qcc_arena_memdup(g->arena, v, n * sizeof(int64_t));
  return (qcc_attr){.name = name, .kind = QCC_ATTR_INTS, .ints = {copy, n}};
}

/* An op of `kind` on `operands`, typed by its shape rule, before `before`; NULL on OOM or
 * when the rule rejects it (then erased). */
static qcc_op *build(qcc_graph *g, qcc_op_kind kind, qcc_value *const *operands, uint32_t n,
                     const qcc_attr *attrs, uint32_t n_attrs, const qcc_op *node, qcc_op *before) {
  for (uint32_t i = 0; i < n_attrs; ++i)
    if (attrs[i].kind == QCC_ATTR_INTS && !attrs[i].ints.v)
      return NULL;
  qcc_op_spec spec = {.def = qcc_op_get(kind),
                      .node_name = node->name,
                      .loc = node->loc,
                      .num_operands = n,
                      .operands = operands,
                      .num_results = 1,
                      .num_attrs = n_attrs,
                      .attrs = attrs};
  qcc_op *op = qcc_op_create(g, &spec, before);
  if (op && !qcc_op_reinfer_quietly(op)) {
    qcc_op_erase(op);
    return NULL;
  }
  return op;
}

static qcc_value *i64_const(qcc_graph *g, const int64_t *v, int64_t n, qcc_op *before) {
  int64_t dims[1] = {n};
  return qcc_build_const(g, NULL, QCC_I64, 1, dims, v, (size_t)n * sizeof(int64_t), before);
}

/* The phase conv's weights and bias as DQs before `before`; false on OOM. */
static bool build_params(qcc_graph *g, const plan *p, qcc_op *dw, qcc_op *db, qcc_op *before,
                         qcc_value **w_out, qcc_value **b_out) {
  const qcc_const *wk = qcc_value_const(qcc_op_operand(dw, 0));
  qcc_value *wz = qcc_op_operand(dw, 2);
  int64_t ns = 0, nz = 0;
  f32_values(qcc_op_operand(dw, 1), &ns);
  const qcc_const *zk = wz ? qcc_value_const(wz) : NULL;
  if (zk)
    qcc_type_numel(zk->type, &nz);
  uint8_t *wq = rearrange(g, p, wk->data, zk ? zk->data : NULL, nz > 1);
  if (!wq)
    return false;
  int64_t wdims[2 + MAX_SP] = {p->m, p->cig};
  for (int32_t i = 0; i < p->nsp; ++i)
    wdims[2 + i] = p->j[MAX_SP - p->nsp + i];
  int64_t wn = p->m * p->cig * p->j[0] * p->j[1] * p->j[2];
  qcc_value *w = qcc_build_const(g, NULL, wk->type.elem, 2 + p->nsp, wdims, wq, (size_t)wn, before);
  qcc_value *s = replicate(g, qcc_op_operand(dw, 1), p->cout, p->phases, p->cog, true, before);
  qcc_value *z = wz ? replicate(g, wz, p->cout, p->phases, p->cog, true, before) : NULL;
  qcc_type wt;
  if (!w || !s || (wz && !z) || !qcc_type_make_static(g->arena, QCC_F32, 2 + p->nsp, wdims, &wt))
    return false;
  qcc_op *ndw =
      qcc_build_qdq(g, QCC_OP_DequantizeLinear, w, s, z, ns > 1 ? 0 : -1, wt, dw->loc, before);
  if (!ndw)
    return false;
  *w_out = ndw->results[0];
  *b_out = NULL;
  if (!db)
    return true;
  qcc_value *bz = qcc_op_operand(db, 2);
  qcc_value *b = replicate(g, qcc_op_operand(db, 0), p->cout, p->phases, p->cout, false, before);
  qcc_value *bs = replicate(g, qcc_op_operand(db, 1), p->cout, p->phases, p->cout, true, before);
  qcc_value *bzz = bz ? replicate(g, bz, p->cout, p->phases, p->cout, true, before) : NULL;
  int64_t bdims[1] = {p->m};
  qcc_type bt;
  int64_t nbs;
  if (!b || !bs || (bz && !bzz) || !qcc_type_make_static(g->arena, QCC_F32, 1, bdims, &bt) ||
      !f32_values(bs, &nbs))
    return false;
  qcc_op *ndb =
      qcc_build_qdq(g, QCC_OP_DequantizeLinear, b, bs, bzz, nbs > 1 ? 0 : -1, bt, db->loc, before);
  *b_out = ndb ? ndb->results[0] : NULL;
  return ndb != NULL;
}

/* True when the weights' DQ is constant 8-bit with parameters the rearrangement reads. */
static bool weights_ok(const qcc_op *dw, const plan *p) {
  const qcc_value *w = qcc_op_operand(dw, 0), *z = qcc_op_operand(dw, 2);
  const qcc_const *wk = qcc_value_const(w);
  int64_t ns, nz = 1;
  if (!wk || !is_8bit(wk->type.elem) || !f32_values(qcc_op_operand(dw, 1), &ns) ||
      !qcc_qdq_weight_axis_is(dw, 1))
    return false;
  if (z) {
    const qcc_const *zk = qcc_value_const(z);
    if (!zk || zk->type.elem != wk->type.elem || !qcc_type_numel(zk->type, &nz))
      return false;
  }
  return (nz == 1 || nz == ns) && (ns == 1 || ns == p->cog) &&
         wk->nbytes == (size_t)(p->cin * p->cog * p->k[0] * p->k[1] * p->k[2]);
}

/* True when the bias is an int32 DQ of constants, per tensor or one per output channel. */
static bool bias_ok(const qcc_op *db, const plan *p) {
  const qcc_const *bk = qcc_value_const(qcc_op_operand(db, 0));
  const qcc_value *z = qcc_op_operand(db, 2);
  int64_t nb, ns, nz = 1;
  if (!bk || bk->type.elem != QCC_I32 || !qcc_type_numel(bk->type, &nb) || nb != p->cout ||
      !f32_values(qcc_op_operand(db, 1), &ns) || (ns != 1 && ns != p->cout))
    return false;
  if (ns > 1 && qcc_op_attr_int(db, "axis") != 0 && qcc_op_attr_int(db, "axis") != -1)
    return false;
  if (z) {
    const qcc_const *zk = qcc_value_const(z);
    if (!zk || !qcc_type_numel(zk->type, &nz) || (nz != 1 && nz != ns))
      return false;
  }
  return true;
}

/* The integer data movement from the phase conv's quantized result `v` to the ConvTranspose's
 * output; NULL on OOM or a rejected shape. */
static qcc_value *interleave(qcc_graph *g, const plan *p, qcc_value *v, const qcc_op *node,
                             qcc_op *before) {
  int32_t nsp = p->nsp, off = MAX_SP - nsp;
  if (p->phases > 1) {
    int64_t shape1[2 + 2 * MAX_SP] = {p->n > 0 ? p->n : 0, p->cout}, perm[2 + 2 * MAX_SP] = {0, 1};
    int64_t shape2[2 + MAX_SP] = {p->n > 0 ? p->n : 0, p->cout};
    for (int32_t i = 0; i < nsp; ++i) {
      shape1[2 + i] = p->s[off + i];
      shape1[2 + nsp + i] = p->len[off + i];
      perm[2 + 2 * i] = 2 + nsp + i;
      perm[3 + 2 * i] = 2 + i;
      shape2[2 + i] = p->len[off + i] * p->s[off + i];
    }
    qcc_value *c1 = i64_const(g, shape1, 2 + 2 * nsp, before);
    qcc_value *ops1[2] = {v, c1};
    qcc_op *r1 = c1 ? build(g, QCC_OP_Reshape, ops1, 2, NULL, 0, node, before) : NULL;
    qcc_attr pa = ints_attr(g, "perm", perm, (uint32_t)(2 + 2 * nsp));
    qcc_op *t = r1 ? build(g, QCC_OP_Transpose, r1->results, 1, &pa, 1, node, before) : NULL;
    qcc_value *c2 = t ? i64_const(g, shape2, 2 + nsp, before) : NULL;
    qcc_value *ops2[2] = {t ? t->results[0] : NULL, c2};
    qcc_op *r2 = c2 ? build(g, QCC_OP_Reshape, ops2, 2, NULL, 0, node, before) : NULL;
    if (!r2)
      return NULL;
    v = r2->results[0];
  }
  bool crop = false;
  int64_t starts[MAX_SP], ends[MAX_SP], axes[MAX_SP];
  for (int32_t i = 0; i < nsp; ++i) {
    starts[i] = p->pb[off + i];
    ends[i] = p->pb[off + i] + p->out[off + i];
    axes[i] = 2 + i;
    crop |= starts[i] != 0 || ends[i] != p->len[off + i] * p->s[off + i];
  }
  if (!crop)
    return v;
  qcc_value *ops[4] = {v, i64_const(g, starts, nsp, before), i64_const(g, ends, nsp, before),
                       i64_const(g, axes, nsp, before)};
  if (!ops[1] || !ops[2] || !ops[3])
    return NULL;
  qcc_op *slice = build(g, QCC_OP_Slice, ops, 4, NULL, 0, node, before);
  return slice ? slice->results[0] : NULL;
}

static int fold(qcc_graph *g, qcc_op *ct) {
  qcc_op *dx = qcc_match_dq_operand(ct, 0), *dw = qcc_match_dq_operand(ct, 1), *q;
  qcc_op *db = qcc_op_operand(ct, 2) ? qcc_match_dq_operand(ct, 2) : NULL;
  qcc_op *tail = tail_of(ct, &q);
  double s;
  int64_t z;
  plan p;
  if (!dx || !dw || !tail || (qcc_op_operand(ct, 2) && !db) || !qcc_qdq_scalar_params(dx, &s, &z) ||
      !qcc_qdq_scalar_params(q, &s, &z) || !is_8bit(qcc_qdq_int_elem(dx)) ||
      qcc_qdq_int_elem(q) != qcc_qdq_int_elem(dx) ||
      !make_plan(ct, qcc_op_operand(ct, 0), qcc_op_operand(dw, 0), &p) || !weights_ok(dw, &p) ||
      (db && !bias_ok(db, &p)))
    return FT_SKIP;
  qcc_value *w, *b;
  if (!build_params(g, &p, dw, db, ct, &w, &b))
    return FT_NOMEM;
  int64_t kernel[MAX_SP], pads[2 * MAX_SP];
  for (int32_t i = 0; i < p.nsp; ++i) {
    int32_t slot = MAX_SP - p.nsp + i;
    kernel[i] = p.j[slot];
    pads[i] = p.j[slot] - 1;
    pads[p.nsp + i] = p.pend[slot];
  }
  qcc_attr attrs[3] = {ints_attr(g, "kernel_shape", kernel, (uint32_t)p.nsp),
                       ints_attr(g, "pads", pads, (uint32_t)(2 * p.nsp)),
                       {.name = "group", .kind = QCC_ATTR_INT, .i = p.group}};
  qcc_value *ops[3] = {dx->results[0], w, b};
  qcc_op *conv = build(g, QCC_OP_Conv, ops, b ? 3 : 2, attrs, p.group > 1 ? 3 : 2, ct, ct);
  if (!conv)
    return attrs[0].ints.v && attrs[1].ints.v ? FT_SKIP : FT_NOMEM;
  qcc_value *pre = conv->results[0];
  if (tail != ct) {
    qcc_op_set_operand(tail, 0, pre);
    if (!qcc_op_reinfer_quietly(tail)) {
      qcc_op_set_operand(tail, 0, ct->results[0]);
      qcc_op_reinfer_quietly(tail);
      return FT_SKIP;
    }
    pre = tail->results[0];
  }
  qcc_type qt = pre->type;
  qt.elem = q->results[0]->type.elem;
  qcc_op *q1 = qcc_build_qdq(g, QCC_OP_QuantizeLinear, pre, qcc_op_operand(q, 1),
                             qcc_op_operand(q, 2), -1, qt, q->loc, q);
  if (!q1)
    return FT_NOMEM;
  q1->name = q->name;
  qcc_value *y = interleave(g, &p, q1->results[0], ct, q);
  if (!y)
    return FT_NOMEM;
  if (!qcc_fuse_take_over(q->results[0], y, &q, 1))
    return FT_NOMEM;
  if (!qcc_value_has_uses(ct->results[0]))
    qcc_op_erase(ct);
  return FT_OK;
}

static qcc_status fold_conv_transpose_run(qcc_graph *g, qcc_pass_ctx *ctx) {
  uint64_t done = 0;
  for (qcc_op *op = g->first, *next; op; op = next) {
    next = op->next;
    if (!qcc_op_is(op, QCC_OP_ConvTranspose) || op->num_results != 1)
      continue;
    /* A fold erases the op and its Q (which `next` may be): resume after the op's predecessor,
     * which no fold removes (the ops it adds are no candidates). */
    qcc_op *prev = op->prev;
    qcc_loc loc = op->loc;
    int r = fold(g, op);
    if (r == FT_NOMEM) {
      qcc_diag_error(ctx->diag, loc, "out of memory");
      return QCC_ERR_NOMEM;
    }
    if (r == FT_OK) {
      next = prev ? prev->next : g->first;
      ++done;
    }
  }
  qcc_graph_erase_dead_ops(g);
  qcc_pass_count(ctx, "quantized ConvTranspose decomposed into phase convolutions", done);
  ctx->changed = done > 0;
  return QCC_OK;
}

const qcc_pass qcc_pass_fold_conv_transpose = {
    .name = "fold-conv-transpose",
    .summary = "DQ -> ConvTranspose -> Q as one stride-1 Conv over all output phases, then "
               "integer Reshape/Transpose/Slice",
    .run = fold_conv_transpose_run,
};
