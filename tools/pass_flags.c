/* The driver's pass flags (-O, --passes, instrumentation), shared by `qcc` and `qcc run`. */
#include <string.h>

#include "passes/graph_stats.h"
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

int qcc_pass_flags_parse(qcc_pass_flags *f, const char *a) {
  const char *v;
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
  else
    return 0;
  return 1;
}

qcc_status qcc_pass_flags_run(qcc_graph *g, const qcc_pass_flags *f, qcc_diag *diag) {
  qcc_pass_ctx ctx = {.diag = diag, .remarks = f->stats ? stderr : NULL};
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
  qcc_status st = qcc_run_pipeline(g, &pipeline, &f->options, &ctx);
  if (st != QCC_OK || !f->stats)
    return st;
  if (qcc_graph_stats_collect(g, &after) != QCC_OK) {
    qcc_diag_error(diag, (qcc_loc){0}, "out of memory");
    return QCC_ERR_NOMEM;
  }
  qcc_graph_stats_print(stderr, &before, &after, &ctx);
  return QCC_OK;
}
