/* Unit checks of libqcc_runtime.a (run by test/runtime/unit.test): status strings, the clock,
 * the thread pool (many parallel_for calls on 1 to 4 threads, real concurrency, nested calls, two
 * pools at once, one pool shared by two threads), qcc_rt_run's argument checks and workspace
 * alignment. Prints one line per problem and a summary. */
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "qcc_runtime.h"

static atomic_int checks, problems;

#define CHECK(cond, ...)                                                                           \
  do {                                                                                             \
    atomic_fetch_add(&checks, 1);                                                                  \
    if (!(cond)) {                                                                                 \
      atomic_fetch_add(&problems, 1);                                                              \
      printf("problem: %s:%d: ", __FILE__, __LINE__);                                              \
      printf(__VA_ARGS__);                                                                         \
      printf("\n");                                                                                \
    }                                                                                              \
  } while (0)

/* ---- status strings and the clock --------------------------------------------------------------
 */
static void test_status_strings(void) {
  const int codes[] = {QCC_RT_OK,        QCC_RT_ERR_ARGUMENT, QCC_RT_ERR_ABI,
                       QCC_RT_ERR_NOMEM, QCC_RT_ERR_THREAD,   QCC_RT_ERR_SHAPE};
  const char *unknown = qcc_rt_status_string(99);
  CHECK(unknown && strcmp(unknown, "unknown status") == 0, "status 99 is '%s'", unknown);
  CHECK(strcmp(qcc_rt_status_string(-1), unknown) == 0, "status -1 is not unknown");
  for (int i = 0; i < 6; ++i) {
    const char *s = qcc_rt_status_string(codes[i]);
    CHECK(s && *s && strcmp(s, unknown) != 0, "status %d has no string", codes[i]);
    for (int j = 0; j < i; ++j)
      CHECK(strcmp(s, qcc_rt_status_string(codes[j])) != 0, "statuses %d and %d share '%s'",
            codes[i], codes[j], s);
  }
  CHECK(strcmp(qcc_rt_status_string(QCC_RT_OK), "ok") == 0, "status 0 is not 'ok'");
  CHECK(qcc_runtime_abi_version() == QCC_RT_ABI_VERSION, "ABI version %u",
        qcc_runtime_abi_version());
}

static void test_clock(void) {
  uint64_t prev = qcc_rt_now_ns(), start = prev;
  for (int i = 0; i < 100000; ++i) {
    uint64_t t = qcc_rt_now_ns();
    if (t < prev) {
      CHECK(0, "clock went back from %llu to %llu", (unsigned long long)prev,
            (unsigned long long)t);
      break;
    }
    prev = t;
  }
  struct timespec ms = {0, 2000000};
  nanosleep(&ms, NULL);
  uint64_t elapsed = qcc_rt_now_ns() - start;
  CHECK(elapsed >= 2000000 && elapsed < 10000000000ull, "2 ms sleep measured %llu ns",
        (unsigned long long)elapsed);
}

/* ---- the pool
 * ------------------------------------------------------------------------------------ */
enum { MAX_N = 1000 };

typedef struct hits {
  atomic_int count[MAX_N];
} hits;

static void hit(void *ctx, uint32_t i) { atomic_fetch_add(&((hits *)ctx)->count[i], 1); }

/* n calls of parallel_for on exec; every index must run exactly once. */
static int run_and_check(const qcc_rt_exec *exec, uint32_t n, hits *h) {
  for (uint32_t i = 0; i < n; ++i)
    atomic_store(&h->count[i], 0);
  qcc_rt_parallel_for(exec, n, hit, h);
  for (uint32_t i = 0; i < n; ++i)
    if (atomic_load(&h->count[i]) != 1)
      return 0;
  return 1;
}

static void test_many_calls(uint32_t threads) {
  qcc_rt_pool *pool = qcc_rt_pool_create(threads);
  CHECK(pool, "pool of %u threads not created", threads);
  if (!pool)
    return;
  CHECK(qcc_rt_pool_threads(pool) == threads, "pool of %u says %u", threads,
        qcc_rt_pool_threads(pool));
  qcc_rt_exec exec = {pool, NULL, NULL};
  static hits h;
  int bad = 0;
  for (uint32_t k = 0; k < 2000 && bad < 3; ++k) {
    uint32_t n = k % 7 == 0 ? k % 3 : (k * 37) % MAX_N; /* includes 0, 1 and 2 */
    if (!run_and_check(&exec, n, &h)) {
      CHECK(0, "%u threads, call %u, n = %u: an index did not run exactly once", threads, k, n);
      ++bad;
    }
  }
  CHECK(bad == 0, "%u threads: %d bad calls", threads, bad);
  qcc_rt_pool_destroy(pool);
}

static void test_no_pool(void) {
  static hits h;
  qcc_rt_exec exec = {NULL, NULL, NULL};
  CHECK(run_and_check(NULL, 100, &h), "exec NULL");
  CHECK(run_and_check(&exec, 100, &h), "exec without a pool");
  CHECK(qcc_rt_pool_threads(NULL) == 1, "a NULL pool has %u threads", qcc_rt_pool_threads(NULL));
  qcc_rt_pool_destroy(NULL);
  CHECK(qcc_rt_pool_create(QCC_RT_MAX_THREADS + 1) == NULL, "too many threads accepted");
  qcc_rt_pool *all = qcc_rt_pool_create(0);
  CHECK(all && qcc_rt_pool_threads(all) >= 1, "pool of 0 (one per CPU) not created");
  qcc_rt_pool_destroy(all);
}

/* n indices that each wait until all n have started: only n threads at once get through. */
typedef struct rendezvous {
  atomic_uint started;
  uint32_t n;
  atomic_int timed_out;
} rendezvous;

static void meet(void *ctx, uint32_t i) {
  rendezvous *r = ctx;
  atomic_fetch_add(&r->started, 1);
  uint64_t deadline = qcc_rt_now_ns() + 10000000000ull;
  while (atomic_load(&r->started) < r->n) {
    if (qcc_rt_now_ns() > deadline) {
      atomic_store(&r->timed_out, 1);
      return;
    }
  }
}

static void test_concurrency(uint32_t threads) {
  qcc_rt_pool *pool = qcc_rt_pool_create(threads);
  if (!pool)
    return;
  qcc_rt_exec exec = {pool, NULL, NULL};
  for (int k = 0; k < 20; ++k) {
    rendezvous r = {0, threads, 0};
    qcc_rt_parallel_for(&exec, threads, meet, &r);
    CHECK(!atomic_load(&r.timed_out), "%u indices did not run on %u threads at once", threads,
          threads);
  }
  qcc_rt_pool_destroy(pool);
}

/* A parallel_for from inside fn on the same pool runs inline instead of deadlocking. */
typedef struct nested {
  const qcc_rt_exec *exec;
  hits inner[8];
  atomic_int ok;
} nested;

static void outer(void *ctx, uint32_t i) {
  nested *c = ctx;
  if (run_and_check(c->exec, 50, &c->inner[i]))
    atomic_fetch_add(&c->ok, 1);
}

static void test_nested(void) {
  qcc_rt_pool *pool = qcc_rt_pool_create(3);
  if (!pool)
    return;
  qcc_rt_exec exec = {pool, NULL, NULL};
  static nested c;
  for (int k = 0; k < 50; ++k) {
    c.exec = &exec;
    atomic_store(&c.ok, 0);
    qcc_rt_parallel_for(&exec, 8, outer, &c);
    CHECK(atomic_load(&c.ok) == 8, "nested calls: %d of 8 correct", atomic_load(&c.ok));
  }
  qcc_rt_pool_destroy(pool);
}

/* Several app threads, each running many parallel_fors on its own pool or on a shared one. */
typedef struct app_thread {
  qcc_rt_pool *pool;
  hits h;
  int bad;
} app_thread;

static void *app_main(void *arg) {
  app_thread *a = arg;
  qcc_rt_exec exec = {a->pool, NULL, NULL};
  for (uint32_t k = 0; k < 500; ++k)
    if (!run_and_check(&exec, 1 + (k * 53) % MAX_N, &a->h))
      ++a->bad;
  return NULL;
}

static void run_app_threads(qcc_rt_pool *p0, qcc_rt_pool *p1, const char *what) {
  static app_thread a[2];
  pthread_t t[2];
  a[0].pool = p0;
  a[1].pool = p1;
  int started = 0;
  for (int i = 0; i < 2; ++i) {
    a[i].bad = 0;
    if (pthread_create(&t[i], NULL, app_main, &a[i]) == 0)
      ++started;
  }
  CHECK(started == 2, "%s: cannot start app threads", what);
  for (int i = 0; i < started; ++i)
    pthread_join(t[i], NULL);
  CHECK(a[0].bad == 0 && a[1].bad == 0, "%s: %d and %d bad calls", what, a[0].bad, a[1].bad);
}

static void test_pools_at_once(void) {
  qcc_rt_pool *p = qcc_rt_pool_create(2), *q = qcc_rt_pool_create(3);
  CHECK(p && q, "two pools not created");
  if (p && q) {
    run_app_threads(p, q, "two pools");
    run_app_threads(q, q, "one pool, two callers");
  }
  qcc_rt_pool_destroy(p);
  qcc_rt_pool_destroy(q);
}

/* ---- qcc_rt_run and workspaces -----------------------------------------------------------------
 */
static atomic_int runs;
static int fake_run(const void *const *in, void *const *out, void *ws, const qcc_rt_exec *exec) {
  atomic_fetch_add(&runs, 1);
  return QCC_RT_OK;
}
static int failing_run(const void *const *in, void *const *out, void *ws, const qcc_rt_exec *exec) {
  return QCC_RT_ERR_NOMEM;
}

static const int64_t dims4[] = {4}, dims0[] = {0};
static const qcc_rt_tensor_info info4[] = {{"t", QCC_RT_F32, 1, dims4}};
static const qcc_rt_tensor_info info_empty[] = {{"empty", QCC_RT_F32, 1, dims0}};

static void test_run_checks(void) {
  qcc_rt_model m = {QCC_RT_ABI_VERSION, "fake", 1, 1, info4, info4, 256, 64, 0, NULL, fake_run};
  float in[4] = {0}, out[4];
  const void *ins[] = {in};
  void *outs[] = {out};
  const void *no_in[] = {NULL};
  void *no_out[] = {NULL};
  void *ws = qcc_rt_workspace_alloc(&m);
  CHECK(ws, "no workspace");
  char *wsb = ws;
  atomic_store(&runs, 0);
  CHECK(qcc_rt_run(&m, ins, outs, ws, NULL) == QCC_RT_OK, "valid call refused");
  CHECK(atomic_load(&runs) == 1, "run not called");
  CHECK(qcc_rt_run(NULL, ins, outs, ws, NULL) == QCC_RT_ERR_ARGUMENT, "NULL model");
  CHECK(qcc_rt_run(&m, NULL, outs, ws, NULL) == QCC_RT_ERR_ARGUMENT, "NULL inputs");
  CHECK(qcc_rt_run(&m, ins, NULL, ws, NULL) == QCC_RT_ERR_ARGUMENT, "NULL outputs");
  CHECK(qcc_rt_run(&m, no_in, outs, ws, NULL) == QCC_RT_ERR_ARGUMENT, "NULL input buffer");
  CHECK(qcc_rt_run(&m, ins, no_out, ws, NULL) == QCC_RT_ERR_ARGUMENT, "NULL output buffer");
  CHECK(qcc_rt_run(&m, ins, outs, NULL, NULL) == QCC_RT_ERR_ARGUMENT, "NULL workspace");
  for (int off = 1; off < 64; off *= 2)
    CHECK(qcc_rt_run(&m, ins, outs, wsb + off, NULL) == QCC_RT_ERR_ARGUMENT,
          "workspace misaligned by %d accepted", off);
  CHECK(atomic_load(&runs) == 1, "run called after a refused call");

  qcc_rt_model other = m;
  other.abi_version = QCC_RT_ABI_VERSION + 1;
  CHECK(qcc_rt_run(&other, ins, outs, ws, NULL) == QCC_RT_ERR_ABI, "ABI mismatch");
  other = m;
  other.run = NULL;
  CHECK(qcc_rt_run(&other, ins, outs, ws, NULL) == QCC_RT_ERR_ARGUMENT, "NULL run function");
  other = m;
  other.run = failing_run;
  CHECK(qcc_rt_run(&other, ins, outs, ws, NULL) == QCC_RT_ERR_NOMEM, "run's status lost");
  /* No workspace needed: NULL is fine; an empty tensor may have a NULL buffer. */
  qcc_rt_model bare = {
      QCC_RT_ABI_VERSION, "bare", 1, 1, info_empty, info4, 0, 64, 0, NULL, fake_run};
  CHECK(qcc_rt_run(&bare, no_in, outs, NULL, NULL) == QCC_RT_OK, "no workspace, empty input");
  qcc_rt_model none = {QCC_RT_ABI_VERSION, "none", 0, 1, NULL, info4, 0, 0, 0, NULL, fake_run};
  CHECK(qcc_rt_run(&none, NULL, outs, NULL, NULL) == QCC_RT_OK, "no inputs at all");
  qcc_rt_workspace_free(ws);
}

static void test_workspace(void) {
  const uint32_t aligns[] = {0, 1, 8, 16, 64, 128, 4096};
  const uint64_t sizes[] = {0, 1, 100, 65536};
  for (int a = 0; a < 7; ++a)
    for (int s = 0; s < 4; ++s) {
      qcc_rt_model m = {QCC_RT_ABI_VERSION, "ws",      0, 0,    NULL,    NULL,
                        sizes[s],           aligns[a], 0, NULL, fake_run};
      char *p = qcc_rt_workspace_alloc(&m);
      uint32_t want = aligns[a] < 16 ? 16 : aligns[a];
      CHECK(p && (uintptr_t)p % want == 0, "workspace of %llu bytes, align %u: %p",
            (unsigned long long)sizes[s], aligns[a], (void *)p);
      if (p)
        memset(p, 0xab, sizes[s]); /* the sanitizer build checks that it is all there */
      qcc_rt_workspace_free(p);
    }
  qcc_rt_model odd = {QCC_RT_ABI_VERSION, "odd", 0, 0, NULL, NULL, 64, 48, 0, NULL, fake_run};
  CHECK(qcc_rt_workspace_alloc(&odd) == NULL, "alignment 48 accepted");
  CHECK(qcc_rt_workspace_alloc(NULL) == NULL, "NULL model");
  qcc_rt_workspace_free(NULL);
}

static void test_sizes(void) {
  CHECK(qcc_rt_dtype_size(QCC_RT_F32) == 4 && qcc_rt_dtype_size(QCC_RT_U8) == 1 &&
            qcc_rt_dtype_size(QCC_RT_I8) == 1 && qcc_rt_dtype_size(QCC_RT_I32) == 4 &&
            qcc_rt_dtype_size(QCC_RT_I64) == 8 && qcc_rt_dtype_size(QCC_RT_BOOL) == 1 &&
            qcc_rt_dtype_size(QCC_RT_F16) == 2 && qcc_rt_dtype_size(42) == 0,
        "element sizes");
  const int64_t big[] = {INT64_MAX / 2, 3}, neg[] = {2, -1};
  qcc_rt_tensor_info scalar = {"s", QCC_RT_F32, 0, NULL}, b = {"b", QCC_RT_F32, 2, big},
                     n = {"n", QCC_RT_F32, 2, neg};
  CHECK(qcc_rt_tensor_numel(&scalar) == 1, "rank 0 has %lld elements",
        (long long)qcc_rt_tensor_numel(&scalar));
  CHECK(qcc_rt_tensor_numel(&info4[0]) == 4 && qcc_rt_tensor_numel(&info_empty[0]) == 0, "numel");
  CHECK(qcc_rt_tensor_numel(&b) == -1 && qcc_rt_tensor_numel(&n) == -1, "overflow / negative");
}

int main(void) {
  test_status_strings();
  test_clock();
  test_no_pool();
  for (uint32_t t = 1; t <= 4; ++t) {
    test_many_calls(t);
    test_concurrency(t);
  }
  test_nested();
  test_pools_at_once();
  test_run_checks();
  test_workspace();
  test_sizes();
  printf("runtime: %d checks, %d problems\n", atomic_load(&checks), atomic_load(&problems));
  return atomic_load(&problems) != 0;
}
