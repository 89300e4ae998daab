/* `qcc quantize`: post-training quantization of a float model into a QDQ model.
 *
 * Folds the float graph (constants, Conv + BatchNormalization), places the Q/DQ pairs
 * (passes/quantize_insert.h), runs the interpreter over the calibration samples in batches
 * with an observer that keeps, per placed value, only its running min and max (memory: one
 * batch of samples, read from the .npy files by rows, and its live activations), turns each range
 * into scale and zero point and writes the QDQ model (.onnx or .qir). */
#include <malloc.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "calib/calib.h"
#include "frontend/onnx_writer.h"
#include "frontend/tensor_io.h"
#include "ir/graph_util.h"
#include "ir/interp.h"
#include "ir/printer.h"
#include "ir/verifier.h"
#include "passes/quantize_insert.h"
#include "tools/driver.h"
#include "tools/quantize_report.h"

enum { MAX_CALIB = 16, MAX_KEEP = 64 };

/* The default method: the best SQNR on the models of docs/quantize.md ("Choosing a method"). */
#define DEFAULT_METHOD QCC_CALIB_MSE

typedef struct calib_file {
  const char *name; /* NAME of NAME=FILE (name_len bytes), NULL for a bare FILE */
  size_t name_len;
  const char *file;
} calib_file;

static bool names_input(const calib_file *c, const qcc_value *v) {
  return strlen(v->name) == c->name_len && strncmp(v->name, c->name, c->name_len) == 0;
}

/* The calibration settings: the method and its options (calib/calib.h). */
typedef struct calib_settings {
  qcc_calib_method method;
  qcc_calib_opts opts;
} calib_settings;

typedef struct range_observer {
  const bool *needs;
  const calib_settings *set;
  qcc_calib **cal;         /* by value id, created at the value's first batch */
  const qcc_value **value; /* by value id, the value each calibrator observes */
  qcc_diag *diag;
} range_observer;

static qcc_status observe(void *user, const qcc_value *v, const qcc_tensor *t) {
  range_observer *r = user;
  if (!r->needs[v->id] || t->elem != QCC_F32)
    return QCC_OK;
  qcc_calib_status cs = QCC_CALIB_OK;
  if (!r->cal[v->id]) {
    cs = qcc_calib_new(r->set->method, &r->set->opts, &r->cal[v->id]);
    r->value[v->id] = v;
  }
  if (cs == QCC_CALIB_OK)
    cs = qcc_calib_observe(r->cal[v->id], t->data, (size_t)t->numel);
  if (cs == QCC_CALIB_ERR_NONFINITE) {
    qcc_diag_error(r->diag, v->loc, "calibration: '%s' takes a non-finite value (NaN or infinity)",
                   v->name);
    return QCC_ERR_INPUT;
  }
  if (cs != QCC_CALIB_OK) {
    qcc_diag_error(r->diag, v->loc, "calibration of '%s': %s", v->name, qcc_calib_status_str(cs));
    return cs == QCC_CALIB_ERR_NOMEM ? QCC_ERR_NOMEM : QCC_ERR_INPUT;
  }
  return QCC_OK;
}

/* The value's quantization from its calibrator: the method's range, then ONNX Runtime's scale
 * and zero point (calib/qparams.c). */
static qcc_status act_params(const qcc_value *v, const qcc_calib *c, qcc_elem elem, bool symmetric,
                             qcc_qdq_act *a, qcc_diag *diag) {
  float lo, hi;
  qcc_calib_qparams q;
  qcc_calib_status cs = qcc_calib_range(c, &lo, &hi);
  if (cs == QCC_CALIB_OK)
    cs = qcc_calib_qparams_from_range(lo, hi, elem == QCC_U8 ? QCC_CALIB_UINT8 : QCC_CALIB_INT8,
                                      symmetric || elem == QCC_I8, &q);
  if (cs != QCC_CALIB_OK) {
    qcc_diag_error(diag, v->loc, "calibration of '%s': %s", v->name, qcc_calib_status_str(cs));
    return QCC_ERR_INPUT;
  }
  *a = (qcc_qdq_act){.elem = elem, .scale = q.scale, .zero_point = q.zero_point};
  return QCC_OK;
}

static bool ends_with(const char *s, const char *suffix) {
  size_t n = strlen(s), m = strlen(suffix);
  return n >= m && strcmp(s + n - m, suffix) == 0;
}

/* Runs the graph over every batch of the samples; ranges land in r. */
static double now_seconds(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* The progress line on stderr when it is a terminal: samples done, rate, time left. */
static void progress(bool tty, int64_t done, int64_t count, double t0) {
  if (!tty)
    return;
  double dt = now_seconds() - t0, rate = dt > 0 ? (double)done / dt : 0;
  fprintf(stderr, "\rcalibrating: %lld/%lld samples, %.1f samples/s, %.0f s left ", (long long)done,
          (long long)count, rate, rate > 0 ? (double)(count - done) / rate : 0.0);
  if (done == count)
    fputc('\n', stderr);
  fflush(stderr);
}

static qcc_status calibrate(const qcc_graph *g, qcc_npy_reader **samples, int64_t count,
                            int64_t batch, range_observer *r, qcc_diag *diag) {
  uint32_t ni = g->num_inputs, no = g->num_outputs;
  bool tty = isatty(fileno(stderr));
  double t0 = now_seconds();
  qcc_tensor **in = calloc(ni + 1, sizeof *in), **out = calloc(no + 1, sizeof *out);
  qcc_status st = in && out ? QCC_OK : QCC_ERR_NOMEM;
  for (int64_t r0 = 0; st == QCC_OK && r0 < count; r0 += batch) {
    int64_t n = count - r0 < batch ? count - r0 : batch;
    for (uint32_t i = 0; i < ni && st == QCC_OK; ++i)
      st = qcc_npy_read_rows(samples[i], r0, n, diag, &in[i]);
    if (st == QCC_OK)
      st = qcc_interp_run_observed(g, diag, (const qcc_tensor *const *)in, out, observe, r);
    for (uint32_t i = 0; i < ni; ++i)
      qcc_tensor_free(in[i]), in[i] = NULL;
    for (uint32_t i = 0; i < no; ++i)
      qcc_tensor_free(out[i]), out[i] = NULL;
    if (st == QCC_OK)
      progress(tty, r0 + n, count, t0);
  }
  free(in), free(out);
  return st;
}

/* Opens the calibration files (.npy, read by rows) as samples[] in graph-input order; the
 * sample count (equal for every input, at least 1) in *count. */
static qcc_status read_samples(const qcc_graph *g, const calib_file *cf, int n,
                               qcc_npy_reader **samples, int64_t *count, qcc_diag *diag) {
  qcc_loc none = {0};
  if (n == 1 && !cf[0].name && g->num_inputs != 1) {
    qcc_diag_error(diag, none,
                   "a bare --calib FILE needs a model with exactly one input (this one has %u)",
                   g->num_inputs);
    return QCC_ERR_USAGE;
  }
  for (int k = 0; k < n; ++k) {
    uint32_t slot = 0;
    while (cf[k].name && slot < g->num_inputs && !names_input(&cf[k], g->inputs[slot]))
      ++slot;
    if (slot == g->num_inputs) {
      qcc_diag_error(diag, none, "the model has no input named '%.*s'", (int)cf[k].name_len,
                     cf[k].name);
      return QCC_ERR_USAGE;
    }
    if (samples[slot]) {
      qcc_diag_error(diag, none, "calibration data for input '%s' given twice",
                     g->inputs[slot]->name);
      return QCC_ERR_USAGE;
    }
    qcc_status st = qcc_npy_open(cf[k].file, diag, &samples[slot]);
    if (st != QCC_OK)
      return st;
  }
  *count = -1;
  for (uint32_t i = 0; i < g->num_inputs; ++i) {
    const qcc_value *v = g->inputs[i];
    qcc_loc at = {.file = cf[0].file};
    if (!samples[i]) {
      qcc_diag_error(diag, none, "no --calib data for model input '%s'", v->name);
      return QCC_ERR_USAGE;
    }
    qcc_tensor shape, *t = &shape;
    qcc_npy_shape(samples[i], &shape.elem, &shape.rank, shape.dims);
    if (t->elem != v->type.elem || t->rank != v->type.rank || t->rank < 1) {
      qcc_diag_error(
          diag, at, "calibration data for '%s' is %s of rank %d; the input is %s of rank %d",
          v->name, qcc_elem_name(t->elem), t->rank, qcc_elem_name(v->type.elem), v->type.rank);
      return QCC_ERR_INPUT;
    }
    for (int32_t d = 1; d < t->rank; ++d)
      if (qcc_dim_is_static(v->type.dims[d]) && v->type.dims[d].size != t->dims[d]) {
        qcc_diag_error(diag, at,
                       "calibration data for '%s': dimension %d is %lld, the input's is %lld",
                       v->name, d, (long long)t->dims[d], (long long)v->type.dims[d].size);
        return QCC_ERR_INPUT;
      }
    if (*count >= 0 && t->dims[0] != *count) {
      qcc_diag_error(diag, at, "calibration inputs disagree on the sample count (%lld and %lld)",
                     (long long)*count, (long long)t->dims[0]);
      return QCC_ERR_INPUT;
    }
    *count = t->dims[0];
  }
  if (*count <= 0) {
    qcc_diag_error(diag, (qcc_loc){.file = cf[0].file}, "calibration data holds no samples");
    return QCC_ERR_INPUT;
  }
  return QCC_OK;
}

/* The batch the graph accepts: its inputs' leading dimension when static, else `want`. */
static int64_t batch_size(const qcc_graph *g, int64_t want) {
  for (uint32_t i = 0; i < g->num_inputs; ++i)
    if (g->inputs[i]->type.rank >= 1 && qcc_dim_is_static(g->inputs[i]->type.dims[0]))
      return g->inputs[i]->type.dims[0].size;
  return want;
}

static qcc_status write_model(const qcc_graph *g, const char *path, qcc_diag *diag) {
  if (ends_with(path, ".onnx"))
    return qcc_write_onnx_file(g, path, diag);
  FILE *f = fopen(path, "w");
  if (!f) {
    qcc_diag_error(diag, (qcc_loc){.file = path}, "cannot write the model");
    return QCC_ERR_INPUT;
  }
  qcc_print_graph(f, g);
  return fclose(f) == 0 ? QCC_OK : QCC_ERR_INPUT;
}

/* The model, loaded and folded: constants, Conv + BatchNormalization, dead code. */
static qcc_status load_folded(const char *model, qcc_diag *diag, qcc_graph **g) {
  qcc_model_options opts = {0};
  qcc_pass_flags flags = {.opt_level = -1, .pipeline_set = true};
  char err[256];
  qcc_status st = qcc_driver_load_model(model, &opts, diag, g);
  if (st == QCC_OK && !qcc_pipeline_parse("widen-f16,constant-fold,promote-f16,fold-conv-bn,dce",
                                          &flags.pipeline, err, sizeof err))
    st = QCC_ERR_USAGE;
  return st == QCC_OK ? qcc_pass_flags_run(*g, &flags, diag) : st;
}

typedef struct report_opts {
  bool on;
  const char *json;
  int64_t samples;
} report_opts;

static int quantize(const char *model, const calib_file *cf, int ncf, const char *out_path,
                    qcc_elem act_elem, bool symmetric, const qcc_qdq_placement *place,
                    int64_t batch, const calib_settings *set, const report_opts *rep) {
  qcc_diag *diag = qcc_diag_create(stderr);
  qcc_graph *g = NULL, *fg = NULL;
  qcc_npy_reader *samples[MAX_CALIB] = {0};
  range_observer r = {.diag = diag, .set = set};
  bool *needs = NULL;
  uint32_t *share = NULL;
  qcc_qdq_act *act = NULL;
  qcc_status st = diag ? load_folded(model, diag, &g) : QCC_ERR_NOMEM;
  if (st == QCC_OK && g->num_inputs > MAX_CALIB) {
    qcc_diag_error(diag, (qcc_loc){0}, "the model has more than %d inputs", MAX_CALIB);
    st = QCC_ERR_INPUT;
  }
  int64_t count = 0;
  if (st == QCC_OK)
    st = read_samples(g, cf, ncf, samples, &count, diag);
  uint32_t nv = g ? g->num_values : 0;
  if (st == QCC_OK) {
    needs = calloc(nv + 1, sizeof *needs);
    r.cal = calloc(nv + 1, sizeof *r.cal);
    r.value = calloc(nv + 1, sizeof *r.value);
    act = calloc(nv + 1, sizeof *act);
    share = calloc(nv + 1, sizeof *share);
    st = needs && r.cal && r.value && act && share ? QCC_OK : QCC_ERR_NOMEM;
  }
  if (st == QCC_OK) {
    qcc_qdq_place(g, place, needs, share);
    r.needs = needs;
    st = calibrate(g, samples, count, batch_size(g, batch), &r, diag);
  }
  uint32_t pairs = 0, weights = 0;
  if (st == QCC_OK) {
    for (uint32_t i = 0; i < nv && st == QCC_OK; ++i)
      if (needs[i] && r.cal[i])
        st = act_params(r.value[i], r.cal[i], act_elem, symmetric, &act[i], diag);
      else
        needs[i] = false; /* never computed in float (no sample reached it) */
    for (uint32_t i = 0; i < nv && st == QCC_OK; ++i)
      if (needs[i] && share[i] != i && needs[share[i]])
        act[i] = act[share[i]]; /* after data movement: the operand's parameters */
    if (st == QCC_OK)
      st = qcc_qdq_insert(g, place, needs, act, diag, &pairs, &weights);
  }
  if (st == QCC_OK) {
    qcc_graph_erase_dead_ops(g); /* the float weights the int8 codes replaced */
    st = qcc_verify_graph(g, diag);
  }
  if (st == QCC_OK)
    st = write_model(g, out_path, diag);
  if (st == QCC_OK)
    fprintf(stderr, "quantize: %lld samples, %u activation quantizers, %u weight quantizers\n",
            (long long)count, pairs, weights);
  if (st == QCC_OK && rep->on && (st = load_folded(model, diag, &fg)) == QCC_OK)
    st = qcc_quantize_report(fg, g, samples, count, rep->samples, rep->json, diag);
  qcc_graph_destroy(fg);
  for (int i = 0; i < MAX_CALIB; ++i)
    qcc_npy_close(samples[i]);
  for (uint32_t i = 0; r.cal && i < nv; ++i)
    qcc_calib_free(r.cal[i]);
  free(needs), free(share), free(r.cal), free(r.value), free(act);
  qcc_graph_destroy(g);
  qcc_diag_destroy(diag);
  return st == QCC_OK ? QCC_EXIT_OK : st == QCC_ERR_USAGE ? QCC_EXIT_USAGE : QCC_EXIT_BAD_INPUT;
}

/* "max", "ema", "percentile", "percentile:P", "entropy" or "mse". */
static bool parse_method(const char *v, calib_settings *set) {
  const qcc_calib_method all[] = {QCC_CALIB_MAX, QCC_CALIB_EMA, QCC_CALIB_PERCENTILE,
                                  QCC_CALIB_ENTROPY, QCC_CALIB_MSE};
  const char *colon = strchr(v, ':');
  size_t n = colon ? (size_t)(colon - v) : strlen(v);
  for (size_t i = 0; i < sizeof all / sizeof all[0]; ++i) {
    const char *name = qcc_calib_method_name(all[i]);
    if (strlen(name) != n || strncmp(v, name, n) != 0)
      continue;
    set->method = all[i];
    if (!colon)
      return true;
    if (all[i] != QCC_CALIB_PERCENTILE)
      return false;
    char *end;
    double p = strtod(colon + 1, &end);
    if (*end || colon[1] == '\0' || !(p > 0 && p <= 100))
      return false;
    set->opts.percentile = p;
    return true;
  }
  return false;
}

int qcc_cmd_quantize(int argc, char **argv) {
  /* Each batch allocates and frees the same large activations: a fixed mmap threshold returns
   * them to the system, where glibc's sliding one would keep them in a heap that fragments and
   * grows with the batch count. */
  mallopt(M_MMAP_THRESHOLD, 1 << 20);
  const char *model = NULL, *out = NULL, *keep[MAX_KEEP];
  calib_file cf[MAX_CALIB];
  int ncf = 0;
  uint32_t nkeep = 0;
  qcc_elem act_elem = QCC_U8;
  bool symmetric = false, per_tensor = false;
  int64_t batch = 32;
  report_opts rep = {.samples = 8};
  calib_settings set = {.method = DEFAULT_METHOD};
  qcc_calib_opts_default(&set.opts);
  for (int i = 1; i < argc; ++i) {
    const char *a = argv[i];
    bool takes = strcmp(a, "--calib") == 0 || strcmp(a, "-o") == 0 || strcmp(a, "--method") == 0 ||
                 strcmp(a, "--activations") == 0 || strcmp(a, "--keep-float") == 0 ||
                 strcmp(a, "--batch") == 0 || strcmp(a, "--report-json") == 0 ||
                 strcmp(a, "--report-samples") == 0 || strcmp(a, "--bins") == 0;
    if (takes && i + 1 == argc)
      return qcc_driver_usage_error("%s needs an argument", a);
    const char *v = takes ? argv[++i] : NULL;
    if (strcmp(a, "--calib") == 0) {
      if (ncf == MAX_CALIB)
        return qcc_driver_usage_error("at most %d --calib files", MAX_CALIB);
      const char *eq = strrchr(v, '=');
      cf[ncf].name = eq ? v : NULL;
      cf[ncf].name_len = eq ? (size_t)(eq - v) : 0;
      cf[ncf++].file = eq ? eq + 1 : v;
    } else if (strcmp(a, "-o") == 0) {
      out = v;
    } else if (strcmp(a, "--method") == 0) {
      if (!parse_method(v, &set))
        return qcc_driver_usage_error(
            "--method takes max, ema, percentile[:P] (0 < P <= 100), entropy or mse, not '%s'", v);
    } else if (strcmp(a, "--bins") == 0) {
      char *end;
      long n = strtol(v, &end, 10);
      if (*end || n < 256 || n > 65536)
        return qcc_driver_usage_error("--bins takes a count from 256 to 65536, not '%s'", v);
      set.opts.bins = (int32_t)n;
    } else if (strcmp(a, "--activations") == 0) {
      if (strcmp(v, "uint8") != 0 && strcmp(v, "int8") != 0)
        return qcc_driver_usage_error("--activations takes uint8 or int8, not '%s'", v);
      act_elem = v[0] == 'u' ? QCC_U8 : QCC_I8;
    } else if (strcmp(a, "--keep-float") == 0) {
      if (nkeep == MAX_KEEP)
        return qcc_driver_usage_error("at most %d --keep-float nodes", MAX_KEEP);
      keep[nkeep++] = v;
    } else if (strcmp(a, "--batch") == 0) {
      char *end;
      batch = strtoll(v, &end, 10);
      if (*end || batch < 1 || batch > 1 << 20)
        return qcc_driver_usage_error("--batch takes a count from 1 to 1048576, not '%s'", v);
    } else if (strcmp(a, "--report") == 0) {
      rep.on = true;
    } else if (strcmp(a, "--report-json") == 0) {
      rep.on = true;
      rep.json = v;
    } else if (strcmp(a, "--report-samples") == 0) {
      char *end;
      rep.samples = strtoll(v, &end, 10);
      if (*end || rep.samples < 1 || rep.samples > 1 << 20)
        return qcc_driver_usage_error("--report-samples takes a count from 1 to 1048576, not '%s'",
                                      v);
    } else if (strcmp(a, "--symmetric") == 0) {
      symmetric = true;
    } else if (strcmp(a, "--per-tensor-weights") == 0) {
      per_tensor = true;
    } else if (a[0] == '-' && a[1] != '\0') {
      return qcc_driver_usage_error("unknown option '%s' for 'qcc quantize'", a);
    } else if (!model) {
      model = a;
    } else {
      return qcc_driver_usage_error("qcc quantize takes one model ('%s' is a second)", a);
    }
  }
  if (!model || !out || ncf == 0)
    return qcc_driver_usage_error(
        "usage: qcc quantize MODEL --calib [NAME=]FILE.npy ... -o OUT.{onnx,qir}");
  if (!ends_with(out, ".onnx") && !ends_with(out, ".qir"))
    return qcc_driver_usage_error("-o %s: the output is a .onnx or a .qir file", out);
  qcc_qdq_placement place = {.per_tensor_weights = per_tensor,
                             .both_residual_inputs = true,
                             .keep_float = keep,
                             .num_keep_float = nkeep};
  set.opts.symmetric = symmetric || act_elem == QCC_I8;
  return quantize(model, cf, ncf, out, act_elem, symmetric, &place, batch, &set, &rep);
}
