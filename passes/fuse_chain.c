#include "passes/fuse_chain.h"

#include <string.h>

#include "ir/graph_util.h"

qcc_attr *qcc_fuse_attrs(qcc_graph *g, const qcc_op *op, uint32_t extra) {
  qcc_attr *attrs = qcc_arena_alloc_array(g->arena, op->num_attrs + extra, sizeof *attrs);
  if (attrs && op->num_attrs)
    memcpy(attrs, op->attrs, op->num_attrs * sizeof *attrs);
  return attrs;
}

bool qcc_fuse_take_over(qcc_value *old, qcc_value *now, qcc_op *const *dead, size_t n) {
  const char *name = old->name;
  if (old->type.quant && old->type.elem == now->type.elem)
    now->type.quant = old->type.quant;
  qcc_value_replace_all_uses(old, now);
  for (size_t i = 0; i < n; ++i)
    if (dead[i])
      qcc_op_erase(dead[i]);
  return qcc_value_rename(now, name);
}

qcc_fuse_result qcc_fuse_chain(qcc_graph *g, const qcc_op_spec *spec, qcc_op *last,
                               qcc_op *const *chain, size_t n) {
  qcc_op *fused = qcc_op_create(g, spec, last);
  if (!fused)
    return QCC_FUSE_NOMEM;
  if (!qcc_op_reinfer_quietly(fused)) {
    qcc_op_erase(fused);
    return QCC_FUSE_SKIPPED;
  }
  return qcc_fuse_take_over(last->results[0], fused->results[0], chain, n) ? QCC_FUSE_DONE
                                                                           : QCC_FUSE_NOMEM;
}
