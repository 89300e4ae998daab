/* A hand-written stand-in for an object compiled by `qcc --emit=exe` with two inputs: a i8[4]
 * and b i32[1,4]; one output "out/c" = a * b as i64[4]. No workspace. */
#include <stdint.h>

#include "qcc_runtime.h"

static const int64_t dims_4[] = {4}, dims_1x4[] = {1, 4};
static const qcc_rt_tensor_info inputs[] = {{"a", QCC_RT_I8, 1, dims_4},
                                            {"b", QCC_RT_I32, 2, dims_1x4}};
static const qcc_rt_tensor_info outputs[] = {{"out/c", QCC_RT_I64, 1, dims_4}};
static const char *const kernel_names[] = {"mul"};

static int mul_run(const void *const *in, void *const *out, void *workspace,
                   const qcc_rt_exec *exec) {
  (void)workspace;
  uint64_t t0 = qcc_rt_now_ns();
  const int8_t *a = in[0];
  const int32_t *b = in[1];
  int64_t *c = out[0];
  for (int i = 0; i < 4; ++i)
    c[i] = (int64_t)a[i] * b[i];
  if (exec && exec->on_kernel)
    exec->on_kernel(exec->user, 0, qcc_rt_now_ns() - t0);
  return QCC_RT_OK;
}

const qcc_rt_model mul_model = {
    .abi_version = QCC_RT_ABI_VERSION,
    .name = "mul",
    .num_inputs = 2,
    .num_outputs = 1,
    .inputs = inputs,
    .outputs = outputs,
    .workspace_bytes = 0,
    .workspace_align = 16,
    .num_kernels = 1,
    .kernel_names = kernel_names,
    .run = mul_run,
};

const qcc_rt_model *const qcc_exe_model = &mul_model;
