/* --emit=exe and --emit=lib: the generated object linked with qcc's runtime (docs/runtime.md). */
#ifndef QCC_TOOLS_LINK_MODEL_H
#define QCC_TOOLS_LINK_MODEL_H

#include <stdbool.h>

#include "ir/diag.h"

/* An executable at `output`: `object` (the model, symbols PREFIX_*), a stub defining
 * qcc_exe_model = &PREFIX_model, libqcc_exe_main.a, libqcc_runtime.a and -lpthread, linked by
 * the C compiler of `triple` (cc, or $CC, for the host; aarch64-linux-gnu-gcc for AArch64 Linux),
 * with -fsanitize=address when `asan` (the object was instrumented by -fsanitize=address).
 * Returns a qcc exit status; errors are reported through `diag`. */
int qcc_link_exe(const char *object, const char *prefix, const char *triple, bool asan,
                 const char *output, qcc_diag *diag);
/* A static library at `output`: `object` and the members of libqcc_runtime.a for `triple`. */
int qcc_link_lib(const char *object, const char *triple, const char *output, qcc_diag *diag);

#endif
