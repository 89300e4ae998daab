/* The integer instruction sets a target offers, resolved once from its triple, CPU and features
 * (-target, -mcpu, -mattr): what the kernels may use. LLVM-C cannot answer "does this subtarget
 * have feature X", so named CPUs are looked up in qcc's own table (codegen/isa.c); a CPU missing
 * from it gets the architecture's baseline, which is always correct, only slower. */
#ifndef QCC_CODEGEN_ISA_H
#define QCC_CODEGEN_ISA_H

#include <stdbool.h>

typedef enum { QCC_ARCH_OTHER, QCC_ARCH_X86_64, QCC_ARCH_AARCH64 } qcc_arch;

typedef struct qcc_isa {
  qcc_arch arch;
  bool avx2, avx512, avx512vnni, avxvnni; /* x86-64; avx512: AVX-512 F */
  bool avx512vbmi;                        /* x86-64: byte permutes across the vector (vpermt2b) */
  bool dotprod, i8mm;                     /* AArch64 (NEON is its baseline) */
} qcc_isa;

/* Resolves the triple (normalized), the CPU name ("" for generic, or a host name for native)
 * and the feature string ("+a,-b", later entries win). */
void qcc_isa_resolve(qcc_isa *isa, const char *triple, const char *cpu, const char *features);

#endif
