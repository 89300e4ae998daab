/* Status strings, the clock, argument checks around a model's run function and workspaces. */
#include "qcc_runtime.h"

#include <stddef.h>
#include <stdlib.h>
#include <time.h>

uint32_t qcc_runtime_abi_version(void) { return QCC_RUNTIME_ABI_VERSION; }

const char *qcc_rt_status_string(int status) {
  switch (status) {
  case QCC_RT_OK: return "ok";
  case QCC_RT_ERR_ARGUMENT: return "invalid argument (a NULL buffer or a misaligned workspace)";
  case QCC_RT_ERR_ABI: return "the model was compiled for another runtime ABI version";
  case QCC_RT_ERR_NOMEM: return "out of memory";
  case QCC_RT_ERR_THREAD: return "cannot start a thread";
  case QCC_RT_ERR_SHAPE:
    return "a run-time operand gives a result shape other than the compiled one";
  default: return "unknown status";
  }
}

uint64_t qcc_rt_now_ns(void) {
  struct timespec ts;
  if (clock_gettime(CLOCK_MONOTONIC, &ts) != 0)
    return 0;
  return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

uint32_t qcc_rt_dtype_size(int32_t dtype) {
  switch (dtype) {
  case QCC_RT_U8:
  case QCC_RT_I8:
  case QCC_RT_BOOL: return 1;
  case QCC_RT_F16: return 2;
  case QCC_RT_F32:
  case QCC_RT_I32: return 4;
  case QCC_RT_I64: return 8;
  default: return 0;
  }
}

int64_t qcc_rt_tensor_numel(const qcc_rt_tensor_info *t) {
  int64_t n = 1;
  for (int32_t i = 0; i < t->rank; ++i) {
    int64_t d = t->dims[i];
    if (d < 0 || (d > 0 && n > INT64_MAX / d))
      return -1;
    n *= d;
  }
  return n;
}

/* A buffer may be NULL only when its tensor holds nothing. */
static int buffers_ok(const void *const *bufs, const qcc_rt_tensor_info *infos, uint32_t count) {
  if (count == 0)
    return 1;
  if (!bufs || !infos)
    return 0;
  for (uint32_t i = 0; i < count; ++i)
    if (!bufs[i] && qcc_rt_tensor_numel(&infos[i]) != 0)
      return 0;
  return 1;
}

int qcc_rt_run(const qcc_rt_model *m, const void *const *inputs, void *const *outputs,
               void *workspace, const qcc_rt_exec *exec) {
  if (!m)
    return QCC_RT_ERR_ARGUMENT;
  if (m->abi_version != QCC_RUNTIME_ABI_VERSION)
    return QCC_RT_ERR_ABI;
  if (!m->run || !buffers_ok(inputs, m->inputs, m->num_inputs) ||
      !buffers_ok((const void *const *)outputs, m->outputs, m->num_outputs))
    return QCC_RT_ERR_ARGUMENT;
  if (m->workspace_bytes > 0 && !workspace)
    return QCC_RT_ERR_ARGUMENT;
  if (m->workspace_align > 1 && (uintptr_t)workspace % m->workspace_align != 0)
    return QCC_RT_ERR_ARGUMENT;
  return m->run(inputs, outputs, workspace, exec);
}

void *qcc_rt_workspace_alloc(const qcc_rt_model *m) {
  if (!m || m->workspace_bytes > SIZE_MAX - 64)
    return NULL;
  size_t align = m->workspace_align < 16 ? 16 : m->workspace_align;
  if ((align & (align - 1)) != 0)
    return NULL; /* not a power of two: no allocator can honour it */
  size_t bytes = m->workspace_bytes ? (size_t)m->workspace_bytes : 1;
  void *p = NULL;
  if (posix_memalign(&p, align, bytes) != 0)
    return NULL;
  return p;
}

void qcc_rt_workspace_free(void *workspace) { free(workspace); }
