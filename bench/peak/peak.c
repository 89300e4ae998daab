/* peak.c: the measured peak of one core for each int8 dot-product instruction sequence a qcc
 * micro-kernel may use, the denominator of bench/kernels.py's "% of peak".
 *
 *   peak [--ms N] [--reps N] [SEQUENCE ...]
 *
 * Each sequence runs as a loop over an unrolled body of independent accumulator chains (enough of
 * them to cover the instruction's latency on every port that executes it), register operands only,
 * for a fixed number of iterations sized to take about N ms (default 100); the best of --reps
 * repetitions (default 5) is reported. One JSON line per sequence the CPU supports:
 *
 *   {"bench":"peak","sequence":"vpdpbusd512","isa":"avx512vnni","chains":24,"macs_per_iter":1536,
 *    "gmacs":480.1,"macs_per_cycle":128.0,"ghz":3.75}
 *
 * A first line, "sequence":"clock", estimates the core clock from a chain of dependent adds (one
 * cycle each), so macs_per_cycle can be compared with the instruction tables. The sequences:
 *
 *   vpdpbusd512  AVX-512 VNNI, zmm: 64 u8 x i8 multiply-adds into 16 i32 lanes per instruction
 *   vpdpbusd256  AVX-512 VL+VNNI (EVEX) or AVX-VNNI ({vex} encoding), ymm: 32 per instruction
 *   vpmaddubsw   AVX2: vpmaddubsw (u8 x i8, i16 pair sums that saturate) + vpmaddwd with ones
 *                + vpaddd: 32 per three instructions
 *   vpmaddwd     AVX2, exact on i16 operands: vpmaddwd + vpaddd: 16 per two instructions
 *   sdot, usdot  AArch64 dot product (FEAT_DotProd / FEAT_I8MM): 16 per instruction
 *   smmla        AArch64 FEAT_I8MM 2x8 by 8x2 matrix multiply-accumulate: 32 per instruction
 *   generic      scalar integer multiply + add (x86-64 imul + add, AArch64 madd): 1 per step
 *
 * Timings under an emulator (QEMU) mean nothing; run this on the machine itself. */
#define _POSIX_C_SOURCE 199309L
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#if defined(__aarch64__) && defined(__linux__)
#include <sys/auxv.h>
#endif

typedef void (*loop_fn)(uint64_t iters);

typedef struct sequence {
  const char *name, *isa;
  int chains, macs_per_iter;
  loop_fn run;
} sequence;

static double now_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* Bodies are built from one instruction template per chain; R24(X) expands X(0) ... X(23). */
#define R8(X) X(0) X(1) X(2) X(3) X(4) X(5) X(6) X(7)
#define R12(X) R8(X) X(8) X(9) X(10) X(11)
#define R24(X) R12(X) X(12) X(13) X(14) X(15) X(16) X(17) X(18) X(19) X(20) X(21) X(22) X(23)
#define R32(X) R24(X) X(24) X(25) X(26) X(27) X(28) X(29) X(30) X(31)

/* ---- the clock ------------------------------------------------------------------------------ */
#if defined(__x86_64__)
#define ADD1(i) "add $1, %%rax\n\t"
static void clock_loop(uint64_t n) {
  __asm__ volatile("xor %%eax, %%eax\n\t"
                   "1:\n\t" R32(ADD1) "dec %[n]\n\t"
                                      "jnz 1b\n\t"
                   : [n] "+r"(n)
                   :
                   : "rax", "cc");
}
#elif defined(__aarch64__)
#define ADD1(i) "add x9, x9, #1\n\t"
static void clock_loop(uint64_t n) {
  __asm__ volatile("mov x9, #0\n\t"
                   "1:\n\t" R32(ADD1) "subs %[n], %[n], #1\n\t"
                                      "b.ne 1b\n\t"
                   : [n] "+r"(n)
                   :
                   : "x9", "cc");
}
#endif

/* ---- x86-64 --------------------------------------------------------------------------------- */
#if defined(__x86_64__)
#define ZMM_CLOBBERS                                                                               \
  "zmm0", "zmm1", "zmm2", "zmm3", "zmm4", "zmm5", "zmm6", "zmm7", "zmm8", "zmm9", "zmm10",         \
      "zmm11", "zmm12", "zmm13", "zmm14", "zmm15", "zmm16", "zmm17", "zmm18", "zmm19", "zmm20",    \
      "zmm21", "zmm22", "zmm23", "zmm30", "zmm31"
#define YMM_CLOBBERS                                                                               \
  "ymm0", "ymm1", "ymm2", "ymm3", "ymm4", "ymm5", "ymm6", "ymm7", "ymm8", "ymm9", "ymm10",         \
      "ymm11", "ymm12", "ymm13", "ymm14", "ymm15"

/* 24 chains of vpdpbusd zmm_i += zmm30 (u8) . zmm31 (i8). */
#define DP512(i) "vpdpbusd %%zmm31, %%zmm30, %%zmm" #i "\n\t"
#define ZERO512(i) "vpxord %%zmm" #i ", %%zmm" #i ", %%zmm" #i "\n\t"
__attribute__((target("avx512f,avx512vnni"))) static void vpdpbusd512(uint64_t n) {
  __asm__ volatile("vpbroadcastd %k[p], %%zmm30\n\t"
                   "vpbroadcastd %k[q], %%zmm31\n\t" R24(ZERO512) "1:\n\t" R24(DP512) "dec %[n]\n\t"
                                                                                      "jnz 1b\n\t"
                   : [n] "+r"(n)
                   : [p] "r"(0x7f3c1a95u), [q] "r"(0x9e2b63d1u)
                   : ZMM_CLOBBERS, "cc");
}

/* The same on ymm with EVEX encodings (AVX-512 VL): 24 chains, sources in ymm30/ymm31. */
#define DP256E(i) "vpdpbusd %%ymm31, %%ymm30, %%ymm" #i "\n\t"
#define ZERO256E(i) "vpxord %%ymm" #i ", %%ymm" #i ", %%ymm" #i "\n\t"
__attribute__((target("avx512f,avx512vl,avx512vnni"))) static void vpdpbusd256_evex(uint64_t n) {
  __asm__ volatile(
      "vpbroadcastd %k[p], %%ymm30\n\t"
      "vpbroadcastd %k[q], %%ymm31\n\t" R24(ZERO256E) "1:\n\t" R24(DP256E) "dec %[n]\n\t"
                                                                           "jnz 1b\n\t"
      : [n] "+r"(n)
      : [p] "r"(0x7f3c1a95u), [q] "r"(0x9e2b63d1u)
      : ZMM_CLOBBERS, "cc");
}

/* AVX-VNNI (VEX, 16 registers): 12 chains, sources in ymm14/ymm15. */
#define DP256V(i) "%{vex%} vpdpbusd %%ymm15, %%ymm14, %%ymm" #i "\n\t"
#define ZERO256V(i) "vpxor %%ymm" #i ", %%ymm" #i ", %%ymm" #i "\n\t"
__attribute__((target("avx2,avxvnni"))) static void vpdpbusd256_vex(uint64_t n) {
  __asm__ volatile(
      "vmovd %k[p], %%xmm14\n\t"
      "vpbroadcastd %%xmm14, %%ymm14\n\t"
      "vmovd %k[q], %%xmm15\n\t"
      "vpbroadcastd %%xmm15, %%ymm15\n\t" R12(ZERO256V) "1:\n\t" R12(DP256V) "dec %[n]\n\t"
                                                                             "jnz 1b\n\t"
      : [n] "+r"(n)
      : [p] "r"(0x7f3c1a95u), [q] "r"(0x9e2b63d1u)
      : YMM_CLOBBERS, "cc");
}

/* AVX2 saturating pair sequence, 8 chains: t = maddubs(ymm12 u8, ymm13 i8) (16 i16 pair sums),
 * t = maddwd(t, ones) (8 i32), acc_i += t. Temporaries ymm8..ymm11 are reused (renamed). */
#define MADDUBS(i)                                                                                 \
  "vpmaddubsw %%ymm13, %%ymm12, %%ymm" T4(i) "\n\t"                                                \
                                             "vpmaddwd %%ymm15, %%ymm" T4(i) ", %%ymm" T4(         \
                                                 i) "\n\t"                                         \
                                                    "vpaddd %%ymm" T4(i) ", %%ymm" #i ", %%ymm" #i \
                                                                         "\n\t"
#define T4(i) T4_##i
#define T4_0 "8"
#define T4_1 "9"
#define T4_2 "10"
#define T4_3 "11"
#define T4_4 "8"
#define T4_5 "9"
#define T4_6 "10"
#define T4_7 "11"
#define AVX2_SOURCES                                                                               \
  "vmovd %k[p], %%xmm12\n\t"                                                                       \
  "vpbroadcastd %%xmm12, %%ymm12\n\t"                                                              \
  "vmovd %k[q], %%xmm13\n\t"                                                                       \
  "vpbroadcastd %%xmm13, %%ymm13\n\t"                                                              \
  "vmovd %k[one], %%xmm15\n\t"                                                                     \
  "vpbroadcastw %%xmm15, %%ymm15\n\t"
__attribute__((target("avx2"))) static void vpmaddubsw(uint64_t n) {
  __asm__ volatile(AVX2_SOURCES R8(ZERO256V) "1:\n\t" R8(MADDUBS) "dec %[n]\n\t"
                                                                  "jnz 1b\n\t"
                   : [n] "+r"(n)
                   : [p] "r"(0x7f3c1a95u), [q] "r"(0x9e2b63d1u), [one] "r"(1u)
                   : YMM_CLOBBERS, "cc");
}

/* AVX2 exact i16 sequence, 8 chains: t = maddwd(ymm12, ymm13) (16 i16 products into 8 i32),
 * acc_i += t. */
#define MADDWD(i)                                                                                  \
  "vpmaddwd %%ymm13, %%ymm12, %%ymm" T4(i) "\n\t"                                                  \
                                           "vpaddd %%ymm" T4(i) ", %%ymm" #i ", %%ymm" #i "\n\t"
__attribute__((target("avx2"))) static void vpmaddwd(uint64_t n) {
  __asm__ volatile(AVX2_SOURCES R8(ZERO256V) "1:\n\t" R8(MADDWD) "dec %[n]\n\t"
                                                                 "jnz 1b\n\t"
                   : [n] "+r"(n)
                   : [p] "r"(0x7f3c1a95u), [q] "r"(0x9e2b63d1u), [one] "r"(1u)
                   : YMM_CLOBBERS, "cc");
}

/* Scalar: 8 chains of r8..r15 += a * b (imul + add). */
#define SCALAR(i)                                                                                  \
  "mov %[a], %%rax\n\t"                                                                            \
  "imul %[b], %%rax\n\t"                                                                           \
  "add %%rax, %%r" R8N(i) "\n\t"
#define R8N(i) R8N_##i
#define R8N_0 "8"
#define R8N_1 "9"
#define R8N_2 "10"
#define R8N_3 "11"
#define R8N_4 "12"
#define R8N_5 "13"
#define R8N_6 "14"
#define R8N_7 "15"
static void generic(uint64_t n) {
  __asm__ volatile("1:\n\t" R8(SCALAR) "dec %[n]\n\t"
                                       "jnz 1b\n\t"
                   : [n] "+r"(n)
                   : [a] "r"((uint64_t)0x5a), [b] "r"((uint64_t)-0x3d)
                   : "rax", "r8", "r9", "r10", "r11", "r12", "r13", "r14", "r15", "cc");
}

static int sequences(sequence *out) {
  int k = 0;
  __builtin_cpu_init();
  if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512vnni"))
    out[k++] = (sequence){"vpdpbusd512", "avx512vnni", 24, 24 * 64, vpdpbusd512};
  if (__builtin_cpu_supports("avx512vl") && __builtin_cpu_supports("avx512vnni"))
    out[k++] = (sequence){"vpdpbusd256", "avx512vl+avx512vnni", 24, 24 * 32, vpdpbusd256_evex};
  else if (__builtin_cpu_supports("avxvnni"))
    out[k++] = (sequence){"vpdpbusd256", "avxvnni", 12, 12 * 32, vpdpbusd256_vex};
  if (__builtin_cpu_supports("avx2")) {
    out[k++] = (sequence){"vpmaddubsw", "avx2", 8, 8 * 32, vpmaddubsw};
    out[k++] = (sequence){"vpmaddwd", "avx2", 8, 8 * 16, vpmaddwd};
  }
  out[k++] = (sequence){"generic", "x86-64", 8, 8, generic};
  return k;
}

/* ---- AArch64 -------------------------------------------------------------------------------- */
#elif defined(__aarch64__)
#define V_CLOBBERS                                                                                 \
  "v0", "v1", "v2", "v3", "v4", "v5", "v6", "v7", "v8", "v9", "v10", "v11", "v12", "v13", "v14",   \
      "v15", "v16", "v17", "v18", "v19", "v20", "v21", "v22", "v23", "v30", "v31"
#define ZEROV(i) "movi v" #i ".4s, #0\n\t"
#define NEON_LOOP(arch, body)                                                                      \
  __asm__ volatile(".arch " arch "\n\t"                                                            \
                   "dup v30.4s, %w[p]\n\t"                                                         \
                   "dup v31.4s, %w[q]\n\t" R24(ZEROV) "1:\n\t" R24(body) "subs %[n], %[n], #1\n\t" \
                                                                         "b.ne 1b\n\t"             \
                   : [n] "+r"(n)                                                                   \
                   : [p] "r"(0x7f3c1a95u), [q] "r"(0x9e2b63d1u)                                    \
                   : V_CLOBBERS, "cc")
#define SDOT(i) "sdot v" #i ".4s, v30.16b, v31.16b\n\t"
#define USDOT(i) "usdot v" #i ".4s, v30.16b, v31.16b\n\t"
#define SMMLA(i) "smmla v" #i ".4s, v30.16b, v31.16b\n\t"
/* GNU as wants the architecture level with the extension, hence .arch in the asm as well. */
__attribute__((target("+dotprod"))) static void sdot(uint64_t n) {
  NEON_LOOP("armv8.2-a+dotprod", SDOT);
}
__attribute__((target("+i8mm"))) static void usdot(uint64_t n) {
  NEON_LOOP("armv8.6-a+i8mm", USDOT);
}
__attribute__((target("+i8mm"))) static void smmla(uint64_t n) {
  NEON_LOOP("armv8.6-a+i8mm", SMMLA);
}

/* Scalar: 8 chains of x_i = a * b + x_i (madd). */
#define MADD(i) "madd x" #i ", %[a], %[b], x" #i "\n\t"
static void generic(uint64_t n) {
  __asm__ volatile("1:\n\t" R8(MADD) "subs %[n], %[n], #1\n\t"
                                     "b.ne 1b\n\t"
                   : [n] "+r"(n)
                   : [a] "r"((uint64_t)0x5a), [b] "r"((uint64_t)-0x3d)
                   : "x0", "x1", "x2", "x3", "x4", "x5", "x6", "x7", "cc");
}

#ifndef HWCAP_ASIMDDP
#define HWCAP_ASIMDDP (1UL << 20)
#endif
#ifndef HWCAP2_I8MM
#define HWCAP2_I8MM (1UL << 13)
#endif
static int sequences(sequence *out) {
  int k = 0;
  unsigned long hw = 0, hw2 = 0;
#if defined(__linux__)
  hw = getauxval(AT_HWCAP);
  hw2 = getauxval(AT_HWCAP2);
#endif
  if (hw & HWCAP_ASIMDDP)
    out[k++] = (sequence){"sdot", "dotprod", 24, 24 * 16, sdot};
  if (hw2 & HWCAP2_I8MM) {
    out[k++] = (sequence){"usdot", "i8mm", 24, 24 * 16, usdot};
    out[k++] = (sequence){"smmla", "i8mm", 24, 24 * 32, smmla};
  }
  out[k++] = (sequence){"generic", "aarch64", 8, 8, generic};
  return k;
}
#else
#error "peak.c measures x86-64 and AArch64 sequences only"
#endif

/* ---- the harness ---------------------------------------------------------------------------- */
/* Seconds per iteration of f, the best of reps runs of about ms milliseconds each. */
static double time_per_iter(loop_fn f, double ms, int reps) {
  uint64_t iters = 1024;
  double t;
  for (;;) { /* calibrate: grow until a run takes a tenth of the target */
    double t0 = now_s();
    f(iters);
    t = now_s() - t0;
    if (t >= ms * 1e-4 || iters >= (UINT64_C(1) << 40))
      break;
    iters *= 4;
  }
  double want = ms * 1e-3 / (t / (double)iters);
  iters = want < 1 ? 1 : (uint64_t)want;
  double best = 0;
  for (int r = 0; r < reps; ++r) {
    double t0 = now_s();
    f(iters);
    double s = (now_s() - t0) / (double)iters;
    if (r == 0 || s < best)
      best = s;
  }
  return best;
}

static int usage(const char *argv0) {
  fprintf(stderr, "usage: %s [--ms N] [--reps N] [SEQUENCE ...]\n", argv0);
  return 2;
}

int main(int argc, char **argv) {
  double ms = 100;
  int reps = 5, first_name = argc;
  for (int i = 1; i < argc; ++i) {
    if (strcmp(argv[i], "--ms") == 0 && i + 1 < argc) {
      ms = atof(argv[++i]);
    } else if (strcmp(argv[i], "--reps") == 0 && i + 1 < argc) {
      reps = atoi(argv[++i]);
    } else if (argv[i][0] == '-') {
      return usage(argv[0]);
    } else {
      first_name = i;
      break;
    }
  }
  if (ms <= 0 || reps < 1)
    return usage(argv[0]);
  sequence seq[8];
  int n = sequences(seq);
  double ghz = 32.0 / time_per_iter(clock_loop, ms, reps) / 1e9;
  printf("{\"bench\":\"peak\",\"sequence\":\"clock\",\"ghz\":%.3f}\n", ghz);
  for (int k = 0; k < n; ++k) {
    int wanted = first_name == argc;
    for (int i = first_name; i < argc && !wanted; ++i)
      wanted = strcmp(argv[i], seq[k].name) == 0;
    if (!wanted)
      continue;
    double gmacs = (double)seq[k].macs_per_iter / time_per_iter(seq[k].run, ms, reps) / 1e9;
    printf("{\"bench\":\"peak\",\"sequence\":\"%s\",\"isa\":\"%s\",\"chains\":%d,"
           "\"macs_per_iter\":%d,\"gmacs\":%.2f,\"macs_per_cycle\":%.2f,\"ghz\":%.3f}\n",
           seq[k].name, seq[k].isa, seq[k].chains, seq[k].macs_per_iter, gmacs, gmacs / ghz, ghz);
    fflush(stdout);
  }
  return 0;
}
