#include "passes/pass_manager.h"

#include <stdarg.h>
#include <string.h>
#include <time.h>

#include "ir/printer.h"
#include "ir/verifier.h"

void qcc_pass_count(qcc_pass_ctx *ctx, const char *what, uint64_t n) {
  for (uint32_t i = 0; i < ctx->num_counters; ++i) {
    qcc_pass_counter *c = &ctx->counters[i];
    if (strcmp(c->pass, ctx->pass_name) == 0 && strcmp(c->what, what) == 0) {
      c->value += n;
      return;
    }
  }
  if (ctx->num_counters < QCC_PASS_MAX_COUNTERS)
    ctx->counters[ctx->num_counters++] =
        (qcc_pass_counter){.pass = ctx->pass_name, .what = what, .value = n};
}

void qcc_pass_remark(qcc_pass_ctx *ctx, const qcc_op *op, const char *fmt, ...) {
  if (!ctx->remarks)
    return;
  const char *where = op->name ? op->name : op->num_results ? op->results[0]->name : "?";
  fprintf(ctx->remarks, "stats: %s: at '%s': ", ctx->pass_name, where);
  va_list ap;
  va_start(ap, fmt);
  vfprintf(ctx->remarks, fmt, ap);
  va_end(ap);
  fputc('\n', ctx->remarks);
}

static double now_ms(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (double)t.tv_sec * 1e3 + (double)t.tv_nsec / 1e6;
}

static bool names_pass(const char *opt, const qcc_pass *p) {
  return opt && strcmp(opt, p->name) == 0;
}

qcc_status qcc_run_pipeline(qcc_graph *g, const qcc_pipeline *p, const qcc_pass_options *opts,
                            qcc_pass_ctx *ctx) {
  static const qcc_pass_options none = {0};
  if (!opts)
    opts = &none;
  FILE *report = opts->report ? opts->report : stderr;
  double total = 0;
  for (uint32_t i = 0; i < p->num_passes; ++i) {
    const qcc_pass *pass = p->passes[i];
    if (names_pass(opts->print_before, pass)) {
      fprintf(report, "// ----- graph before pass '%s' -----\n", pass->name);
      qcc_print_graph(report, g);
    }
    ctx->pass_name = pass->name;
    ctx->changed = false;
    double start = now_ms();
    qcc_status st = pass->run(g, ctx);
    double ms = now_ms() - start;
    total += ms;
    if (st != QCC_OK) {
      qcc_diag_note(ctx->diag, (qcc_loc){0}, "in pass '%s'", pass->name);
      return st;
    }
    if (opts->time_passes)
      fprintf(report, "time-passes: %-22s %9.3f ms%s\n", pass->name, ms,
              ctx->changed ? "" : " (no change)");
    if (opts->verify_each && (st = qcc_verify_graph(g, ctx->diag)) != QCC_OK) {
      qcc_diag_note(ctx->diag, (qcc_loc){0}, "the graph no longer verifies after pass '%s'",
                    pass->name);
      return st;
    }
    if (opts->print_after_all || names_pass(opts->print_after, pass)) {
      fprintf(report, "// ----- graph after pass '%s'%s -----\n", pass->name,
              ctx->changed ? "" : " (no change)");
      qcc_print_graph(report, g);
    }
  }
  if (opts->time_passes)
    fprintf(report, "time-passes: %-22s %9.3f ms\n", "total", total);
  return QCC_OK;
}
