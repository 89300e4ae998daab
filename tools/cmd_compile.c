/* `qcc MODEL`: run the pass pipeline, then print the graph (--emit=qir|dot), write it as ONNX, or
 * generate code for a target (--emit=obj|asm|llvm|header), with clang/llc's target flags and
 * clang's -fsanitize=address. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "codegen/codegen.h"
#include "frontend/onnx_writer.h"
#include "ir/dot_printer.h"
#include "ir/printer.h"
#include "ir/verifier.h"
#include "tools/driver.h"
#include "tools/link_model.h"

typedef enum {
  EMIT_QIR,
  EMIT_ONNX,
  EMIT_DOT,
  EMIT_OBJ,
  EMIT_ASM,
  EMIT_LLVM,
  EMIT_HEADER,
  EMIT_EXE,
  EMIT_LIB
} emit_kind;

static const struct {
  const char *name;
  emit_kind kind;
} emit_kinds[] = {
    {"qir", EMIT_QIR},       {"onnx", EMIT_ONNX}, {"dot", EMIT_DOT},
    {"obj", EMIT_OBJ},       {"asm", EMIT_ASM},   {"llvm", EMIT_LLVM},
    {"header", EMIT_HEADER}, {"exe", EMIT_EXE},   {"lib", EMIT_LIB},
};

typedef struct compile_flags {
  const char *input, *output, *emit, *name;
  qcc_target_spec target;
  qcc_codegen_options codegen;
  bool target_flag;   /* -target, -mcpu or -mattr given */
  bool sanitize_flag; /* -fsanitize= given */
} compile_flags;

static bool ends_with(const char *s, const char *suffix) {
  size_t n = strlen(s), m = strlen(suffix);
  return n >= m && strcmp(s + n - m, suffix) == 0;
}

/* The value of `flag` in "flag=V", or in "flag V" (then *i moves past V); NULL if not this flag. */
static const char *flag_arg(const char *flag, int argc, char **argv, int *i, bool *missing) {
  const char *a = argv[*i];
  size_t n = strlen(flag);
  *missing = false;
  if (strncmp(a, flag, n) != 0)
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

/* -fsanitize=LIST (clang's spelling): a comma-separated list of which qcc knows `address`. */
static int parse_sanitize(compile_flags *f, const char *list) {
  const char *p = list;
  do {
    size_t n = strcspn(p, ",");
    if (n == 7 && strncmp(p, "address", 7) == 0)
      f->codegen.sanitize_address = true;
    else
      return qcc_driver_usage_error("unsupported -fsanitize= value '%.*s' (qcc supports address)",
                                    (int)n, p),
             -1;
    p += n;
  } while (*p++ == ',');
  f->sanitize_flag = true;
  return 0;
}

/* Parses the compile command's own flags; 1 consumed, 0 not one of them, -1 usage error. */
static int parse_flag(compile_flags *f, qcc_model_options *opts, int argc, char **argv, int *i) {
  const char *a = argv[*i], *v;
  bool missing;
  if ((v = flag_arg("-target", argc, argv, i, &missing)) || missing) {
    if (missing)
      return qcc_driver_usage_error("-target needs a triple"), -1;
    f->target.triple = v;
    f->target_flag = true;
  } else if (strncmp(a, "-mcpu=", 6) == 0) {
    f->target.cpu = a + 6;
    f->target_flag = true;
  } else if (strncmp(a, "-mattr=", 7) == 0) {
    f->target.features = a + 7;
    f->target_flag = true;
  } else if (strncmp(a, "-fsanitize=", 11) == 0) {
    if (parse_sanitize(f, a + 11) < 0)
      return -1;
  } else if ((v = flag_arg("--name", argc, argv, i, &missing)) || missing) {
    if (missing || !qcc_codegen_valid_prefix(v))
      return qcc_driver_usage_error("--name needs a C identifier, not '%s'", missing ? "" : v), -1;
    f->name = v;
  } else if (strncmp(a, "--emit=", 7) == 0) {
    f->emit = a + 7;
    bool known = false;
    for (size_t k = 0; k < sizeof emit_kinds / sizeof emit_kinds[0]; ++k)
      known = known || strcmp(f->emit, emit_kinds[k].name) == 0;
    if (!known)
      return qcc_driver_usage_error("unknown --emit kind '%s' (expected qir, onnx, dot, obj, asm, "
                                    "llvm, header, exe or "
                                    "lib)",
                                    f->emit),
             -1;
  } else if (strcmp(a, "-o") == 0) {
    if (++*i == argc)
      return qcc_driver_usage_error("-o needs a file name"), -1;
    f->output = argv[*i];
  } else if (strcmp(a, "--shape") == 0 || strncmp(a, "--shape=", 8) == 0) {
    const char *spec = a[7] == '=' ? a + 8 : (++*i < argc ? argv[*i] : NULL);
    if (!spec)
      return qcc_driver_usage_error("--shape needs NAME=AxBxC"), -1;
    if (!qcc_driver_add_shape(opts, spec))
      return qcc_driver_usage_error("bad --shape '%s' (expected NAME=AxBxC)", spec), -1;
  } else {
    return 0;
  }
  return 1;
}

/* Without --emit: an object when -o names one or a target flag is given (like `clang -c`), else
 * the graph as .qir. */
static emit_kind emit_of(const compile_flags *f) {
  if (!f->emit)
    return (f->output && ends_with(f->output, ".o")) || f->target_flag || f->sanitize_flag
               ? EMIT_OBJ
               : EMIT_QIR;
  for (size_t k = 0; k < sizeof emit_kinds / sizeof emit_kinds[0]; ++k)
    if (strcmp(f->emit, emit_kinds[k].name) == 0)
      return emit_kinds[k].kind;
  return EMIT_QIR;
}

/* --emit=qir|dot|header: text to the output file or stdout. */
static int write_text(qcc_graph *g, emit_kind kind, const char *output, const char *prefix,
                      qcc_diag *diag) {
  FILE *out = output && strcmp(output, "-") != 0 ? fopen(output, "w") : stdout;
  if (!out) {
    qcc_diag_error(diag, (qcc_loc){.file = output}, "cannot open for writing");
    return QCC_EXIT_BAD_INPUT;
  }
  int rc = QCC_EXIT_OK;
  if (kind == EMIT_DOT)
    qcc_print_dot(out, g);
  else if (kind == EMIT_HEADER)
    rc =
        qcc_codegen_write_header(g, prefix, out, diag) == QCC_OK ? QCC_EXIT_OK : QCC_EXIT_BAD_INPUT;
  else
    qcc_print_graph(out, g);
  if ((out != stdout ? fclose(out) : fflush(out)) != 0) {
    qcc_diag_error(diag, (qcc_loc){.file = output ? output : "<stdout>"}, "write failed");
    rc = QCC_EXIT_BAD_INPUT;
  }
  return rc;
}

static int generate(qcc_graph *g, const qcc_target *t, const qcc_codegen_options *opts,
                    emit_kind kind, const char *output, const char *prefix, FILE *stats,
                    qcc_diag *diag) {
  if (kind == EMIT_EXE || kind == EMIT_LIB) {
    /* The object as PREFIX.o in a temporary folder (its name is the library member's), then
     * linked with the runtime. */
    char dir[4096], object[4096 + 300];
    const char *tmp = getenv("TMPDIR");
    if (snprintf(dir, sizeof dir, "%s/qcc-XXXXXX", tmp && *tmp ? tmp : "/tmp") >= (int)sizeof dir ||
        !mkdtemp(dir) ||
        snprintf(object, sizeof object, "%s/%s.o", dir, prefix) >= (int)sizeof object) {
      qcc_diag_error(diag, (qcc_loc){0}, "cannot create a temporary folder");
      return QCC_EXIT_BAD_INPUT;
    }
    int rc = generate(g, t, opts, EMIT_OBJ, object, prefix, stats, diag);
    if (rc == QCC_EXIT_OK)
      rc = kind == EMIT_EXE ? qcc_link_exe(object, prefix, qcc_target_triple(t),
                                           opts->sanitize_address, output, diag)
                            : qcc_link_lib(object, qcc_target_triple(t), output, diag);
    remove(object);
    rmdir(dir);
    return rc;
  }
  qcc_codegen_output out = kind == EMIT_OBJ   ? QCC_OUTPUT_OBJ
                           : kind == EMIT_ASM ? QCC_OUTPUT_ASM
                                              : QCC_OUTPUT_LLVM;
  qcc_status st = qcc_codegen_emit(g, t, opts, prefix, out, output, stats, diag);
  return st == QCC_OK ? QCC_EXIT_OK : st == QCC_ERR_USAGE ? QCC_EXIT_USAGE : QCC_EXIT_BAD_INPUT;
}

int qcc_cmd_compile(int argc, char **argv) {
  compile_flags f = {0};
  qcc_model_options opts = {0};
  qcc_pass_flags passes = {.opt_level = -1};
  for (int i = 1; i < argc; ++i) {
    const char *a = argv[i];
    int taken = qcc_pass_flags_parse(&passes, argc, argv, &i);
    if (taken == 0)
      taken = parse_flag(&f, &opts, argc, argv, &i);
    if (taken < 0)
      return QCC_EXIT_USAGE;
    if (taken > 0)
      continue;
    if (a[0] == '-' && a[1] != '\0')
      return qcc_driver_usage_error("unknown option '%s'", a);
    if (f.input)
      return qcc_driver_usage_error("more than one input file ('%s' and '%s')", f.input, a);
    f.input = a;
  }
  if (!f.input)
    return qcc_driver_usage_error("no input file");
  emit_kind kind = emit_of(&f);
  if (kind == EMIT_ONNX && !f.output)
    return qcc_driver_usage_error("--emit=onnx needs -o FILE");
  bool codegen = kind == EMIT_OBJ || kind == EMIT_ASM || kind == EMIT_LLVM || kind == EMIT_EXE ||
                 kind == EMIT_LIB;
  if (f.target_flag && !codegen)
    return qcc_driver_usage_error(
        "-target, -mcpu and -mattr need --emit=obj, asm, llvm, exe or lib");
  if (f.sanitize_flag && !codegen)
    return qcc_driver_usage_error("-fsanitize= needs --emit=obj, asm, llvm, exe or lib");
  char prefix[256], object[4096];
  if (f.name)
    snprintf(prefix, sizeof prefix, "%s", f.name);
  else
    qcc_codegen_default_prefix(f.input, prefix, sizeof prefix);
  if (kind == EMIT_OBJ && !f.output) { /* MODEL.onnx -> MODEL.o in the current directory */
    const char *base = strrchr(f.input, '/');
    base = base ? base + 1 : f.input;
    const char *dot = strrchr(base, '.');
    snprintf(object, sizeof object, "%.*s.o",
             (int)(dot && dot != base ? dot - base : (long)strlen(base)), base);
    f.output = object;
  }
  if ((kind == EMIT_EXE || kind == EMIT_LIB) && !f.output) { /* MODEL.onnx -> MODEL, libMODEL.a */
    const char *base = strrchr(f.input, '/');
    base = base ? base + 1 : f.input;
    const char *dot = strrchr(base, '.');
    int len = (int)(dot && dot != base ? dot - base : (long)strlen(base));
    snprintf(object, sizeof object, kind == EMIT_EXE ? "%.*s" : "lib%.*s.a", len, base);
    f.output = object;
  }
  if ((kind == EMIT_OBJ || kind == EMIT_EXE || kind == EMIT_LIB) && strcmp(f.output, "-") == 0)
    return qcc_driver_usage_error("--emit=%s writes a file: give -o FILE", f.emit ? f.emit : "obj");
  /* -O selects LLVM's level too; without it, as with clang, nothing is optimized. */
  f.target.opt_level = passes.opt_level < 0 ? 0 : passes.opt_level;

  qcc_diag *diag = qcc_diag_create(stderr);
  if (!diag)
    return QCC_EXIT_BAD_INPUT;
  /* The target first: a wrong -target, -mcpu or -mattr is reported before the model is read. */
  qcc_target *t = NULL;
  if (codegen) {
    qcc_status ts = qcc_target_create(&f.target, diag, &t);
    if (ts != QCC_OK) {
      qcc_diag_destroy(diag);
      return ts == QCC_ERR_USAGE ? QCC_EXIT_USAGE : QCC_EXIT_BAD_INPUT;
    }
  }
  qcc_graph *g = NULL;
  qcc_status st = qcc_driver_load_model(f.input, &opts, diag, &g);
  if (st == QCC_OK && (st = qcc_pass_flags_run(g, &passes, diag)) == QCC_OK)
    st = qcc_verify_graph(g, diag);
  int rc = st == QCC_OK ? QCC_EXIT_OK : st == QCC_ERR_USAGE ? QCC_EXIT_USAGE : QCC_EXIT_BAD_INPUT;
  if (st == QCC_OK) {
    if (kind == EMIT_ONNX)
      rc = qcc_write_onnx_file(g, f.output, diag) == QCC_OK ? QCC_EXIT_OK : QCC_EXIT_BAD_INPUT;
    else if (codegen)
      rc = generate(g, t, &f.codegen, kind, f.output, prefix, passes.stats ? stderr : NULL, diag);
    else
      rc = write_text(g, kind, f.output, prefix, diag);
  }
  qcc_target_destroy(t);
  qcc_graph_destroy(g);
  qcc_diag_destroy(diag);
  return rc;
}
