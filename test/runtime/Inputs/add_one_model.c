/* A hand-written stand-in for an object compiled by `qcc --emit=exe`, for the exe driver's tests:
 * one input x f32[2,3] and two outputs, y = x + 1 (f32[2,3]) and "q:0" = clamp(trunc((x + 1) *
 * 100), 0, 255) as u8[2,3]. x + 1 goes through the workspace; the first kernel runs its rows on
 * the exec's pool, and every kernel reports its time to exec->on_kernel, as generated code does. */
#include <stdint.h>

#include "qcc_runtime.h"

static const int64_t dims_2x3[] = {2, 3};
static const qcc_rt_tensor_info inputs[] = {{"x", QCC_RT_F32, 2, dims_2x3}};
static const qcc_rt_tensor_info outputs[] = {{"y", QCC_RT_F32, 2, dims_2x3},
                                             {"q:0", QCC_RT_U8, 2, dims_2x3}};
static const char *const kernel_names[] = {"add_one", "copy_y", "quantize_q"};

typedef struct rows {
  const float *x;
  float *t;
} rows;

static void add_one_row(void *ctx, uint32_t r) {
  rows *c = ctx;
  for (int j = 0; j < 3; ++j)
    c->t[r * 3 + j] = c->x[r * 3 + j] + 1.0f;
}

static void done(const qcc_rt_exec *exec, uint32_t kernel, uint64_t t0) {
  if (exec && exec->on_kernel)
    exec->on_kernel(exec->user, kernel, qcc_rt_now_ns() - t0);
}

static int add_one_run(const void *const *in, void *const *out, void *workspace,
                       const qcc_rt_exec *exec) {
  float *t = workspace;
  uint64_t t0 = qcc_rt_now_ns();
  rows c = {in[0], t};
  qcc_rt_parallel_for(exec, 2, add_one_row, &c);
  done(exec, 0, t0);

  t0 = qcc_rt_now_ns();
  float *y = out[0];
  for (int i = 0; i < 6; ++i)
    y[i] = t[i];
  done(exec, 1, t0);

  t0 = qcc_rt_now_ns();
  uint8_t *q = out[1];
  for (int i = 0; i < 6; ++i) {
    int v = (int)(t[i] * 100.0f);
    q[i] = (uint8_t)(v < 0 ? 0 : v > 255 ? 255 : v);
  }
  done(exec, 2, t0);
  return QCC_RT_OK;
}

const qcc_rt_model add_one_model = {
    .abi_version = QCC_RT_ABI_VERSION,
    .name = "add_one",
    .num_inputs = 1,
    .num_outputs = 2,
    .inputs = inputs,
    .outputs = outputs,
    .workspace_bytes = 6 * sizeof(float),
    .workspace_align = 64,
    .num_kernels = 3,
    .kernel_names = kernel_names,
    .run = add_one_run,
};

const qcc_rt_model *const qcc_exe_model = &add_one_model;
