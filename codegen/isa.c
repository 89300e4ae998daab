#include "codegen/isa.h"

#include <string.h>

/* x86-64 CPUs by what they add (LLVM's names; each row implies the rows above it). */
static const char *const x86_avx2[] = {
    "haswell",          "broadwell",   "skylake",   "alderlake", "raptorlake",   "meteorlake",
    "arrowlake",        "arrowlake-s", "lunarlake", "gracemont", "sierraforest", "grandridge",
    "clearwaterforest", "pantherlake", "znver1",    "znver2",    "znver3",       "bdver4",
    "x86-64-v3",        "rocketlake",  NULL};
static const char *const x86_avx512[] = {"skylake-avx512", "x86-64-v4", "cannonlake", NULL};
static const char *const x86_avx512vnni[] = {"cascadelake",
                                             "cooperlake",
                                             "icelake-client",
                                             "icelake-server",
                                             "tigerlake",
                                             "rocketlake",
                                             "znver4",
                                             "sapphirerapids",
                                             "emeraldrapids",
                                             "graniterapids",
                                             "graniterapids-d",
                                             "znver5",
                                             NULL};
static const char *const x86_avx512vbmi[] = {
    "cannonlake", "icelake-client", "icelake-server", "tigerlake",     "rocketlake",      "znver4",
    "znver5",     "sapphirerapids", "emeraldrapids",  "graniterapids", "graniterapids-d", NULL};
static const char *const x86_avxvnni[] = {"alderlake",
                                          "raptorlake",
                                          "meteorlake",
                                          "arrowlake",
                                          "arrowlake-s",
                                          "lunarlake",
                                          "gracemont",
                                          "sierraforest",
                                          "grandridge",
                                          "clearwaterforest",
                                          "pantherlake",
                                          "sapphirerapids",
                                          "emeraldrapids",
                                          "graniterapids",
                                          "graniterapids-d",
                                          "znver5",
                                          NULL};
static const char *const a64_dotprod[] = {
    "cortex-a55", "cortex-a65",  "cortex-a75", "cortex-a76", "cortex-a76ae", "cortex-a77",
    "cortex-a78", "cortex-a78c", "cortex-x1",  "cortex-x1c", "neoverse-n1",  "neoverse-e1",
    "apple-a12",  "apple-a13",   "apple-a14",  "apple-m1",   "tsv110",       "exynos-m4",
    "exynos-m5",  "saphira",     "ampere1",    "ampere1a",   "ampere1b",     NULL};
static const char *const a64_i8mm[] = {
    "cortex-a510", "cortex-a520", "cortex-a710", "cortex-a715", "cortex-a720",
    "cortex-a725", "cortex-x2",   "cortex-x3",   "cortex-x4",   "cortex-x925",
    "neoverse-n2", "neoverse-v1", "neoverse-v2", "neoverse-v3", "neoverse-512tvb",
    "apple-a15",   "apple-a16",   "apple-a17",   "apple-m2",    "apple-m3",
    "apple-m4",    "ampere1a",    "ampere1b",    "neoverse-n3", NULL};

static bool listed(const char *const *list, const char *cpu) {
  for (; *list; ++list)
    if (strcmp(*list, cpu) == 0)
      return true;
  return false;
}

/* Applies one "+name" / "-name" entry; disabling a feature disables what depends on it, as
 * LLVM's implied-feature rules do. */
static void apply_feature(qcc_isa *isa, bool on, const char *name, size_t n) {
#define IS(s) (n == strlen(s) && strncmp(name, s, n) == 0)
  if (IS("avx2")) {
    isa->avx2 = on;
    if (!on)
      isa->avx512 = isa->avx512vnni = isa->avxvnni = false;
  } else if (IS("avx512f")) {
    isa->avx512 = on;
    if (on)
      isa->avx2 = true;
    else
      isa->avx512vnni = false;
  } else if (IS("avx512vbmi")) {
    isa->avx512vbmi = on;
    if (on)
      isa->avx2 = isa->avx512 = true;
  } else if (IS("avx512vnni")) {
    isa->avx512vnni = on;
    if (on)
      isa->avx2 = isa->avx512 = true;
  } else if (IS("avxvnni")) {
    isa->avxvnni = on;
    if (on)
      isa->avx2 = true;
  } else if (IS("avx") || IS("sse4.2") || IS("sse4.1") || IS("ssse3") || IS("sse3") || IS("sse2")) {
    if (!on)
      isa->avx2 = isa->avx512 = isa->avx512vnni = isa->avxvnni = isa->avx512vbmi = false;
  } else if (IS("dotprod")) {
    isa->dotprod = on;
  } else if (IS("i8mm")) {
    isa->i8mm = on;
  } else if (IS("neon") || IS("fp-armv8")) {
    if (!on)
      isa->dotprod = isa->i8mm = false;
  }
#undef IS
}

void qcc_isa_resolve(qcc_isa *isa, const char *triple, const char *cpu, const char *features) {
  memset(isa, 0, sizeof *isa);
  cpu = cpu ? cpu : "";
  if (strncmp(triple, "x86_64", 6) == 0) {
    isa->arch = QCC_ARCH_X86_64;
    isa->avx512vnni = listed(x86_avx512vnni, cpu);
    isa->avx512vbmi = listed(x86_avx512vbmi, cpu);
    isa->avx512 = isa->avx512vnni || isa->avx512vbmi || listed(x86_avx512, cpu);
    isa->avxvnni = listed(x86_avxvnni, cpu);
    isa->avx2 = isa->avx512 || isa->avxvnni || listed(x86_avx2, cpu);
  } else if (strncmp(triple, "aarch64", 7) == 0 || strncmp(triple, "arm64", 5) == 0) {
    isa->arch = QCC_ARCH_AARCH64;
    isa->i8mm = listed(a64_i8mm, cpu);
    isa->dotprod = isa->i8mm || listed(a64_dotprod, cpu);
  }
  for (const char *p = features; p && *p;) {
    size_t n = strcspn(p, ",");
    if (n > 1 && (p[0] == '+' || p[0] == '-'))
      apply_feature(isa, p[0] == '+', p + 1, n - 1);
    p += n;
    if (*p == ',')
      ++p;
  }
  if (isa->arch != QCC_ARCH_X86_64)
    isa->avx2 = isa->avx512 = isa->avx512vnni = isa->avxvnni = isa->avx512vbmi = false;
  if (isa->arch != QCC_ARCH_AARCH64)
    isa->dotprod = isa->i8mm = false;
}
