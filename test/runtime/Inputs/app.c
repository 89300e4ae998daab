/* An app as docs/runtime.md describes one: it links a compiled model (here the hand-written
 * add_one_model.c) with libqcc_runtime.a, allocates a workspace per concurrent call, runs the
 * model from two threads at once (one on a shared pool, one on its own thread) and checks that
 * both get the same outputs. */
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include "qcc_runtime.h"

extern const qcc_rt_model add_one_model;

typedef struct call {
  qcc_rt_pool *pool;
  float x[6], y[6];
  unsigned char q[6];
  int status;
} call;

static void *run_one(void *arg) {
  call *c = arg;
  const qcc_rt_model *m = &add_one_model;
  void *workspace = qcc_rt_workspace_alloc(m); /* one per concurrent call */
  const void *inputs[] = {c->x};
  void *outputs[] = {c->y, c->q};
  qcc_rt_exec exec = {c->pool, NULL, NULL};
  c->status = workspace ? QCC_RT_OK : QCC_RT_ERR_NOMEM;
  for (int k = 0; k < 1000 && c->status == QCC_RT_OK; ++k)
    c->status = qcc_rt_run(m, inputs, outputs, workspace, &exec);
  qcc_rt_workspace_free(workspace);
  return NULL;
}

int main(void) {
  qcc_rt_pool *pool = qcc_rt_pool_create(2);
  call a = {.pool = pool}, b = {.pool = NULL};
  for (int i = 0; i < 6; ++i)
    a.x[i] = b.x[i] = (float)i * 0.25f - 0.5f;
  pthread_t t;
  if (!pool || pthread_create(&t, NULL, run_one, &a) != 0)
    return 1;
  run_one(&b);
  pthread_join(t, NULL);
  qcc_rt_pool_destroy(pool);
  printf("app: model '%s', %u inputs, %u outputs, workspace %llu bytes aligned to %u\n",
         add_one_model.name, add_one_model.num_inputs, add_one_model.num_outputs,
         (unsigned long long)add_one_model.workspace_bytes, add_one_model.workspace_align);
  printf("app: status %s / %s\n", qcc_rt_status_string(a.status), qcc_rt_status_string(b.status));
  printf("app: y =");
  for (int i = 0; i < 6; ++i)
    printf(" %g", a.y[i]);
  printf("\napp: q =");
  for (int i = 0; i < 6; ++i)
    printf(" %u", a.q[i]);
  printf("\napp: both threads %s\n",
         memcmp(a.y, b.y, sizeof a.y) == 0 && memcmp(a.q, b.q, sizeof a.q) == 0 ? "agree"
                                                                                : "DIFFER");
  return 0;
}
