/* Target resolution: -target (full triples and short forms), -mcpu (names and "native"), -mattr,
 * and LLVM's target machine for them. */
#include "codegen/targets.h"

#include <llvm-c/Core.h>
#include <llvm-c/Target.h>
#include <llvm-c/TargetMachine.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "codegen/target_internal.h"

struct qcc_target {
  char *triple, *cpu, *features;
  int opt_level;
  LLVMTargetMachineRef tm;
};

void qcc_codegen_llvm_version(char *buf, size_t cap) {
  unsigned major = 0, minor = 0, patch = 0;
  LLVMGetVersion(&major, &minor, &patch);
  snprintf(buf, cap, "%u.%u.%u", major, minor, patch);
}

void qcc_codegen_supported_targets(char *buf, size_t cap) {
  LLVMInitializeAllTargetInfos();
  static const char *const wanted[] = {"x86-64", "aarch64"};
  buf[0] = '\0';
  size_t used = 0;
  for (size_t i = 0; i < sizeof wanted / sizeof wanted[0]; ++i) {
    if (!LLVMGetTargetFromName(wanted[i]))
      continue;
    int n = snprintf(buf + used, cap - used, "%s%s", used ? ", " : "", wanted[i]);
    if (n < 0 || (size_t)n >= cap - used)
      break;
    used += (size_t)n;
  }
}

/* The short forms users type, as clang reads them: an architecture alone means its Linux. */
static const char *expand_short_triple(const char *t) {
  static const struct {
    const char *alias, *triple;
  } forms[] = {
      {"x86_64", "x86_64-linux-gnu"}, {"x86-64", "x86_64-linux-gnu"},
      {"amd64", "x86_64-linux-gnu"},  {"aarch64", "aarch64-linux-gnu"},
      {"arm64", "aarch64-linux-gnu"},
  };
  for (size_t i = 0; i < sizeof forms / sizeof forms[0]; ++i)
    if (strcmp(t, forms[i].alias) == 0)
      return forms[i].triple;
  return t;
}

/* The architecture of a triple as LLVM names its target ("arm64" is "aarch64"). */
static void triple_arch(const char *triple, char *buf, size_t cap) {
  size_t n = strcspn(triple, "-");
  if (n >= cap)
    n = cap - 1;
  memcpy(buf, triple, n);
  buf[n] = '\0';
  if (strcmp(buf, "arm64") == 0)
    snprintf(buf, cap, "aarch64");
}

static char *dup_string(const char *s) {
  size_t n = strlen(s) + 1;
  char *d = malloc(n);
  if (d)
    memcpy(d, s, n);
  return d;
}

/* Every comma-separated entry of an -mattr string starts with '+' or '-'. */
static bool features_well_formed(const char *f, char *bad, size_t cap) {
  while (*f) {
    size_t n = strcspn(f, ",");
    if (n == 0 || (f[0] != '+' && f[0] != '-') || n == 1) {
      snprintf(bad, cap, "%.*s", (int)n, f);
      return false;
    }
    f += n;
    if (*f == ',')
      ++f;
  }
  return true;
}

/* LLVM reports an unknown CPU or feature only as a warning on stderr while it creates the target
 * machine (and then ignores the name). The warning is captured here so that a misspelt -mcpu or
 * -mattr is the usage error it is for clang and llc, not silently generic code. */
static LLVMTargetMachineRef create_checked(LLVMTargetRef target, const qcc_target *t,
                                           char *captured, size_t cap) {
  LLVMCodeGenOptLevel level = t->opt_level <= 0   ? LLVMCodeGenLevelNone
                              : t->opt_level == 1 ? LLVMCodeGenLevelLess
                              : t->opt_level == 2 ? LLVMCodeGenLevelDefault
                                                  : LLVMCodeGenLevelAggressive;
  captured[0] = '\0';
  fflush(stderr);
  FILE *sink = tmpfile();
  int saved = sink ? dup(STDERR_FILENO) : -1;
  if (saved >= 0 && dup2(fileno(sink), STDERR_FILENO) < 0) {
    close(saved);
    saved = -1;
  }
  LLVMTargetMachineRef tm = LLVMCreateTargetMachine(target, t->triple, t->cpu, t->features, level,
                                                    LLVMRelocPIC, LLVMCodeModelDefault);
  if (saved >= 0) {
    fflush(stderr);
    dup2(saved, STDERR_FILENO);
    close(saved);
    rewind(sink);
    size_t n = fread(captured, 1, cap - 1, sink);
    captured[n] = '\0';
  }
  if (sink)
    fclose(sink);
  return tm;
}

/* The quoted name of the first "'NAME' is not a recognized KIND" warning, if any. */
static bool unrecognized(const char *captured, const char *kind, char *name, size_t cap) {
  char pattern[64];
  snprintf(pattern, sizeof pattern, "' is not a recognized %s", kind);
  const char *at = strstr(captured, pattern);
  if (!at)
    return false;
  const char *start = at;
  while (start > captured && start[-1] != '\'')
    --start;
  snprintf(name, cap, "%.*s", (int)(at - start), start);
  return true;
}

static qcc_status usage(qcc_diag *diag, qcc_target *t, const char *fmt, const char *a,
                        const char *b) {
  char msg[512];
  snprintf(msg, sizeof msg, fmt, a, b);
  qcc_diag_error(diag, (qcc_loc){0}, "%s", msg);
  qcc_target_destroy(t);
  return QCC_ERR_USAGE;
}

qcc_status qcc_target_create(const qcc_target_spec *spec, qcc_diag *diag, qcc_target **out) {
  *out = NULL;
  LLVMInitializeAllTargetInfos();
  LLVMInitializeAllTargets();
  LLVMInitializeAllTargetMCs();
  LLVMInitializeAllAsmPrinters();
  qcc_target *t = calloc(1, sizeof *t);
  if (!t)
    return QCC_ERR_NOMEM;
  t->opt_level = spec->opt_level < 0 ? 0 : spec->opt_level > 3 ? 3 : spec->opt_level;
  char *host = LLVMGetDefaultTargetTriple();
  const char *asked = spec->triple ? expand_short_triple(spec->triple) : host;
  char *norm = LLVMNormalizeTargetTriple(asked);
  t->triple = dup_string(norm);
  LLVMDisposeMessage(norm);
  char host_arch[32], arch[32];
  triple_arch(host, host_arch, sizeof host_arch);
  LLVMDisposeMessage(host);
  if (!t->triple)
    return usage(diag, t, "out of memory%s%s", "", "");
  triple_arch(t->triple, arch, sizeof arch);
  LLVMTargetRef target;
  char *err = NULL;
  if (LLVMGetTargetFromTriple(t->triple, &target, &err)) {
    LLVMDisposeMessage(err);
    return usage(diag, t, "unknown target triple '%s'%s", spec->triple ? spec->triple : asked,
                 " (e.g. x86_64-linux-gnu, aarch64-linux-gnu, aarch64-linux-android, "
                 "arm64-apple-ios)");
  }
  const char *features = spec->features ? spec->features : "";
  char bad[128];
  if (!features_well_formed(features, bad, sizeof bad))
    return usage(diag, t, "bad -mattr entry '%s' (expected +FEATURE or -FEATURE)%s", bad, "");
  bool native = spec->cpu && strcmp(spec->cpu, "native") == 0;
  if (native) {
    if (strcmp(arch, host_arch) != 0)
      return usage(diag, t, "-mcpu=native needs the host's architecture (%s), not %s", host_arch,
                   arch);
    char *cpu = LLVMGetHostCPUName(), *hf = LLVMGetHostCPUFeatures();
    t->cpu = dup_string(cpu);
    size_t n = strlen(hf) + strlen(features) + 2;
    t->features = malloc(n);
    if (t->features)
      snprintf(t->features, n, "%s%s%s", hf, *features && *hf ? "," : "", features);
    LLVMDisposeMessage(cpu);
    LLVMDisposeMessage(hf);
  } else {
    t->cpu = dup_string(spec->cpu ? spec->cpu : "");
    t->features = dup_string(features);
  }
  if (!t->cpu || !t->features)
    return usage(diag, t, "out of memory%s%s", "", "");
  char captured[2048], name[128];
  t->tm = create_checked(target, t, captured, sizeof captured);
  if (!t->tm)
    return usage(diag, t, "cannot create a target machine for '%s'%s", t->triple, "");
  if (unrecognized(captured, "processor", name, sizeof name))
    return usage(diag, t, "unknown CPU '%s' for target '%s'", name, t->triple);
  if (unrecognized(captured, "feature", name, sizeof name))
    return usage(diag, t, "unknown feature '%s' for target '%s'", name, t->triple);
  *out = t;
  return QCC_OK;
}

void qcc_target_destroy(qcc_target *t) {
  if (!t)
    return;
  if (t->tm)
    LLVMDisposeTargetMachine(t->tm);
  free(t->triple);
  free(t->cpu);
  free(t->features);
  free(t);
}

const char *qcc_target_triple(const qcc_target *t) { return t->triple; }
const char *qcc_target_cpu(const qcc_target *t) { return t->cpu; }
const char *qcc_target_features(const qcc_target *t) { return t->features; }
int qcc_target_opt_level(const qcc_target *t) { return t->opt_level; }
LLVMTargetMachineRef qcc_target_machine(const qcc_target *t) { return t->tm; }
