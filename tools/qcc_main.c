/* qcc: the compiler driver. Exit status: 0 success, 1 bad input, 2 bad usage. */
#include <stdio.h>
#include <string.h>

#include "codegen/targets.h"
#include "tools/driver.h"

static const char usage_text[] =
    "usage: qcc [options] MODEL.{qir,onnx}\n"
    "       qcc run MODEL.{qir,onnx} [--shape NAME=AxB...] --input NAME=FILE ... --output-dir DIR\n"
    "       qcc quantize FLOAT.{qir,onnx} --calib [NAME=]FILE.npy ... -o OUT.{onnx,qir}\n"
    "                    [--activations uint8|int8] [--symmetric] [--per-tensor-weights]\n"
    "                    [--keep-float NODE]... [--batch N] [--method max]\n"
    "                    [--report] [--report-json FILE] [--report-samples N]\n"
    "\n"
    "Compiles a quantized model. MODEL is a .qir graph or an ONNX model.\n"
    "\n"
    "options:\n"
    "  --emit=qir          print the graph as .qir (default, unless -o FILE.o or a target flag)\n"
    "  --emit=onnx         write the graph as an ONNX model (needs -o)\n"
    "  --emit=dot          draw the graph for Graphviz, with each value's type and quantization\n"
    "  --emit=obj          generate code: an object file (default for -o FILE.o; without -o,\n"
    "                      MODEL.o)\n"
    "  --emit=asm          generate code: the target's assembly\n"
    "  --emit=llvm         generate code: LLVM IR after LLVM's passes\n"
    "  --emit=header       the C header of the generated code (PREFIX_run, PREFIX_model, ...)\n"
    "  --emit=exe          an executable: the model linked with the runtime and its driver\n"
    "                      (./m --input NAME=FILE.npy --output-dir DIR [--bench N] [--threads T])\n"
    "  --emit=lib          a static library: the model and the runtime\n"
    "  -o FILE             output file (default: standard output, except for objects)\n"
    "  -target TRIPLE      target of the generated code (default: the host), e.g.\n"
    "                      x86_64-linux-gnu, aarch64-linux-gnu, aarch64-linux-android,\n"
    "                      arm64-apple-ios; short forms x86_64, aarch64, arm64\n"
    "  -mcpu=NAME|native   CPU to generate code for (default: the target's generic CPU)\n"
    "  -mattr=+a,-b        CPU features to enable or disable\n"
    "  --name PREFIX       symbol prefix of the generated code (default: the model file's name)\n"
    "  -fsanitize=address  instrument the generated code with AddressSanitizer (exe links its\n"
    "                      runtime; link objects and libraries with cc -fsanitize=address)\n"
    "  -O0 .. -O3          run the pass pipeline of that level (docs/passes.md; -O0: none) and\n"
    "                      LLVM's optimizations of that level\n"
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

int main(int argc, char **argv) {
  if (argc >= 2 && strcmp(argv[1], "run") == 0)
    return qcc_cmd_run(argc - 1, argv + 1);
  if (argc >= 2 && strcmp(argv[1], "quantize") == 0)
    return qcc_cmd_quantize(argc - 1, argv + 1);
  for (int i = 1; i < argc; ++i) {
    if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
      fputs(usage_text, stdout);
      fputs("\npasses (for --passes, --print-before, --print-after):\n", stdout);
      for (size_t k = 0; k < qcc_pass_count_registered(); ++k)
        printf("  %-20s %s\n", qcc_pass_at(k)->name, qcc_pass_at(k)->summary);
      return QCC_EXIT_OK;
    }
    if (strcmp(argv[i], "--version") == 0)
      return print_version();
  }
  return qcc_cmd_compile(argc, argv);
}
