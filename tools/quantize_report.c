/* `qcc quantize --report`: per-layer SQNR of the quantized model against the float model.
 *
 * Both graphs come from the same folded float graph, so a layer's output has one name in both.
 * Sample by sample, the float graph runs with an observer that copies the outputs of the
 * reported layers (one sample's worth of them), then the QDQ graph runs with an observer that
 * accumulates, per layer, sum f^2 and sum (f - q)^2 against those copies. A layer's SQNR is
 * 10 log10 of their ratio. Relative noise powers add (approximately) along the graph, so what a
 * layer adds itself is its noise/signal ratio minus that of its input (traced back through
 * Q/DQ, activations and pools to the nearest reported layers, the worst of an Add's operands,
 * 0 at a graph input): the layers adding the most are those --keep-float helps most. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ir/interp.h"
#include "tools/quantize_report.h"

typedef struct layer {
  const qcc_op *op;     /* in the QDQ graph */
  const char *out;      /* name of its output */
  qcc_tensor *ref;      /* the float output of the current sample */
  double signal, noise; /* accumulated */
  double sqnr, own;     /* SQNR (dB); relative noise power the layer adds */
} layer;

typedef struct report {
  layer *layers;
  uint32_t n;
  bool quant_pass;
  qcc_status st;
} report;

static bool reported(const qcc_op *op) {
  return (qcc_op_is(op, QCC_OP_Conv) || qcc_op_is(op, QCC_OP_Gemm) ||
          qcc_op_is(op, QCC_OP_MatMul)) &&
         op->num_operands >= 2 && op->operands[1].value && op->operands[1].value->def &&
         qcc_op_is(op->operands[1].value->def, QCC_OP_DequantizeLinear);
}

static layer *find(report *r, const char *name) {
  for (uint32_t i = 0; i < r->n; ++i)
    if (strcmp(r->layers[i].out, name) == 0)
      return &r->layers[i];
  return NULL;
}

/* noise/signal of value v of the QDQ graph (see the file comment); depth bounds the walk. */
static double upstream_ratio(report *r, const qcc_value *v, int depth) {
  if (!v || !v->def || depth > 64)
    return 0;
  layer *l = find(r, v->name);
  if (l)
    return l->signal > 0 ? l->noise / l->signal : 0;
  const qcc_op *d = v->def;
  if (qcc_op_is(d, QCC_OP_Add)) {
    double worst = 0;
    for (uint32_t i = 0; i < d->num_operands; ++i) {
      double x = upstream_ratio(r, d->operands[i].value, depth + 1);
      worst = x > worst ? x : worst;
    }
    return worst;
  }
  if (d->num_operands >= 1 && d->operands[0].value && d->operands[0].value->type.elem != QCC_F32 &&
      !qcc_op_is(d, QCC_OP_DequantizeLinear))
    return 0;
  return d->num_operands >= 1 ? upstream_ratio(r, d->operands[0].value, depth + 1) : 0;
}

static qcc_status observe(void *user, const qcc_value *v, const qcc_tensor *t) {
  report *r = user;
  layer *l = t->elem == QCC_F32 ? find(r, v->name) : NULL;
  if (!l)
    return QCC_OK;
  if (!r->quant_pass) {
    qcc_tensor_free(l->ref);
    l->ref = qcc_tensor_alloc(t->elem, t->rank, t->dims);
    if (!l->ref)
      return QCC_ERR_NOMEM;
    memcpy(l->ref->data, t->data, (size_t)t->numel * sizeof(float));
    return QCC_OK;
  }
  if (!l->ref || l->ref->numel != t->numel)
    return QCC_OK;
  const float *f = l->ref->data, *q = t->data;
  for (int64_t i = 0; i < t->numel; ++i) {
    double d = (double)f[i] - (double)q[i];
    l->signal += (double)f[i] * f[i];
    l->noise += d * d;
  }
  return QCC_OK;
}

static double sqnr_db(double signal, double noise) {
  return noise > 0 ? 10.0 * log10(signal / noise) : INFINITY;
}

static int by_sqnr(const void *a, const void *b) {
  double x = ((const layer *)a)->sqnr, y = ((const layer *)b)->sqnr;
  return x < y ? -1 : x > y ? 1 : 0;
}

static int by_own(const void *a, const void *b) {
  double x = (*(const layer *const *)a)->own, y = (*(const layer *const *)b)->own;
  return x > y ? -1 : x < y ? 1 : 0;
}

static void print_json_string(FILE *f, const char *s) {
  fputc('"', f);
  for (; *s; ++s)
    if (*s == '"' || *s == '\\')
      fprintf(f, "\\%c", *s);
    else if ((unsigned char)*s < 0x20)
      fprintf(f, "\\u%04x", *s);
    else
      fputc(*s, f);
  fputc('"', f);
}

static void print_number(FILE *f, double v) {
  if (isfinite(v))
    fprintf(f, "%.3f", v);
  else
    fputs("null", f);
}

qcc_status qcc_quantize_report(const qcc_graph *fg, const qcc_graph *qg, qcc_npy_reader **samples,
                               int64_t count, int64_t max_samples, const char *json_path,
                               qcc_diag *diag) {
  report r = {0};
  qcc_graph_for_each_op(qg, op) if (reported(op))++ r.n;
  r.layers = calloc(r.n ? r.n : 1, sizeof *r.layers);
  uint32_t ni = fg->num_inputs;
  qcc_tensor **in = calloc(ni + 1, sizeof *in);
  qcc_tensor **fout = calloc(fg->num_outputs + 1, sizeof *fout);
  qcc_tensor **qout = calloc(qg->num_outputs + 1, sizeof *qout);
  layer **order = calloc(r.n ? r.n : 1, sizeof *order);
  qcc_status st = r.layers && in && fout && qout && order ? QCC_OK : QCC_ERR_NOMEM;
  uint32_t k = 0;
  if (st == QCC_OK)
    qcc_graph_for_each_op(qg, op) if (reported(op)) {
      r.layers[k].op = op;
      r.layers[k++].out = op->results[0]->name;
    }
  int64_t n = count < max_samples ? count : max_samples;
  for (int64_t s = 0; s < n && st == QCC_OK; ++s) {
    for (uint32_t i = 0; i < ni && st == QCC_OK; ++i)
      st = qcc_npy_read_rows(samples[i], s, 1, diag, &in[i]);
    r.quant_pass = false;
    if (st == QCC_OK)
      st = qcc_interp_run_observed(fg, diag, (const qcc_tensor *const *)in, fout, observe, &r);
    r.quant_pass = true;
    if (st == QCC_OK)
      st = qcc_interp_run_observed(qg, diag, (const qcc_tensor *const *)in, qout, observe, &r);
    for (uint32_t i = 0; i < ni; ++i)
      qcc_tensor_free(in[i]), in[i] = NULL;
    for (uint32_t i = 0; i < fg->num_outputs; ++i)
      qcc_tensor_free(fout[i]), fout[i] = NULL;
    for (uint32_t i = 0; i < qg->num_outputs; ++i)
      qcc_tensor_free(qout[i]), qout[i] = NULL;
  }
  if (st == QCC_OK) {
    for (uint32_t i = 0; i < r.n; ++i)
      r.layers[i].sqnr = sqnr_db(r.layers[i].signal, r.layers[i].noise);
    for (uint32_t i = 0; i < r.n; ++i) {
      layer *l = &r.layers[i];
      double mine = l->signal > 0 ? l->noise / l->signal : 0;
      l->own = mine - upstream_ratio(&r, l->op->operands[0].value, 0);
      order[i] = l;
    }
    qsort(order, r.n, sizeof *order, by_own); /* `order` points into r.layers: sort a copy */
    layer *sorted = malloc((r.n ? r.n : 1) * sizeof *sorted);
    if (!sorted) {
      st = QCC_ERR_NOMEM;
    } else {
      memcpy(sorted, r.layers, r.n * sizeof *sorted);
      qsort(sorted, r.n, sizeof *sorted, by_sqnr);
      fprintf(stderr,
              "report: per-layer SQNR against the float model (%lld samples), worst first\n",
              (long long)n);
      for (uint32_t i = 0; i < r.n; ++i)
        fprintf(stderr, "report: %8.2f dB  %s %s\n", sorted[i].sqnr, sorted[i].op->def->name,
                sorted[i].op->name ? sorted[i].op->name : sorted[i].out);
      for (uint32_t i = 0; i < r.n && i < 3; ++i)
        fprintf(stderr,
                "report: --keep-float %s would help most (it adds %.2f%% relative noise power)\n",
                order[i]->op->name ? order[i]->op->name : order[i]->out, 100.0 * order[i]->own);
      free(sorted);
    }
  }
  if (st == QCC_OK && json_path) {
    FILE *f = fopen(json_path, "w");
    if (!f) {
      qcc_diag_error(diag, (qcc_loc){.file = json_path}, "cannot write the report");
      st = QCC_ERR_INPUT;
    } else {
      fprintf(f, "{\"samples\": %lld, \"layers\": [", (long long)n);
      for (uint32_t i = 0; i < r.n; ++i) {
        const layer *l = &r.layers[i];
        fprintf(f, "%s\n  {\"name\": ", i ? "," : "");
        print_json_string(f, l->op->name ? l->op->name : l->out);
        fprintf(f, ", \"op\": \"%s\", \"output\": ", l->op->def->name);
        print_json_string(f, l->out);
        fputs(", \"sqnr_db\": ", f);
        print_number(f, l->sqnr);
        fputs(", \"added_noise_ratio\": ", f);
        fprintf(f, "%.6g", l->own);
        fputc('}', f);
      }
      fputs("\n]}\n", f);
      if (fclose(f) != 0)
        st = QCC_ERR_INPUT;
    }
  }
  if (st == QCC_ERR_NOMEM)
    qcc_diag_error(diag, (qcc_loc){0}, "out of memory in the quantization report");
  for (uint32_t i = 0; r.layers && i < r.n; ++i)
    qcc_tensor_free(r.layers[i].ref);
  free(r.layers), free(in), free(fout), free(qout), free(order);
  return st;
}
