#include "passes/quant_report.h"

#include <stdlib.h>

#include "ir/graph_util.h"
#include "ir/op_registry.h"
#include "passes/graph_stats.h"
#include "passes/qdq_match.h"

static bool is_float(qcc_elem e) { return e == QCC_F32 || e == QCC_F16; }

/* True when the op's weights-like operand `i` is a float constant (not quantized). */
static bool float_const_operand(const qcc_op *op, uint32_t i) {
  const qcc_value *v = qcc_op_operand(op, i);
  const qcc_const *k = v ? qcc_value_const(v) : NULL;
  return k && is_float(k->type.elem);
}

static bool takes_weights(qcc_op_kind k) {
  return k == QCC_OP_Conv || k == QCC_OP_ConvTranspose || k == QCC_OP_MatMul || k == QCC_OP_Gemm;
}

/* True when the ConvTranspose's weights come through a DQ of something not constant. */
static bool dynamic_dq_weights(const qcc_op *op) {
  const qcc_op *dw = qcc_match_dq_operand(op, 1);
  return dw && !qcc_value_const(qcc_op_operand(dw, 0));
}

/* Why a float compute op inside the region did not fold, and what would make it fold. */
static void explain(const qcc_op *op, const char **why, const char **fix) {
  qcc_op_kind k = op->def->kind;
  const qcc_value *r = op->results[0];
  if (!qcc_op_operand(op, 0) || !qcc_match_dq_operand(op, 0)) {
    *why = "its input is float: the op before it has no QuantizeLinear/DequantizeLinear after it";
    *fix = "quantize the input (a Q/DQ pair between the producer and this op), or fold the "
           "producer so that its result is quantized";
  } else if (takes_weights(k) && float_const_operand(op, 1)) {
    *why = "its weights are float constants";
    *fix = "quantize the weights (a per-channel int8 Q/DQ on the weight initializer)";
  } else if (takes_weights(k) && !qcc_match_dq_operand(op, 1)) {
    *why = "its weights do not come through a DequantizeLinear";
    *fix = "give the weights a Q/DQ pair with constant parameters";
  } else if (k == QCC_OP_ConvTranspose && dynamic_dq_weights(op)) {
    *why = "its weights are not constants: fold-conv-transpose rearranges them at compile time";
    *fix = "make the weights a quantized initializer";
  } else if ((k == QCC_OP_Conv || k == QCC_OP_ConvTranspose || k == QCC_OP_Gemm) &&
             float_const_operand(op, 2)) {
    *why = "its bias is float and could not be quantized (alpha/beta other than 1, or scales "
           "that are not constant)";
    *fix = "give the bias an int32 DequantizeLinear with scale input_scale * weight_scale";
  } else if (qcc_value_is_graph_output(r)) {
    *why = "its result is a graph output in float";
    *fix = "quantize the output and dequantize it at the graph boundary";
  } else if (!qcc_match_single_q_consumer(op)) {
    *why = qcc_value_use_count(r) > 1 ? "its result has several consumers and is not quantized "
                                        "once for all of them"
                                      : "its result is not quantized (no QuantizeLinear after it)";
    *fix = "add a QuantizeLinear/DequantizeLinear pair after the op (TensorRT places one on every "
           "input of the next quantized op)";
  } else {
    *why = "its quantization parameters do not fit the integer op (e.g. per-axis on the wrong "
           "axis, or non-constant scales)";
    *fix = "use per-tensor activations and per-output-channel weights with constant parameters";
  }
}

/* reaches[v->id]: some path from value v leads into a QuantizeLinear (sweeping the ops from
 * the last: every consumer comes after its operands). NULL on OOM. */
static bool *reaches_quantizer(const qcc_graph *g) {
  bool *reaches = calloc(g->num_values + 1, sizeof *reaches);
  if (!reaches)
    return NULL;
  for (const qcc_op *op = g->last; op; op = op->prev)
    for (uint32_t r = 0; r < op->num_results; ++r) {
      const qcc_value *v = op->results[r];
      for (const qcc_use *u = v->first_use; u && !reaches[v->id]; u = u->next) {
        const qcc_op *user = u->user;
        reaches[v->id] = qcc_op_is(user, QCC_OP_QuantizeLinear);
        for (uint32_t k = 0; k < user->num_results && !reaches[v->id]; ++k)
          reaches[v->id] = reaches[user->results[k]->id];
      }
    }
  return reaches;
}

/* A Q or DQ left inside the region: a Q not fed by a graph input or a constant, a DQ (not of a
 * constant) whose result still leads into another quantizer; a DQ whose float result only
 * flows on to graph outputs is the region's exit. */
static bool qdq_in_middle(const qcc_op *op, const bool *reaches) {
  if (qcc_op_is(op, QCC_OP_QuantizeLinear)) {
    const qcc_value *x = qcc_op_operand(op, 0);
    return x && x->def && !qcc_op_is(x->def, QCC_OP_Constant);
  }
  if (!qcc_op_is(op, QCC_OP_DequantizeLinear))
    return false;
  const qcc_value *x = qcc_op_operand(op, 0);
  if (x && x->def && qcc_op_is(x->def, QCC_OP_Constant))
    return false; /* weights: folded with their op, or reported with it */
  return reaches[op->results[0]->id];
}

qcc_status qcc_report_quant(qcc_graph *g, qcc_diag *diag, bool as_errors, qcc_quant_report *out) {
  *out = (qcc_quant_report){0};
  uint32_t n = 0;
  bool *in = qcc_quant_region(g, &n);
  bool *reaches = reaches_quantizer(g);
  if ((!in && n) || !reaches) {
    free(in), free(reaches);
    return QCC_ERR_NOMEM;
  }
  void (*report)(qcc_diag *, qcc_loc, const char *, ...) =
      as_errors ? qcc_diag_error : qcc_diag_warning;
  uint32_t i = 0;
  qcc_graph_for_each_op(g, op) {
    bool inside = in[i++];
    if (inside && qcc_op_kind_is_compute(op->def->kind) && op->num_results &&
        is_float(op->results[0]->type.elem)) {
      const char *why, *fix;
      explain(op, &why, &fix);
      report(diag, op->loc, "float %s inside the quantized region%s: %s", op->def->name,
             as_errors ? " [-Werror=float-fallback]" : "", why);
      qcc_diag_note(diag, op->loc, "fix: %s", fix);
      ++out->float_ops;
    } else if (qdq_in_middle(op, reaches)) {
      bool is_q = qcc_op_is(op, QCC_OP_QuantizeLinear);
      const qcc_op *other = is_q ? qcc_op_operand(op, 0)->def : op->results[0]->first_use->user;
      report(diag, op->loc, "%s left between two ops%s: its %s (%s '%s') runs in float",
             op->def->name, as_errors ? " [-Werror=float-fallback]" : "",
             is_q ? "producer" : "consumer", other->def->name,
             other->name ? other->name : other->results[0]->name);
      qcc_diag_note(diag, op->loc, "fix: make that op fold (its own report says how)");
      ++out->qdq_ops;
    }
  }
  free(in), free(reaches);
  return as_errors && (out->float_ops || out->qdq_ops) ? QCC_ERR_INPUT : QCC_OK;
}
