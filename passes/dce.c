#include "passes/dce.h"

#include "ir/graph_util.h"

static qcc_status dce_run(qcc_graph *g, qcc_pass_ctx *ctx) {
  uint32_t before = qcc_graph_op_count(g);
  qcc_graph_erase_dead_ops(g);
  uint32_t after = qcc_graph_op_count(g);
  ctx->changed = after != before;
  qcc_pass_count(ctx, "dead ops erased", before - after);
  return QCC_OK;
}

const qcc_pass qcc_pass_dce = {
    .name = "dce",
    .summary = "erase ops whose results are unused",
    .run = dce_run,
};
