#include "passes/memory_plan.h"

#include <stdlib.h>

#include "ir/graph_util.h"
#include "ir/op_registry.h"

static uint64_t align_up(uint64_t n) {
  return (n + QCC_PLAN_ALIGN - 1) / QCC_PLAN_ALIGN * QCC_PLAN_ALIGN;
}

static int by_size_desc(const void *pa, const void *pb) {
  const qcc_planned_tensor *a = pa, *b = pb;
  if (a->size != b->size)
    return a->size > b->size ? -1 : 1;
  return a->first < b->first ? -1 : a->first > b->first; /* deterministic */
}

static bool overlap_in_time(const qcc_planned_tensor *a, const qcc_planned_tensor *b) {
  return a->first <= b->last && b->first <= a->last;
}

/* The lowest offset for `t` that no already placed tensor (placed[0..n)) overlapping it in time
 * covers. Candidates are 0 and the end of every such tensor. */
static uint64_t lowest_offset(const qcc_planned_tensor *t, qcc_planned_tensor *const *placed,
                              uint32_t n) {
  uint64_t best = UINT64_MAX;
  for (uint32_t c = 0; c <= n; ++c) {
    uint64_t off = c == n ? 0 : placed[c]->offset + placed[c]->size;
    if (c < n && !overlap_in_time(t, placed[c]))
      continue;
    if (off >= best)
      continue;
    bool fits = true;
    for (uint32_t k = 0; k < n && fits; ++k)
      fits = !overlap_in_time(t, placed[k]) || off + t->size <= placed[k]->offset ||
             placed[k]->offset + placed[k]->size <= off;
    if (fits)
      best = off;
  }
  return best;
}

/* The operand whose buffer `op`'s single result may share, and how; -1 when none. */
static int32_t shared_operand(const qcc_op *op, qcc_plan_share *how) {
  *how = QCC_PLAN_IN_PLACE;
  switch (op->def->kind) {
  case QCC_OP_Reshape:
  case QCC_OP_Flatten:
  case QCC_OP_Squeeze:
  case QCC_OP_Unsqueeze: *how = QCC_PLAN_ALIAS; return 0;
  case QCC_OP_Clip:
  case QCC_OP_Relu:
  case QCC_OP_LeakyRelu:
  case QCC_OP_Sigmoid:
  case QCC_OP_HardSigmoid:
  case QCC_OP_HardSwish:
  case QCC_OP_Tanh:
  case QCC_OP_Exp:
  case QCC_OP_QLinearSigmoid:
  case QCC_OP_QLinearLeakyRelu:
  case QCC_OP_QLinearLookup: return 0;
  case QCC_OP_Add:
  case QCC_OP_Sub:
  case QCC_OP_Mul:
  case QCC_OP_Div: return 0; /* or operand 1: see same_size below */
  case QCC_OP_QLinearAdd:
  case QCC_OP_QLinearMul: return 0;       /* or operand 3 */
  case QCC_OP_QLinearConvFused: return 9; /* the residual, read where the sum is written */
  default: return -1;
  }
}

/* The second candidate of a binary elementwise op. */
static int32_t other_operand(const qcc_op *op) {
  switch (op->def->kind) {
  case QCC_OP_Add:
  case QCC_OP_Sub:
  case QCC_OP_Mul:
  case QCC_OP_Div: return 1;
  case QCC_OP_QLinearAdd:
  case QCC_OP_QLinearMul: return 3;
  default: return -1;
  }
}

static bool same_bytes(const qcc_value *a, const qcc_value *b) {
  size_t na, nb;
  return qcc_type_nbytes(a->type, &na) && qcc_type_nbytes(b->type, &nb) && na == nb &&
         qcc_elem_size(a->type.elem) == qcc_elem_size(b->type.elem);
}

static uint32_t find(uint32_t *parent, uint32_t t) {
  while (parent[t] != t)
    t = parent[t] = parent[parent[t]];
  return t;
}

typedef struct planner {
  qcc_planned_tensor *ts;
  uint32_t *slot_of_value; /* value id -> tensor index + 1 (0: not planned) */
  uint32_t *parent;        /* tensor index -> buffer representative */
  uint32_t *buf_last;      /* representative -> last op of any member */
} planner;

/* Tries to put result `v` of `op` (op index i) into operand k's buffer. */
static bool try_share(planner *p, const qcc_op *op, int32_t k, qcc_plan_share how, uint32_t n) {
  const qcc_value *in = k >= 0 ? qcc_op_operand(op, (uint32_t)k) : NULL;
  const qcc_value *v = op->results[0];
  if (!in || !p->slot_of_value[in->id] || !same_bytes(in, v))
    return false;
  uint32_t root = find(p->parent, p->slot_of_value[in->id] - 1);
  uint32_t me = n; /* v's tensor index */
  if (how == QCC_PLAN_IN_PLACE) {
    /* Every tensor of the buffer must be dead after this op, and `in` read only once here. */
    uint32_t uses_here = 0;
    for (uint32_t j = 0; j < op->num_operands; ++j)
      uses_here += op->operands[j].value == in;
    if (p->buf_last[root] > p->ts[me].first || uses_here != 1)
      return false;
  }
  p->parent[me] = root;
  if (p->ts[me].last > p->buf_last[root])
    p->buf_last[root] = p->ts[me].last;
  p->ts[me].share = how;
  p->ts[me].of = in;
  return true;
}

qcc_status qcc_plan_memory(qcc_graph *g, qcc_memory_plan *plan) {
  *plan = (qcc_memory_plan){0};
  uint32_t nv = qcc_graph_renumber(g), no = qcc_graph_op_count(g);
  uint32_t *last = calloc(nv + 1, sizeof *last);
  planner p = {.ts = calloc(nv + 1, sizeof *p.ts),
               .slot_of_value = calloc(nv + 1, sizeof *p.slot_of_value),
               .parent = calloc(nv + 1, sizeof *p.parent),
               .buf_last = calloc(nv + 1, sizeof *p.buf_last)};
  qcc_planned_tensor *bufs = calloc(nv + 1, sizeof *bufs);
  qcc_planned_tensor **placed = calloc(nv + 1, sizeof *placed);
  uint64_t *live = calloc(no + 1, sizeof *live);
  uint64_t *offset_of_rep = calloc(nv + 1, sizeof *offset_of_rep); /* representative -> offset */
  qcc_status st = QCC_ERR_NOMEM;
  if (!last || !p.ts || !p.slot_of_value || !p.parent || !p.buf_last || !bufs || !placed || !live ||
      !offset_of_rep)
    goto done;
  uint32_t i = 0;
  qcc_graph_for_each_op(g, op) {
    for (uint32_t k = 0; k < op->num_operands; ++k)
      if (op->operands[k].value)
        last[op->operands[k].value->id] = i;
    ++i;
  }
  i = 0;
  uint32_t n = 0;
  qcc_graph_for_each_op(g, op) {
    for (uint32_t r = 0; r < op->num_results && !qcc_op_is(op, QCC_OP_Constant); ++r) {
      const qcc_value *v = op->results[r];
      size_t bytes;
      if (qcc_value_is_graph_output(v))
        continue;
      if (!qcc_type_nbytes(v->type, &bytes)) {
        ++plan->unplanned;
        continue;
      }
      uint32_t end = qcc_value_has_uses(v) ? last[v->id] : i;
      p.ts[n] = (qcc_planned_tensor){.value = v, .size = align_up(bytes), .first = i, .last = end};
      p.parent[n] = n;
      p.buf_last[n] = end;
      qcc_plan_share how;
      int32_t k = op->num_results == 1 ? shared_operand(op, &how) : -1;
      if (k >= 0 && !try_share(&p, op, k, how, n))
        try_share(&p, op, other_operand(op), how, n);
      p.slot_of_value[v->id] = ++n;
    }
    ++i;
  }
  /* One buffer per representative: the union of its members' live ranges. */
  uint32_t nb = 0;
  uint32_t *buf_of = p.buf_last; /* reused: representative -> buffer index */
  for (uint32_t t = 0; t < n; ++t) {
    if (find(p.parent, t) != t)
      continue;
    bufs[nb] = p.ts[t];
    bufs[nb].value = NULL;
    bufs[nb].offset = t; /* representative, until placed */
    buf_of[t] = nb++;
  }
  for (uint32_t t = 0; t < n; ++t) {
    qcc_planned_tensor *b = &bufs[buf_of[find(p.parent, t)]];
    b->first = p.ts[t].first < b->first ? p.ts[t].first : b->first;
    b->last = p.ts[t].last > b->last ? p.ts[t].last : b->last;
    b->size = p.ts[t].size > b->size ? p.ts[t].size : b->size;
  }
  for (uint32_t t = 0; t < nb; ++t)
    for (uint32_t s = bufs[t].first; s <= bufs[t].last; ++s)
      live[s] += bufs[t].size;
  for (uint32_t s = 0; s < no; ++s)
    plan->lower_bound_bytes = live[s] > plan->lower_bound_bytes ? live[s] : plan->lower_bound_bytes;
  qsort(bufs, nb, sizeof *bufs, by_size_desc);
  for (uint32_t t = 0; t < nb; ++t) {
    uint32_t rep = (uint32_t)bufs[t].offset;
    bufs[t].offset = lowest_offset(&bufs[t], placed, t);
    placed[t] = &bufs[t];
    offset_of_rep[rep] = bufs[t].offset;
    uint64_t end = bufs[t].offset + bufs[t].size;
    plan->arena_bytes = end > plan->arena_bytes ? end : plan->arena_bytes;
  }
  for (uint32_t t = 0; t < n; ++t)
    p.ts[t].offset = offset_of_rep[find(p.parent, t)];
  plan->tensors = p.ts;
  p.ts = NULL;
  plan->num_tensors = n;
  plan->num_buffers = nb;
  st = QCC_OK;
done:
  free(last), free(p.ts), free(p.slot_of_value), free(p.parent), free(p.buf_last), free(bufs);
  free(placed), free(live), free(offset_of_rep);
  return st;
}

void qcc_memory_plan_free(qcc_memory_plan *plan) {
  free(plan->tensors);
  *plan = (qcc_memory_plan){0};
}
