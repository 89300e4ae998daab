/* Calls PREFIX_run of a model compiled with -fsanitize=address on buffers allocated by malloc,
 * one of them one element (the workspace: one byte) shorter than the descriptor says, so that
 * the generated code's last access to it lands in ASan's redzone:
 *
 *   cc -fsanitize=address -I runtime -DQCC_PREFIX=name short_buffer.c libname.a -o sb
 *   ./sb exact|short-input|short-output|short-workspace
 *
 * `exact` (every buffer of its full size) prints "short_buffer: ok" and exits 0. */
#define _POSIX_C_SOURCE 200809L /* posix_memalign */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "qcc_model.h"

#define CAT_(a, b) a##b
#define CAT(a, b) CAT_(a, b)
extern const qcc_rt_model CAT(QCC_PREFIX, _model);
int CAT(QCC_PREFIX, _run)(const void *const *inputs, void *const *outputs, void *workspace,
                          const qcc_rt_exec *exec);

enum { MAX_TENSORS = 16 };

static size_t elem_size(int32_t dtype) {
  switch (dtype) {
  case QCC_RT_F32:
  case QCC_RT_I32: return 4;
  case QCC_RT_I64: return 8;
  case QCC_RT_F16: return 2;
  default: return 1;
  }
}

static size_t numel(const qcc_rt_tensor_info *t) {
  size_t n = 1;
  for (int32_t d = 0; d < t->rank; ++d)
    n *= (size_t)t->dims[d];
  return n;
}

/* A buffer of `t` with `short_by` fewer elements, filled with small finite values. */
static void *tensor_buffer(const qcc_rt_tensor_info *t, size_t short_by) {
  size_t n = numel(t) - short_by, es = elem_size(t->dtype);
  unsigned char *p = malloc(n > 0 ? n * es : 1);
  if (!p)
    return NULL;
  for (size_t i = 0; i < n; ++i) {
    if (t->dtype == QCC_RT_F32) {
      float v = (float)(i % 17) / 8.0f;
      memcpy(p + i * es, &v, sizeof v);
    } else {
      memset(p + i * es, (int)(i * 7 % 64), es);
    }
  }
  return p;
}

int main(int argc, char **argv) {
  const qcc_rt_model *m = &CAT(QCC_PREFIX, _model);
  const char *mode = argc == 2 ? argv[1] : "";
  bool short_in = strcmp(mode, "short-input") == 0, short_out = strcmp(mode, "short-output") == 0;
  bool short_ws = strcmp(mode, "short-workspace") == 0;
  if (!short_in && !short_out && !short_ws && strcmp(mode, "exact") != 0) {
    fprintf(stderr, "usage: %s exact|short-input|short-output|short-workspace\n", argv[0]);
    return 2;
  }
  if (m->num_inputs > MAX_TENSORS || m->num_outputs > MAX_TENSORS) {
    fprintf(stderr, "short_buffer: too many tensors\n");
    return 1;
  }
  const void *inputs[MAX_TENSORS];
  void *outputs[MAX_TENSORS];
  for (uint32_t i = 0; i < m->num_inputs; ++i)
    if (!(inputs[i] = tensor_buffer(&m->inputs[i], short_in && i == m->num_inputs - 1)))
      return 1;
  for (uint32_t i = 0; i < m->num_outputs; ++i)
    if (!(outputs[i] = tensor_buffer(&m->outputs[i], short_out && i == m->num_outputs - 1)))
      return 1;
  size_t ws_bytes = (size_t)m->workspace_bytes - (short_ws ? 1 : 0);
  void *ws = NULL;
  if (posix_memalign(&ws, m->workspace_align < 16 ? 16 : m->workspace_align,
                     ws_bytes ? ws_bytes : 1) != 0)
    return 1;
  int rc = CAT(QCC_PREFIX, _run)(inputs, outputs, ws, NULL);
  for (uint32_t i = 0; i < m->num_inputs; ++i)
    free((void *)inputs[i]);
  for (uint32_t i = 0; i < m->num_outputs; ++i)
    free(outputs[i]);
  free(ws);
  if (rc != QCC_RT_OK) {
    fprintf(stderr, "short_buffer: run returned %d\n", rc);
    return 1;
  }
  printf("short_buffer: ok\n");
  return 0;
}
