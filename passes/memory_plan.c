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

qcc_status qcc_plan_memory(qcc_graph *g, qcc_memory_plan *plan) {
  *plan = (qcc_memory_plan){0};
  uint32_t nv = qcc_graph_renumber(g), no = qcc_graph_op_count(g);
  uint32_t *last = calloc(nv + 1, sizeof *last);
  qcc_planned_tensor *ts = calloc(nv + 1, sizeof *ts);
  qcc_planned_tensor **placed = calloc(nv + 1, sizeof *placed);
  uint64_t *live = calloc(no + 1, sizeof *live);
  if (!last || !ts || !placed || !live) {
    free(last), free(ts), free(placed), free(live);
    return QCC_ERR_NOMEM;
  }
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
      ts[n++] = (qcc_planned_tensor){.value = v, .size = align_up(bytes), .first = i, .last = end};
    }
    ++i;
  }
  for (uint32_t t = 0; t < n; ++t)
    for (uint32_t s = ts[t].first; s <= ts[t].last; ++s)
      live[s] += ts[t].size;
  for (uint32_t s = 0; s < no; ++s)
    plan->lower_bound_bytes = live[s] > plan->lower_bound_bytes ? live[s] : plan->lower_bound_bytes;
  qsort(ts, n, sizeof *ts, by_size_desc);
  for (uint32_t t = 0; t < n; ++t) {
    ts[t].offset = lowest_offset(&ts[t], placed, t);
    placed[t] = &ts[t];
    uint64_t end = ts[t].offset + ts[t].size;
    plan->arena_bytes = end > plan->arena_bytes ? end : plan->arena_bytes;
  }
  plan->tensors = ts;
  plan->num_tensors = n;
  free(last), free(placed), free(live);
  return QCC_OK;
}

void qcc_memory_plan_free(qcc_memory_plan *plan) {
  free(plan->tensors);
  *plan = (qcc_memory_plan){0};
}
