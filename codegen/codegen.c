/* qcc_codegen_emit: build the module, verify it, run LLVM's pass pipeline, write the output. */
#include "codegen/codegen.h"

#include <llvm-c/Analysis.h>
#include <llvm-c/Core.h>
#include <llvm-c/Error.h>
#include <llvm-c/Target.h>
#include <llvm-c/TargetMachine.h>
#include <llvm-c/Transforms/PassBuilder.h>
#include <stdlib.h>
#include <string.h>

#include "codegen/module.h"
#include "codegen/target_internal.h"

static bool ident_char(char c, bool first) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' ||
         (!first && c >= '0' && c <= '9');
}

bool qcc_codegen_valid_prefix(const char *s) {
  if (!s || !*s)
    return false;
  for (size_t i = 0; s[i]; ++i)
    if (!ident_char(s[i], i == 0))
      return false;
  return true;
}

void qcc_codegen_default_prefix(const char *path, char *buf, size_t cap) {
  const char *base = strrchr(path, '/');
  base = base ? base + 1 : path;
  const char *dot = strrchr(base, '.');
  size_t n = dot && dot != base ? (size_t)(dot - base) : strlen(base);
  size_t o = 0;
  if (cap < 2)
    return;
  if (n == 0 || (base[0] >= '0' && base[0] <= '9'))
    buf[o++] = '_';
  for (size_t i = 0; i < n && o + 1 < cap; ++i)
    buf[o++] = ident_char(base[i], false) ? base[i] : '_';
  buf[o] = '\0';
}

static qcc_status internal_error(qcc_diag *diag, const char *what, char *msg) {
  qcc_diag_error(diag, (qcc_loc){0}, "internal error: %s: %s", what, msg ? msg : "");
  if (msg)
    LLVMDisposeMessage(msg);
  return QCC_ERR_INPUT;
}

static qcc_status write_bytes(const char *path, const char *data, size_t n, qcc_diag *diag) {
  bool to_stdout = !path || strcmp(path, "-") == 0;
  FILE *f = to_stdout ? stdout : fopen(path, "wb");
  if (!f) {
    qcc_diag_error(diag, (qcc_loc){.file = path}, "cannot open for writing");
    return QCC_ERR_IO;
  }
  bool ok = fwrite(data, 1, n, f) == n;
  ok = (to_stdout ? fflush(f) : fclose(f)) == 0 && ok;
  if (!ok) {
    qcc_diag_error(diag, (qcc_loc){.file = to_stdout ? "<stdout>" : path}, "write failed");
    return QCC_ERR_IO;
  }
  return QCC_OK;
}

/* ---- -fsanitize=address ----
 * ASan leaves a global aligned beyond its minimum global redzone (32 bytes) uninstrumented. The
 * 64-byte alignment of the constant tables is a performance choice, so under the sanitizer it is
 * capped at 32, and so is every alignment the IR claims (loads, stores, pointer attributes, the
 * masked memory intrinsics' operand) before LLVM's passes, so that none promises more than the
 * globals give. A weaker alignment claim never changes a result. */
enum { ASAN_MAX_ALIGN = 32 };

static unsigned align_kind(void) { return LLVMGetEnumAttributeKindForName("align", 5); }

/* Caps the `align` attribute at `idx` of a function (call NULL) or of a call site. */
static void cap_align_attr(LLVMContextRef ctx, LLVMValueRef fn, LLVMValueRef call,
                           LLVMAttributeIndex idx) {
  unsigned kind = align_kind();
  LLVMAttributeRef a = call ? LLVMGetCallSiteEnumAttribute(call, idx, kind)
                            : LLVMGetEnumAttributeAtIndex(fn, idx, kind);
  if (!a || LLVMGetEnumAttributeValue(a) <= ASAN_MAX_ALIGN)
    return;
  LLVMAttributeRef capped = LLVMCreateEnumAttribute(ctx, kind, ASAN_MAX_ALIGN);
  if (call) {
    LLVMRemoveCallSiteEnumAttribute(call, idx, kind);
    LLVMAddCallSiteAttribute(call, idx, capped);
  } else {
    LLVMRemoveEnumAttributeAtIndex(fn, idx, kind);
    LLVMAddAttributeAtIndex(fn, idx, capped);
  }
}

/* The alignment operand of llvm.masked.load (1) and llvm.masked.store (2), capped. */
static void cap_masked_align(LLVMContextRef ctx, LLVMValueRef call) {
  LLVMValueRef callee = LLVMGetCalledValue(call);
  unsigned id = callee && LLVMIsAFunction(callee) ? LLVMGetIntrinsicID(callee) : 0;
  if (id == 0)
    return;
  unsigned operand;
  if (id == LLVMLookupIntrinsicID("llvm.masked.load", 16))
    operand = 1;
  else if (id == LLVMLookupIntrinsicID("llvm.masked.store", 17))
    operand = 2;
  else
    return;
  LLVMValueRef align = LLVMGetOperand(call, operand);
  if (LLVMIsAConstantInt(align) && LLVMConstIntGetZExtValue(align) > ASAN_MAX_ALIGN)
    LLVMSetOperand(call, operand, LLVMConstInt(LLVMInt32TypeInContext(ctx), ASAN_MAX_ALIGN, 0));
}

static void cap_instruction_aligns(LLVMContextRef ctx, LLVMValueRef fn) {
  for (LLVMBasicBlockRef bb = LLVMGetFirstBasicBlock(fn); bb; bb = LLVMGetNextBasicBlock(bb))
    for (LLVMValueRef in = LLVMGetFirstInstruction(bb); in; in = LLVMGetNextInstruction(in)) {
      LLVMOpcode op = LLVMGetInstructionOpcode(in);
      if ((op == LLVMLoad || op == LLVMStore) && LLVMGetAlignment(in) > ASAN_MAX_ALIGN)
        LLVMSetAlignment(in, ASAN_MAX_ALIGN);
      if (op != LLVMCall)
        continue;
      cap_masked_align(ctx, in);
      unsigned n = LLVMGetNumArgOperands(in);
      for (unsigned k = 0; k <= n; ++k) /* 0: the result, 1..n: the arguments */
        cap_align_attr(ctx, NULL, in, k);
    }
}

/* Marks every function the module defines `sanitize_address` (with frame pointers, which ASan's
 * reports unwind through) and caps the module's alignments; the pass runs after the -O pipeline. */
static void prepare_asan(LLVMModuleRef mod) {
  LLVMContextRef ctx = LLVMGetModuleContext(mod);
  unsigned sanitize = LLVMGetEnumAttributeKindForName("sanitize_address", 16);
  for (LLVMValueRef g = LLVMGetFirstGlobal(mod); g; g = LLVMGetNextGlobal(g))
    if (LLVMGetInitializer(g) && LLVMGetAlignment(g) > ASAN_MAX_ALIGN)
      LLVMSetAlignment(g, ASAN_MAX_ALIGN);
  for (LLVMValueRef fn = LLVMGetFirstFunction(mod); fn; fn = LLVMGetNextFunction(fn)) {
    unsigned n = LLVMCountParams(fn);
    for (unsigned k = 0; k <= n; ++k)
      cap_align_attr(ctx, fn, NULL, k);
    if (LLVMIsDeclaration(fn))
      continue;
    LLVMAddAttributeAtIndex(fn, LLVMAttributeFunctionIndex,
                            LLVMCreateEnumAttribute(ctx, sanitize, 0));
    LLVMAddAttributeAtIndex(fn, LLVMAttributeFunctionIndex,
                            LLVMCreateStringAttribute(ctx, "frame-pointer", 13, "all", 3));
    cap_instruction_aligns(ctx, fn);
  }
}

static qcc_status optimize(LLVMModuleRef mod, const qcc_target *t, bool asan, qcc_diag *diag) {
  /* The kernels arrive vectorized, blocked and with their loops marked: above -O1, LLVM's O2/O3
   * pipelines add compile time (about 0.7 s of 2.7 s on mobilenetv2_qdq) and no speed (measured,
   * docs/performance.md). -O2 and -O3 run O1 plus the loop vectorizer, for the float kernels'
   * plain loops; code generation keeps the -O level. */
  char passes[128];
  int level = qcc_target_opt_level(t);
  snprintf(passes, sizeof passes, "%s%s",
           level <= 0 ? "default<O0>"
           : level == 1
               ? "default<O1>"
               : "default<O1>,function(loop-vectorize,instcombine<no-verify-fixpoint>,simplifycfg)",
           asan ? ",asan" : "");
  LLVMPassBuilderOptionsRef opts = LLVMCreatePassBuilderOptions();
  LLVMErrorRef err = LLVMRunPasses(mod, passes, qcc_target_machine(t), opts);
  LLVMDisposePassBuilderOptions(opts);
  if (err)
    return internal_error(diag, "LLVM passes", LLVMGetErrorMessage(err));
  return QCC_OK;
}

static qcc_status emit_module(LLVMModuleRef mod, const qcc_target *t, qcc_codegen_output kind,
                              const char *path, qcc_diag *diag) {
  if (kind == QCC_OUTPUT_LLVM) {
    char *text = LLVMPrintModuleToString(mod);
    qcc_status st = write_bytes(path, text, strlen(text), diag);
    LLVMDisposeMessage(text);
    return st;
  }
  char *err = NULL;
  LLVMMemoryBufferRef buf = NULL;
  if (LLVMTargetMachineEmitToMemoryBuffer(
          qcc_target_machine(t), mod, kind == QCC_OUTPUT_OBJ ? LLVMObjectFile : LLVMAssemblyFile,
          &err, &buf))
    return internal_error(diag, "LLVM code generation", err);
  qcc_status st = write_bytes(path, LLVMGetBufferStart(buf), LLVMGetBufferSize(buf), diag);
  LLVMDisposeMemoryBuffer(buf);
  return st;
}

/* CLOCK_MONOTONIC of the target's C library, for per-kernel timing: Linux and Android 1, Apple
 * platforms 6; -1 (no timing) elsewhere and for 32-bit targets, whose struct timespec differs. */
static int monotonic_clock(const char *triple, LLVMTargetDataRef td) {
  if (LLVMPointerSize(td) != 8)
    return -1;
  if (strstr(triple, "apple") || strstr(triple, "darwin") || strstr(triple, "ios") ||
      strstr(triple, "macos"))
    return 6;
  return strstr(triple, "linux") ? 1 : -1;
}

/* The lowerings' "qcc.stats" strings (one MDNode of one MDString each), in kernel order. */
static void print_stats(LLVMModuleRef mod, FILE *out) {
  unsigned n = LLVMGetNamedMetadataNumOperands(mod, "qcc.stats");
  if (!n)
    return;
  LLVMValueRef *nodes = malloc(n * sizeof *nodes);
  if (!nodes)
    return;
  LLVMGetNamedMetadataOperands(mod, "qcc.stats", nodes);
  for (unsigned i = 0; i < n; ++i) {
    LLVMValueRef str;
    if (LLVMGetMDNodeNumOperands(nodes[i]) != 1)
      continue;
    LLVMGetMDNodeOperands(nodes[i], &str);
    unsigned len = 0;
    const char *s = LLVMGetMDString(str, &len);
    if (s)
      fprintf(out, "stats: kernel: %.*s\n", (int)len, s);
  }
  free(nodes);
}

qcc_status qcc_codegen_emit(qcc_graph *g, const qcc_target *t, const qcc_codegen_options *opts,
                            const char *prefix, qcc_codegen_output kind, const char *path,
                            FILE *stats, qcc_diag *diag) {
  bool asan = opts && opts->sanitize_address;
  LLVMTargetMachineRef tm = qcc_target_machine(t);
  LLVMTargetDataRef td = LLVMCreateTargetDataLayout(tm);
  if (LLVMByteOrder(td) != LLVMLittleEndian) {
    LLVMDisposeTargetData(td);
    qcc_diag_error(diag, (qcc_loc){0}, "target '%s' is big-endian; qcc emits little-endian data",
                   qcc_target_triple(t));
    return QCC_ERR_USAGE;
  }
  LLVMContextRef ctx = LLVMContextCreate();
  qcc_module m;
  const char *triple = qcc_target_triple(t);
  qcc_isa isa;
  qcc_isa_resolve(&isa, triple, qcc_target_cpu(t), qcc_target_features(t));
  qcc_status st =
      qcc_module_build(&m, g, ctx, prefix, triple, &isa, td, monotonic_clock(triple, td), diag);
  LLVMModuleRef mod = m.cg.mod;
  char *msg = NULL;
  if (st == QCC_OK && LLVMVerifyModule(mod, LLVMReturnStatusAction, &msg))
    st = internal_error(diag, "the generated module does not verify", msg);
  else if (msg)
    LLVMDisposeMessage(msg);
  if (st == QCC_OK && asan)
    prepare_asan(mod);
  if (st == QCC_OK && stats)
    print_stats(mod, stats);
  if (st == QCC_OK)
    st = optimize(mod, t, asan, diag);
  if (st == QCC_OK)
    st = emit_module(mod, t, kind, path, diag);
  qcc_module_dispose(&m);
  if (mod)
    LLVMDisposeModule(mod);
  LLVMDisposeTargetData(td);
  LLVMContextDispose(ctx);
  return st;
}
