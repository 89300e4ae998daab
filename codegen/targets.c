#include "codegen/targets.h"

#include <llvm-c/Core.h>
#include <llvm-c/Target.h>
#include <llvm-c/TargetMachine.h>
#include <stdio.h>
#include <string.h>

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
