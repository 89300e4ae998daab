#include "passes/dce.h"

#include "ir/graph_util.h"

static uint32_t count_ops(const qcc_graph *g) {
  uint32_t n = 0;
  qcc_graph_for_each_op(g, op)++ n;
  return n;
}

static qcc_status dce_run(qcc_graph *g, qcc_pass_ctx *ctx) {
  uint32_t before = count_ops(g);
  qcc_graph_erase_dead_ops(g);
  uint32_t after = count_ops(g);
  ctx->changed = after != before;
  qcc_pass_count(ctx, "dead ops erased", before - after);
  return QCC_OK;
}

const qcc_pass qcc_pass_dce = {
    .name = "dce",
    .summary = "erase ops whose results are unused",
    .run = dce_run,
};
