/* The driver's pass flags (-O, --passes, instrumentation, --dim), shared by `qcc` and `qcc run`. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "ir/graph_util.h"
#include "ir/op_registry.h"
#include "passes/graph_stats.h"
#include "passes/memory_plan.h"
#include "passes/pair_bound.h"
#include "passes/quant_report.h"
#include "passes/residual_quant.h"
#include "tools/driver.h"

static const char *flag_value(const char *arg, const char *flag) {
  size_t n = strlen(flag);
  return strncmp(arg, flag, n) == 0 && arg[n] == '=' ? arg + n + 1 : NULL;
}

static bool set_pipeline(qcc_pass_flags *f, const char *spec, const char *what) {
  char err[256];
  if (!qcc_pipeline_parse(spec, &f->pipeline, err, sizeof err)) {
    qcc_driver_usage_error("%s: %s", what, err);
    return false;
  }
  f->pipeline_set = true;
  return true;
}

static bool known_pass(const char *name, const char *flag) {
  if (qcc_pass_lookup(name, strlen(name)))
    return true;
  qcc_driver_usage_error("%s: unknown pass '%s'", flag, name);
  return false;
}

/* "NAME=VALUE" with VALUE a non-negative decimal integer. */
static bool add_dim(qcc_pass_flags *f, const char *spec) {
  const char *eq = strchr(spec, '=');
  if (!eq || eq == spec || (size_t)(eq - spec) >= QCC_SHAPE_NAME_MAX || eq[1] < '0' ||
      eq[1] > '9') {
    qcc_driver_usage_error("bad --dim '%s' (expected NAME=VALUE, VALUE a non-negative integer)",
                           spec);
    return false;
  }
  errno = 0;
  char *end;
  long long size = strtoll(eq + 1, &end, 10);
  if (errno || *end != '\0') {
    qcc_driver_usage_error("bad --dim '%s' (expected NAME=VALUE, VALUE a non-negative integer)",
                           spec);
    return false;
  }
  size_t len = (size_t)(eq - spec);
  for (uint32_t k = 0; k < f->num_dims; ++k) {
    qcc_dim_binding *b = &f->dims[k];
    if (strlen(b->name) == len && memcmp(b->name, spec, len) == 0) {
      if (b->size == size)
        return true;
      qcc_driver_usage_error("--dim %s: '%s' is already bound to %lld", spec, b->name,
                             (long long)b->size);
      return false;
    }
  }
  if (f->num_dims == QCC_MAX_DIM_BINDINGS) {
    qcc_driver_usage_error("more than %d --dim bindings", QCC_MAX_DIM_BINDINGS);
    return false;
  }
  qcc_dim_binding *b = &f->dims[f->num_dims++];
  memcpy(b->name, spec, len);
  b->name[len] = '\0';
  b->size = size;
  return true;
}

int qcc_pass_flags_parse(qcc_pass_flags *f, int argc, char **argv, int *i) {
  const char *a = argv[*i], *v;
  if (strcmp(a, "--dim") == 0) {
    if (*i + 1 == argc) {
      qcc_driver_usage_error("--dim needs NAME=VALUE");
      return -1;
    }
    return add_dim(f, argv[++*i]) ? 1 : -1;
  }
  if ((v = flag_value(a, "--dim")))
    return add_dim(f, v) ? 1 : -1;
  if (a[0] == '-' && a[1] == 'O' && a[2] >= '0' && a[2] <= '3' && a[3] == '\0') {
    f->opt_level = a[2] - '0';
    return set_pipeline(f, qcc_pipeline_spec_for_level(f->opt_level), a) ? 1 : -1;
  }
  if ((v = flag_value(a, "--passes")))
    return set_pipeline(f, v, "--passes") ? 1 : -1;
  if (strcmp(a, "--qdq-fusion") == 0)
    return set_pipeline(f, qcc_pipeline_spec_ort, a) ? 1 : -1;
  if ((v = flag_value(a, "--print-before"))) {
    f->options.print_before = v;
    return known_pass(v, "--print-before") ? 1 : -1;
  }
  if ((v = flag_value(a, "--print-after"))) {
    f->options.print_after = v;
    return known_pass(v, "--print-after") ? 1 : -1;
  }
  if (strcmp(a, "--print-after-all") == 0)
    f->options.print_after_all = true;
  else if (strcmp(a, "--verify-each") == 0)
    f->options.verify_each = true;
  else if (strcmp(a, "--time-passes") == 0)
    f->options.time_passes = true;
  else if (strcmp(a, "--stats") == 0)
    f->stats = true;
  else if (strcmp(a, "--no-residual-quant") == 0)
    f->no_residual_quant = true;
  else if (strcmp(a, "--print-memory-plan") == 0)
    f->print_plan = true;
  else if (strcmp(a, "--report=quant") == 0)
    f->report_quant = true;
  else if (strcmp(a, "-Werror=float-fallback") == 0)
    f->werror_float = true;
  else if ((v = flag_value(a, "--report"))) {
    qcc_driver_usage_error("unknown report '%s' (expected --report=quant)", v);
    return -1;
  } else
    return 0;
  return 1;
}

/* The --dim bindings, in the order given; each must name a symbolic dim of the graph. */
static qcc_status bind_dims(qcc_graph *g, const qcc_pass_flags *f, qcc_diag *diag) {
  for (uint32_t k = 0; k < f->num_dims; ++k) {
    const qcc_dim_binding *b = &f->dims[k];
    if (!qcc_graph_has_dim_symbol(g, b->name)) {
      qcc_driver_usage_error("--dim %s=%lld: the graph has no symbolic dimension '%s'", b->name,
                             (long long)b->size, b->name);
      return QCC_ERR_USAGE;
    }
    if (qcc_graph_bind_dim(g, b->name, b->size) != QCC_OK) {
      qcc_diag_error(diag, (qcc_loc){0}, "out of memory");
      return QCC_ERR_NOMEM;
    }
  }
  return QCC_OK;
}

/* The AVX2 int16 pair bound of every integer conv and matmul (passes/pair_bound.h): per layer,
 * then totals for the convolutions and for everything. */
static void print_pair_bounds(qcc_graph *g) {
  uint64_t pairs[2] = {0}, safe[2] = {0}; /* [0]: convolutions, [1]: all */
  uint32_t layers = 0, whole = 0;
  qcc_graph_for_each_op(g, op) {
    qcc_pair_bound b;
    if (!qcc_pair_bound_of(op, &b) || !b.pairs)
      continue;
    const char *where = op->name ? op->name : op->results[0]->name;
    fprintf(stderr,
            "stats: int16 pairs: %s: %llu of %llu within the vpmaddubsw bound (%.1f%%), "
            "activations %d..%d\n",
            where, (unsigned long long)b.safe, (unsigned long long)b.pairs,
            100.0 * (double)b.safe / (double)b.pairs, (int)b.act_lo, (int)b.act_hi);
    bool conv = qcc_op_is(op, QCC_OP_QLinearConv) || qcc_op_is(op, QCC_OP_QLinearConvFused) ||
                qcc_op_is(op, QCC_OP_ConvInteger);
    for (int k = conv ? 0 : 1; k < 2; ++k) {
      pairs[k] += b.pairs;
      safe[k] += b.safe;
    }
    ++layers;
    whole += b.safe == b.pairs;
  }
  if (!layers)
    return;
  fprintf(stderr,
          "stats: int16 pairs: convolutions %llu of %llu (%.2f%%), all %llu of %llu (%.2f%%) "
          "within the bound; layers entirely within: %u of %u\n",
          (unsigned long long)safe[0], (unsigned long long)pairs[0],
          pairs[0] ? 100.0 * (double)safe[0] / (double)pairs[0] : 100.0,
          (unsigned long long)safe[1], (unsigned long long)pairs[1],
          100.0 * (double)safe[1] / (double)pairs[1], whole, layers);
}

qcc_status qcc_pass_flags_run(qcc_graph *g, const qcc_pass_flags *f, qcc_diag *diag) {
  qcc_pass_ctx ctx = {.diag = diag, .remarks = f->stats ? stderr : NULL};
  qcc_status st = bind_dims(g, f, diag);
  if (st != QCC_OK)
    return st;
  qcc_graph_stats before, after;
  if (f->stats && qcc_graph_stats_collect(g, &before) != QCC_OK) {
    qcc_diag_error(diag, (qcc_loc){0}, "out of memory");
    return QCC_ERR_NOMEM;
  }
  qcc_pipeline pipeline = f->pipeline;
  if (f->no_residual_quant) {
    uint32_t n = 0;
    for (uint32_t i = 0; i < pipeline.num_passes; ++i)
      if (pipeline.passes[i] != &qcc_pass_residual_quant)
        pipeline.passes[n++] = pipeline.passes[i];
    pipeline.num_passes = n;
  }
  /* Passes report their own errors. */
  st = qcc_run_pipeline(g, &pipeline, &f->options, &ctx);
  if (st != QCC_OK)
    return st;
  if (f->stats) {
    if (qcc_graph_stats_collect(g, &after) != QCC_OK) {
      qcc_diag_error(diag, (qcc_loc){0}, "out of memory");
      return QCC_ERR_NOMEM;
    }
    qcc_graph_stats_print(stderr, &before, &after, &ctx);
    print_pair_bounds(g);
    qcc_memory_plan plan;
    if (qcc_plan_memory(g, &plan) != QCC_OK) {
      qcc_diag_error(diag, (qcc_loc){0}, "out of memory");
      return QCC_ERR_NOMEM;
    }
    fprintf(stderr,
            "stats: memory plan: %u intermediates in %u buffers, one arena of %llu bytes; lower "
            "bound %llu bytes (%+.1f%%)%s\n",
            plan.num_tensors, plan.num_buffers, (unsigned long long)plan.arena_bytes,
            (unsigned long long)plan.lower_bound_bytes,
            plan.lower_bound_bytes
                ? 100.0 * ((double)plan.arena_bytes / (double)plan.lower_bound_bytes - 1.0)
                : 0.0,
            plan.unplanned ? "; some intermediates have no static size" : "");
    qcc_memory_plan_free(&plan);
  }
  if (f->print_plan) {
    qcc_memory_plan plan;
    if (qcc_plan_memory(g, &plan) != QCC_OK) {
      qcc_diag_error(diag, (qcc_loc){0}, "out of memory");
      return QCC_ERR_NOMEM;
    }
    /* One line per tensor: name, offset, size, first and last op index, and the operand whose
     * buffer it shares. */
    for (uint32_t i = 0; i < plan.num_tensors; ++i) {
      const qcc_planned_tensor *t = &plan.tensors[i];
      fprintf(stderr, "plan: %s %llu %llu %u %u", t->value->name, (unsigned long long)t->offset,
              (unsigned long long)t->size, t->first, t->last);
      if (t->share != QCC_PLAN_OWN)
        fprintf(stderr, " %s %s", t->share == QCC_PLAN_ALIAS ? "alias-of" : "in-place-of",
                t->of->name);
      fputc('\n', stderr);
    }
    fprintf(stderr, "plan: arena %llu lower-bound %llu\n", (unsigned long long)plan.arena_bytes,
            (unsigned long long)plan.lower_bound_bytes);
    qcc_memory_plan_free(&plan);
  }
  if (!f->report_quant && !f->werror_float)
    return QCC_OK;
  qcc_quant_report r;
  st = qcc_report_quant(g, diag, f->werror_float, &r);
  if (st == QCC_ERR_NOMEM)
    qcc_diag_error(diag, (qcc_loc){0}, "out of memory");
  if (f->report_quant)
    fprintf(stderr,
            "report: %u float compute ops inside the quantized region, %u Q/DQ ops between "
            "ops\n",
            r.float_ops, r.qdq_ops);
  return st;
}
