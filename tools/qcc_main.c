/* qcc: the compiler driver. Exit status: 0 success, 1 bad input, 2 bad usage. */
#include <stdio.h>
#include <string.h>

#include "codegen/targets.h"
#include "frontend/onnx_writer.h"
#include "ir/dot_printer.h"
#include "ir/printer.h"
#include "ir/verifier.h"
#include "tools/driver.h"

static const char usage_text[] =
    "usage: qcc [options] MODEL.{qir,onnx}\n"
    "       qcc run MODEL.{qir,onnx} [--shape NAME=AxB...] --input NAME=FILE ... --output-dir DIR\n"
    "\n"
    "Compiles a quantized model. MODEL is a .qir graph or an ONNX model.\n"
    "\n"
    "options:\n"
    "  --emit=qir          print the graph as .qir (default)\n"
    "  --emit=onnx         write the graph as an ONNX model (needs -o)\n"
    "  --emit=dot          draw the graph for Graphviz, with each value's type and quantization\n"
    "  -o FILE             output file (default: standard output for --emit=qir)\n"
    "  -O0 .. -O3          run the pass pipeline of that level (docs/passes.md; -O0: none)\n"
    "  --passes=A,B,...    run exactly these passes, in this order\n"
    "  --qdq-fusion        ONNX Runtime's pipeline: constant-fold,qdq-fusion\n"
    "  --verify-each       verify the graph after every pass\n"
    "  --print-before=P    print the graph before pass P (to stderr)\n"
    "  --print-after=P     print the graph after pass P (to stderr)\n"
    "  --print-after-all   print the graph after every pass (to stderr)\n"
    "  --time-passes       report each pass's time (to stderr)\n"
    "  --stats             ops by kind before and after, what each pass did, the memory plan\n"
    "                      (stderr)\n"
    "  --no-residual-quant leave the residual-quant pass out of the pipeline\n"
    "  --print-memory-plan each intermediate's arena offset, size and live range (stderr)\n"
    "  --report=quant      list each float op left inside the quantized region and each Q/DQ\n"
    "                      left between ops, with the reason and a fix (stderr)\n"
    "  -Werror=float-fallback  make each such finding an error (exit status 1)\n"
    "  --shape NAME=AxBxC  bind the shape of ONNX input NAME, or a symbolic dim NAME (repeatable)\n"
    "  --dim NAME=VALUE    give the symbolic dim NAME the size VALUE and re-infer the types\n"
    "                      (any model; repeatable)\n"
    "  --version           print version information\n"
    "  --help              print this help\n"
    "\n"
    "qcc run evaluates the model with the reference interpreter, after --qdq-fusion unless\n"
    "--no-fusion or a pass flag is given (--no-fusion: every node runs with its own ONNX\n"
    "semantics). It takes the pass flags above. Inputs are .npy files or ONNX\n"
    "TensorProto .pb files; a model with one input also takes a bare FILE. Every output is\n"
    "written to DIR/<name>.npy, with characters outside [A-Za-z0-9_.-] in <name> replaced by "
    "'_'.\n";

static int print_version(void) {
  char llvm[32], targets[128];
  qcc_codegen_llvm_version(llvm, sizeof llvm);
  qcc_codegen_supported_targets(targets, sizeof targets);
  printf("qcc version %s\nLLVM %s (targets: %s)\n", QCC_VERSION, llvm, targets);
  return QCC_EXIT_OK;
}

int qcc_cmd_compile(int argc, char **argv) {
  const char *input = NULL, *output = NULL, *emit = "qir";
  qcc_model_options opts = {0};
  qcc_pass_flags passes = {.opt_level = -1};
  for (int i = 1; i < argc; ++i) {
    const char *a = argv[i];
    int taken = qcc_pass_flags_parse(&passes, argc, argv, &i);
    if (taken < 0) {
      return QCC_EXIT_USAGE;
    } else if (taken > 0) {
      continue;
    } else if (strncmp(a, "--emit=", 7) == 0) {
      emit = a + 7;
      if (strcmp(emit, "qir") != 0 && strcmp(emit, "onnx") != 0 && strcmp(emit, "dot") != 0)
        return qcc_driver_usage_error("unknown --emit kind '%s' (expected qir, onnx or dot)", emit);
    } else if (strcmp(a, "-o") == 0) {
      if (++i == argc)
        return qcc_driver_usage_error("-o needs a file name");
      output = argv[i];
    } else if (strcmp(a, "--shape") == 0 || strncmp(a, "--shape=", 8) == 0) {
      const char *spec = a[7] == '=' ? a + 8 : (++i < argc ? argv[i] : NULL);
      if (!spec)
        return qcc_driver_usage_error("--shape needs NAME=AxBxC");
      if (!qcc_driver_add_shape(&opts, spec))
        return qcc_driver_usage_error("bad --shape '%s' (expected NAME=AxBxC)", spec);
    } else if (a[0] == '-' && a[1] != '\0') {
      return qcc_driver_usage_error("unknown option '%s'", a);
    } else if (input) {
      return qcc_driver_usage_error("more than one input file ('%s' and '%s')", input, a);
    } else {
      input = a;
    }
  }
  if (!input)
    return qcc_driver_usage_error("no input file");
  bool onnx_out = strcmp(emit, "onnx") == 0;
  if (onnx_out && !output)
    return qcc_driver_usage_error("--emit=onnx needs -o FILE");

  qcc_diag *diag = qcc_diag_create(stderr);
  if (!diag)
    return QCC_EXIT_BAD_INPUT;
  qcc_graph *g = NULL;
  qcc_status st = qcc_driver_load_model(input, &opts, diag, &g);
  if (st == QCC_OK && (st = qcc_pass_flags_run(g, &passes, diag)) == QCC_OK)
    st = qcc_verify_graph(g, diag);
  int rc = st == QCC_OK ? QCC_EXIT_OK : st == QCC_ERR_USAGE ? QCC_EXIT_USAGE : QCC_EXIT_BAD_INPUT;
  if (st == QCC_OK && onnx_out) {
    if (qcc_write_onnx_file(g, output, diag) != QCC_OK)
      rc = QCC_EXIT_BAD_INPUT;
  } else if (st == QCC_OK) {
    FILE *out = output && strcmp(output, "-") != 0 ? fopen(output, "w") : stdout;
    if (!out) {
      qcc_diag_error(diag, (qcc_loc){.file = output}, "cannot open for writing");
      rc = QCC_EXIT_BAD_INPUT;
    } else {
      if (strcmp(emit, "dot") == 0)
        qcc_print_dot(out, g);
      else
        qcc_print_graph(out, g);
      if ((out != stdout ? fclose(out) : fflush(out)) != 0) {
        qcc_diag_error(diag, (qcc_loc){.file = output ? output : "<stdout>"}, "write failed");
        rc = QCC_EXIT_BAD_INPUT;
      }
    }
  }
  qcc_graph_destroy(g);
  qcc_diag_destroy(diag);
  return rc;
}

int main(int argc, char **argv) {
  if (argc >= 2 && strcmp(argv[1], "run") == 0)
    return qcc_cmd_run(argc - 1, argv + 1);
  for (int i = 1; i < argc; ++i) {
    if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
      fputs(usage_text, stdout);
      fputs("\npasses (for --passes, --print-before, --print-after):\n", stdout);
      for (size_t k = 0; k < qcc_pass_count_registered(); ++k)
        printf("  %-19s %s\n", qcc_pass_at(k)->name, qcc_pass_at(k)->summary);
      return QCC_EXIT_OK;
    }
    if (strcmp(argv[i], "--version") == 0)
      return print_version();
  }
  return qcc_cmd_compile(argc, argv);
}
