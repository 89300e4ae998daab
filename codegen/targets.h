/* Code generation targets (LLVM-C). The backend itself arrives with the codegen issue. */
#ifndef QCC_CODEGEN_TARGETS_H
#define QCC_CODEGEN_TARGETS_H

#include <stddef.h>

/* "19.1.7": the LLVM version qcc is linked against. */
void qcc_codegen_llvm_version(char *buf, size_t cap);
/* Comma-separated list of the LLVM targets qcc will emit for that this LLVM build supports. */
void qcc_codegen_supported_targets(char *buf, size_t cap);

#endif
