/* Code generation targets (LLVM-C): triples with the short forms users type, CPUs and features
 * (clang/llc conventions), and the LLVM target machine that emits for them. */
#ifndef QCC_CODEGEN_TARGETS_H
#define QCC_CODEGEN_TARGETS_H

#include <stddef.h>

#include "ir/diag.h"

/* "19.1.7": the LLVM version qcc is linked against. */
void qcc_codegen_llvm_version(char *buf, size_t cap);
/* Comma-separated list of the LLVM targets qcc will emit for that this LLVM build supports. */
void qcc_codegen_supported_targets(char *buf, size_t cap);

/* What the driver asks for: -target, -mcpu, -mattr and -O. */
typedef struct qcc_target_spec {
  const char *triple;   /* NULL: the host; short forms "x86_64", "aarch64", "arm64" accepted */
  const char *cpu;      /* NULL or "": the target's generic CPU; "native": the host's */
  const char *features; /* "+a,-b" or NULL */
  int opt_level;        /* 0..3: LLVM's pass pipeline and code generation level */
} qcc_target_spec;

/* A resolved target: the normalized triple, CPU and features, and LLVM's target machine. */
typedef struct qcc_target qcc_target;

/* Resolves the spec and creates the target machine. An unknown triple, CPU or feature is a usage
 * error (QCC_ERR_USAGE) reported through `diag`. */
qcc_status qcc_target_create(const qcc_target_spec *spec, qcc_diag *diag, qcc_target **out);
void qcc_target_destroy(qcc_target *t);

/* The normalized triple ("aarch64-unknown-linux-gnu"), CPU and feature strings in use. */
const char *qcc_target_triple(const qcc_target *t);
const char *qcc_target_cpu(const qcc_target *t);
const char *qcc_target_features(const qcc_target *t);
int qcc_target_opt_level(const qcc_target *t);

#endif
