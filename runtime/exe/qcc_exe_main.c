/* The main of executables made by `qcc --emit=exe` (libqcc_exe_main.a): runs the model the
 * object defines as `qcc_exe_model` on .npy files, the way `qcc run` does, and optionally
 * benchmarks and profiles it.
 *
 *   ./m --input NAME=FILE.npy ... --output-dir DIR [--bench N] [--threads T] [--profile]
 *
 * Exit status: 0 success, 1 bad input (a file's dtype or shape differs from the model's, a
 * missing or unreadable file, a failed run), 2 bad usage. */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "exe_npy.h"
#include "qcc_runtime.h"

/* Defined by the object qcc compiles with --emit=exe. */
extern const qcc_rt_model *const qcc_exe_model;

enum { EXIT_BAD_INPUT = 1, EXIT_USAGE = 2, BUFFER_ALIGN = 64 };

static const char *prog = "model";

static void usage(FILE *f) {
  fprintf(f,
          "usage: %s --input NAME=FILE.npy ... --output-dir DIR [--bench N] [--threads T] "
          "[--profile]\n"
          "       %s FILE.npy --output-dir DIR ...   (a model with one input)\n"
          "Runs the compiled model '%s' on .npy inputs (dtype and shape exactly the model's) and\n"
          "writes each output to DIR/<name>.npy, with characters outside [A-Za-z0-9_.-] in <name>\n"
          "replaced by '_' (as `qcc run` does).\n"
          "  --bench N     then runs N more times and prints "
          "{\"median_ms\":..,\"min_ms\":..,\"runs\":N}\n"
          "  --threads T   runs on a pool of T threads (the caller included; 0: one per CPU)\n"
          "  --profile     prints each kernel's total and mean time over all runs\n"
          "Exit status: 0 success, 1 bad input, 2 bad usage.\n",
          prog, prog, qcc_exe_model->name ? qcc_exe_model->name : "?");
}

static int usage_error(const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  fprintf(stderr, "%s: error: ", prog);
  vfprintf(stderr, fmt, ap);
  fprintf(stderr, "\n%s: run '%s --help' for usage\n", prog, prog);
  va_end(ap);
  return EXIT_USAGE;
}

static int input_error(const char *file, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  fprintf(stderr, "%s: error: ", file ? file : prog);
  vfprintf(stderr, fmt, ap);
  fputc('\n', stderr);
  va_end(ap);
  return EXIT_BAD_INPUT;
}

typedef struct options {
  const char **names; /* NULL for a bare FILE */
  const char **files;
  int num_inputs;
  const char *out_dir;
  uint32_t bench, threads;
  bool profile;
} options;

/* A decimal in [lo, hi]. */
static bool parse_u32(const char *s, uint32_t lo, uint32_t hi, uint32_t *out) {
  char *end;
  errno = 0;
  unsigned long long v = strtoull(s, &end, 10);
  if (errno || end == s || *end || s[0] == '-' || v < lo || v > hi)
    return false;
  *out = (uint32_t)v;
  return true;
}

/* "--opt VALUE" or "--opt=VALUE": the value, or NULL when `a` is not this option. *i moves past
 * a separate value; *missing is set when there is none. */
static const char *option_value(const char *opt, int argc, char **argv, int *i, bool *missing) {
  const char *a = argv[*i];
  size_t n = strlen(opt);
  if (strncmp(a, opt, n) != 0)
    return NULL;
  if (a[n] == '=')
    return a + n + 1;
  if (a[n] != '\0')
    return NULL;
  if (*i + 1 == argc) {
    *missing = true;
    return NULL;
  }
  return argv[++*i];
}

/* 0 to go on, -1 after --help, else an exit status. */
static int parse_args(int argc, char **argv, options *o) {
  o->threads = 1;
  for (int i = 1; i < argc; ++i) {
    const char *a = argv[i], *v;
    bool missing = false;
    if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
      usage(stdout);
      return -1;
    } else if ((v = option_value("--input", argc, argv, &i, &missing))) {
      const char *eq = strrchr(v, '=');
      o->names[o->num_inputs] = NULL;
      if (eq) {
        size_t n = (size_t)(eq - v);
        char *name = malloc(n + 1);
        if (!name)
          return input_error(NULL, "out of memory");
        memcpy(name, v, n);
        name[n] = '\0';
        o->names[o->num_inputs] = name;
        v = eq + 1;
      }
      o->files[o->num_inputs++] = v;
    } else if ((v = option_value("--output-dir", argc, argv, &i, &missing))) {
      o->out_dir = v;
    } else if ((v = option_value("--bench", argc, argv, &i, &missing))) {
      if (!parse_u32(v, 1, 1000000, &o->bench))
        return usage_error("bad --bench '%s' (expected a run count from 1 to 1000000)", v);
    } else if ((v = option_value("--threads", argc, argv, &i, &missing))) {
      if (!parse_u32(v, 0, QCC_RT_MAX_THREADS, &o->threads))
        return usage_error("bad --threads '%s' (expected 0 to %d)", v, QCC_RT_MAX_THREADS);
    } else if (strcmp(a, "--profile") == 0) {
      o->profile = true;
    } else if (missing) {
      return usage_error("%s needs an argument", a);
    } else if (a[0] == '-' && a[1] != '\0') {
      return usage_error("unknown option '%s'", a);
    } else {
      o->names[o->num_inputs] = NULL;
      o->files[o->num_inputs++] = a;
    }
  }
  if (!o->out_dir)
    return usage_error("--output-dir DIR is required");
  for (int k = 0; k < o->num_inputs; ++k)
    if (!o->names[k] && o->num_inputs > 1)
      return usage_error("bare input files are only allowed for a single input; use "
                         "--input NAME=FILE");
  return 0;
}

static void *alloc_aligned(uint64_t bytes) {
  void *p = NULL;
  if (bytes > SIZE_MAX - BUFFER_ALIGN ||
      posix_memalign(&p, BUFFER_ALIGN, bytes ? (size_t)bytes : 1) != 0)
    return NULL;
  return p;
}

static uint64_t tensor_bytes(const qcc_rt_tensor_info *t) {
  return (uint64_t)qcc_rt_tensor_numel(t) * qcc_rt_dtype_size(t->dtype);
}

/* Reads `file` into a new buffer after checking it against the model's input `t`. */
static int read_input(const char *file, const qcc_rt_tensor_info *t, void **out) {
  FILE *f = fopen(file, "rb");
  if (!f)
    return input_error(file, "cannot open: %s", strerror(errno));
  exe_npy h;
  char err[256], want[EXE_NPY_MAX_RANK * 24 + 8], got[EXE_NPY_MAX_RANK * 24 + 8];
  int rc = 0;
  if (exe_npy_read_header(f, &h, err, sizeof err) != 0) {
    rc = input_error(file, "%s", err);
    goto done;
  }
  exe_npy_format_shape(t->rank, t->dims, want, sizeof want);
  if (h.dtype != t->dtype) {
    rc = input_error(file,
                     "dtype mismatch for input '%s': the file holds %s (%s), the model expects %s "
                     "(%s) of shape %s",
                     t->name, h.dtype ? exe_npy_type_name(h.dtype) : "an unsupported type", h.descr,
                     exe_npy_type_name(t->dtype), exe_npy_descr(t->dtype), want);
    goto done;
  }
  bool same = h.rank == t->rank;
  for (int32_t d = 0; same && d < t->rank; ++d)
    same = h.dims[d] == t->dims[d];
  if (!same) {
    exe_npy_format_shape(h.rank, h.dims, got, sizeof got);
    rc = input_error(file, "shape mismatch for input '%s': the file holds %s, the model expects %s",
                     t->name, got, want);
    goto done;
  }
  uint64_t bytes = tensor_bytes(t);
  *out = alloc_aligned(bytes);
  if (!*out) {
    rc = input_error(file, "out of memory");
    goto done;
  }
  if (bytes && fread(*out, 1, (size_t)bytes, f) != (size_t)bytes)
    rc = input_error(file, "read failed");
done:
  fclose(f);
  return rc;
}

/* Output names become file names: anything outside [A-Za-z0-9_.-] turns into '_'. */
static void file_name(const char *name, char *buf, size_t cap) {
  size_t i = 0;
  for (; name[i] && i + 1 < cap; ++i) {
    char c = name[i];
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '_' || c == '.' || c == '-';
    buf[i] = ok ? c : '_';
  }
  buf[i] = '\0';
}

static int write_outputs(const qcc_rt_model *m, void *const *outs, const char *dir) {
  if (mkdir(dir, 0777) != 0 && errno != EEXIST)
    return input_error(dir, "cannot create output directory: %s", strerror(errno));
  int rc = 0;
  for (uint32_t i = 0; i < m->num_outputs; ++i) {
    const qcc_rt_tensor_info *t = &m->outputs[i];
    char name[256], path[4096], err[256];
    file_name(t->name, name, sizeof name);
    snprintf(path, sizeof path, "%s/%s.npy", dir, name);
    if (exe_npy_write(path, t->dtype, t->rank, t->dims, outs[i], tensor_bytes(t), err,
                      sizeof err) != 0)
      rc = input_error(path, "%s", err);
  }
  return rc;
}

/* ---- profile and benchmark ------------------------------------------------------------------ */
typedef struct profile {
  uint32_t num_kernels;
  uint64_t *total_ns, *calls;
} profile;

/* exec.on_kernel: called on the thread that runs the model, after each kernel. */
static void on_kernel(void *user, uint32_t kernel, uint64_t ns) {
  profile *p = user;
  if (kernel < p->num_kernels) {
    p->total_ns[kernel] += ns;
    ++p->calls[kernel];
  }
}

static void print_profile(const qcc_rt_model *m, const profile *p, uint32_t runs) {
  uint64_t sum = 0;
  for (uint32_t k = 0; k < p->num_kernels; ++k)
    sum += p->total_ns[k];
  printf("=== Profile (%" PRIu32 " run%s, %" PRIu32 " kernels) ===\n", runs, runs == 1 ? "" : "s",
         p->num_kernels);
  printf("%12s %12s %8s %8s  %s\n", "Time(ms)", "Avg.(ms)", "Time %", "Calls", "Kernel");
  for (uint32_t k = 0; k < p->num_kernels; ++k) {
    const char *name = m->kernel_names && m->kernel_names[k] ? m->kernel_names[k] : "?";
    double total = (double)p->total_ns[k] / 1e6;
    double mean = p->calls[k] ? total / (double)p->calls[k] : 0.0;
    double share = sum ? 100.0 * (double)p->total_ns[k] / (double)sum : 0.0;
    printf("%12.4f %12.6f %8.1f %8" PRIu64 "  %s\n", total, mean, share, p->calls[k], name);
  }
  printf("%12.4f %12.6f %8.1f %8s  %s\n", (double)sum / 1e6, runs ? (double)sum / 1e6 / runs : 0.0,
         sum ? 100.0 : 0.0, "", "Total");
}

static int compare_u64(const void *a, const void *b) {
  uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
  return x < y ? -1 : x > y;
}

/* Runs the model `runs` more times; the median and the fastest time in ns. */
static int bench(const qcc_rt_model *m, void *const *ins, void *const *outs, void *ws,
                 const qcc_rt_exec *exec, uint32_t runs, double *median, double *min) {
  uint64_t *t = malloc(runs * sizeof *t);
  if (!t)
    return input_error(NULL, "out of memory");
  for (uint32_t r = 0; r < runs; ++r) {
    uint64_t t0 = qcc_rt_now_ns();
    int st = qcc_rt_run(m, (const void *const *)ins, outs, ws, exec);
    t[r] = qcc_rt_now_ns() - t0;
    if (st != QCC_RT_OK) {
      free(t);
      return input_error(NULL, "run %" PRIu32 " failed: %s", r + 2, qcc_rt_status_string(st));
    }
  }
  qsort(t, runs, sizeof *t, compare_u64);
  *median = runs % 2 ? (double)t[runs / 2] : ((double)t[runs / 2 - 1] + (double)t[runs / 2]) / 2;
  *min = (double)t[0];
  free(t);
  return 0;
}

/* ---- main ---------------------------------------------------------------------------------- */
/* Fills ins[] (one buffer per model input) from the files named in o. */
static int load_inputs(const qcc_rt_model *m, const options *o, void **ins) {
  if (o->num_inputs == 1 && !o->names[0] && m->num_inputs != 1)
    return input_error(NULL,
                       "a bare input file needs a model with exactly one input (this one "
                       "has %" PRIu32 ")",
                       m->num_inputs);
  for (int k = 0; k < o->num_inputs; ++k) {
    uint32_t slot = 0;
    if (o->names[k]) {
      while (slot < m->num_inputs && strcmp(m->inputs[slot].name, o->names[k]) != 0)
        ++slot;
      if (slot == m->num_inputs)
        return input_error(NULL, "the model has no input named '%s'", o->names[k]);
    }
    if (ins[slot])
      return input_error(NULL, "input '%s' given twice", m->inputs[slot].name);
    int rc = read_input(o->files[k], &m->inputs[slot], &ins[slot]);
    if (rc)
      return rc;
  }
  for (uint32_t i = 0; i < m->num_inputs; ++i)
    if (!ins[i])
      return input_error(NULL, "no --input given for model input '%s'", m->inputs[i].name);
  return 0;
}

static int run_model(const qcc_rt_model *m, const options *o, void **ins, void **outs) {
  for (uint32_t i = 0; i < m->num_outputs; ++i)
    if (!(outs[i] = alloc_aligned(tensor_bytes(&m->outputs[i]))))
      return input_error(NULL, "out of memory");
  void *ws = qcc_rt_workspace_alloc(m);
  qcc_rt_pool *pool = o->threads == 1 ? NULL : qcc_rt_pool_create(o->threads);
  profile prof = {m->num_kernels, calloc(m->num_kernels + 1, sizeof(uint64_t)),
                  calloc(m->num_kernels + 1, sizeof(uint64_t))};
  qcc_rt_exec exec = {pool, o->profile ? on_kernel : NULL, &prof};
  int rc = 0;
  if (!ws || !prof.total_ns || !prof.calls) {
    rc = input_error(NULL, "out of memory");
  } else if (o->threads != 1 && !pool) {
    rc = input_error(NULL, "cannot start %" PRIu32 " threads", o->threads);
  } else {
    int st = qcc_rt_run(m, (const void *const *)ins, outs, ws, &exec);
    if (st != QCC_RT_OK)
      rc = input_error(NULL, "running '%s' failed: %s", m->name ? m->name : "?",
                       qcc_rt_status_string(st));
    if (!rc)
      rc = write_outputs(m, outs, o->out_dir);
    double median = 0, min = 0;
    if (!rc && o->bench)
      rc = bench(m, ins, outs, ws, &exec, o->bench, &median, &min);
    if (!rc && o->profile)
      print_profile(m, &prof, 1 + o->bench);
    if (!rc && o->bench) /* the last line, for scripts */
      printf("{\"median_ms\":%.6f,\"min_ms\":%.6f,\"runs\":%" PRIu32 "}\n", median / 1e6, min / 1e6,
             o->bench);
  }
  free(prof.total_ns);
  free(prof.calls);
  qcc_rt_pool_destroy(pool);
  qcc_rt_workspace_free(ws);
  return rc;
}

int main(int argc, char **argv) {
  const qcc_rt_model *m = qcc_exe_model;
  if (argc > 0 && argv[0] && argv[0][0])
    prog = argv[0];
  if (m->abi_version != qcc_runtime_abi_version())
    return input_error(NULL, "%s (model ABI %" PRIu32 ", runtime ABI %" PRIu32 ")",
                       qcc_rt_status_string(QCC_RT_ERR_ABI), m->abi_version,
                       qcc_runtime_abi_version());
  options o = {0};
  o.names = calloc((size_t)argc + 1, sizeof *o.names);
  o.files = calloc((size_t)argc + 1, sizeof *o.files);
  void **ins = calloc(m->num_inputs + 1, sizeof *ins);
  void **outs = calloc(m->num_outputs + 1, sizeof *outs);
  int rc;
  if (!o.names || !o.files || !ins || !outs)
    rc = input_error(NULL, "out of memory");
  else if ((rc = parse_args(argc, argv, &o)) == 0 && (rc = load_inputs(m, &o, ins)) == 0)
    rc = run_model(m, &o, ins, outs);
  if (rc < 0)
    rc = 0; /* --help */
  for (int k = 0; o.names && k < o.num_inputs; ++k)
    free((char *)o.names[k]);
  for (uint32_t i = 0; ins && i < m->num_inputs; ++i)
    free(ins[i]);
  for (uint32_t i = 0; outs && i < m->num_outputs; ++i)
    free(outs[i]);
  free(ins);
  free(outs);
  free(o.names);
  free(o.files);
  return rc;
}
