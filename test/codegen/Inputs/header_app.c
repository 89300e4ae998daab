/* An application using a generated header (test/codegen/header.test): buffers sized by the
 * header's constants, the workspace aligned as it says, one call of tiny_run. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include QCC_HEADER

int main(void) {
  static unsigned char x[tiny_INPUT0_BYTES], r[tiny_INPUT1_BYTES], y[tiny_OUTPUT0_BYTES];
  memset(x, 130, sizeof x);
  memset(r, 7, sizeof r);
  const void *inputs[tiny_NUM_INPUTS] = {x, r};
  void *outputs[tiny_NUM_OUTPUTS] = {y};
  void *ws = aligned_alloc(tiny_WORKSPACE_ALIGN, tiny_WORKSPACE_BYTES);
  int rc = tiny_run(inputs, outputs, ws, NULL);
  printf("app: run %d, workspace %llu %llu %llu, %s\n", rc,
         (unsigned long long)tiny_WORKSPACE_BYTES, (unsigned long long)tiny_workspace_size(),
         (unsigned long long)tiny_model.workspace_bytes, tiny_model.name);
  free(ws);
  return rc;
}
