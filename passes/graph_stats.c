#include "passes/graph_stats.h"

#include <stdlib.h>
#include <string.h>

#include "ir/graph_util.h"
#include "ir/op_registry.h"

bool qcc_op_kind_is_compute(qcc_op_kind k) {
  switch (k) {
  case QCC_OP_Constant:
  case QCC_OP_Identity:
  case QCC_OP_Relayout:
  case QCC_OP_QuantizeLinear:
  case QCC_OP_DequantizeLinear:
  case QCC_OP_Flatten:
  case QCC_OP_Reshape:
  case QCC_OP_Transpose:
  case QCC_OP_Concat:
  case QCC_OP_Split:
  case QCC_OP_Squeeze:
  case QCC_OP_Unsqueeze:
  case QCC_OP_Pad:
  case QCC_OP_Cast:
  case QCC_OP_Shape:
  case QCC_OP_ConstantOfShape:
  case QCC_OP_Slice:
  case QCC_OP_Gather:
  case QCC_OP_MaxPool: /* exact on quantized values: moves them, computes nothing */ return false;
  default: return true;
  }
}

static bool is_float(qcc_elem e) { return e == QCC_F32 || e == QCC_F16; }

bool *qcc_quant_region(qcc_graph *g, uint32_t *num_ops) {
  uint32_t nv = qcc_graph_renumber(g), no = qcc_graph_op_count(g);
  *num_ops = no;
  bool *from_dq = calloc(nv + 1, 1), *to_q = calloc(nv + 1, 1), *in = calloc(no + 1, 1);
  qcc_op **ops = calloc(no + 1, sizeof *ops);
  if (!from_dq || !to_q || !in || !ops) {
    free(from_dq), free(to_q), free(in), free(ops);
    return NULL;
  }
  uint32_t i = 0;
  qcc_graph_for_each_op(g, op) ops[i++] = op;
  /* Forward: values computed from a DequantizeLinear's result. */
  for (i = 0; i < no; ++i) {
    qcc_op *op = ops[i];
    bool from = qcc_op_is(op, QCC_OP_DequantizeLinear);
    for (uint32_t k = 0; k < op->num_operands && !from; ++k)
      from = op->operands[k].value && from_dq[op->operands[k].value->id];
    for (uint32_t r = 0; r < op->num_results; ++r)
      from_dq[op->results[r]->id] = from;
  }
  /* Backward: values that flow into a QuantizeLinear. */
  for (i = no; i-- > 0;) {
    qcc_op *op = ops[i];
    bool to = qcc_op_is(op, QCC_OP_QuantizeLinear);
    for (uint32_t r = 0; r < op->num_results && !to; ++r)
      to = to_q[op->results[r]->id];
    bool from = false;
    for (uint32_t k = 0; k < op->num_operands; ++k) {
      qcc_value *v = op->operands[k].value;
      if (v && to)
        to_q[v->id] = true;
      from = from || (v && from_dq[v->id]);
    }
    in[i] = from && to && !qcc_op_is(op, QCC_OP_QuantizeLinear);
  }
  free(from_dq), free(to_q), free(ops);
  return in;
}

qcc_status qcc_graph_stats_collect(qcc_graph *g, qcc_graph_stats *s) {
  memset(s, 0, sizeof *s);
  uint32_t no = 0;
  bool *in = qcc_quant_region(g, &no);
  if (!in)
    return no ? QCC_ERR_NOMEM : QCC_OK;
  uint32_t i = 0;
  qcc_graph_for_each_op(g, op) {
    qcc_op_kind k = op->def->kind;
    ++s->num_ops;
    ++s->by_kind[k];
    if (in[i] && qcc_op_kind_is_compute(k) && op->num_results &&
        is_float(op->results[0]->type.elem)) {
      ++s->float_in_region;
      ++s->float_in_region_by_kind[k];
    }
    ++i;
  }
  free(in);
  return QCC_OK;
}

static void print_kinds(FILE *out, const char *label, uint32_t total, const uint32_t *by_kind) {
  fprintf(out, "stats: %s: %u", label, total);
  const char *sep = " (";
  for (int k = 0; k < QCC_OP_COUNT; ++k) {
    if (!by_kind[k])
      continue;
    fprintf(out, "%s%s %u", sep, qcc_op_get((qcc_op_kind)k)->name, by_kind[k]);
    sep = ", ";
  }
  fputs(total ? ")\n" : "\n", out);
}

void qcc_graph_stats_print(FILE *out, const qcc_graph_stats *before, const qcc_graph_stats *after,
                           const qcc_pass_ctx *ctx) {
  print_kinds(out, "ops before", before->num_ops, before->by_kind);
  print_kinds(out, "ops after", after->num_ops, after->by_kind);
  uint32_t pairs_before =
      before->by_kind[QCC_OP_QuantizeLinear] + before->by_kind[QCC_OP_DequantizeLinear];
  uint32_t pairs_after =
      after->by_kind[QCC_OP_QuantizeLinear] + after->by_kind[QCC_OP_DequantizeLinear];
  fprintf(out, "stats: Q/DQ ops: %u before, %u after\n", pairs_before, pairs_after);
  for (uint32_t i = 0; ctx && i < ctx->num_counters; ++i)
    fprintf(out, "stats: %s: %s: %llu\n", ctx->counters[i].pass, ctx->counters[i].what,
            (unsigned long long)ctx->counters[i].value);
  print_kinds(out, "float compute ops inside the quantized region", after->float_in_region,
              after->float_in_region_by_kind);
}
