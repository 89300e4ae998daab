/* The thread pool behind qcc_rt_parallel_for.
 *
 * A pool runs one job at a time. `state` holds the job's generation and whether it is open. The
 * caller writes the job (fn, ctx, n, the shared index counter `next`), opens it under the lock
 * and wakes sleeping workers, takes indices itself until none are left, closes the job, and
 * waits until no worker is inside it. A worker joins a job by incrementing `active` and only then
 * checking that the job is still open (else it leaves without touching the job), takes indices,
 * and decrements `active`. The caller closes before it reads `active` and a worker counts itself
 * before it reads `state` (both sequentially consistent), so either the worker sees the job
 * closed or the caller sees the worker and waits for it: the caller never waits for a worker that
 * has not been scheduled yet, which matters when the machine has fewer free cores than the pool
 * has threads. Waiting spins, then yields, then sleeps on a condition variable, so back-to-back
 * kernels of one run do not pay a wake-up each. Nothing is allocated per job, and all state
 * lives in the pool. */
#include "qcc_runtime.h"

#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdlib.h>
#include <unistd.h>

/* Polls of a waiting thread: first with a pause hint, then giving the core away, then sleeping. */
enum { PAUSE_POLLS = 2000, YIELD_POLLS = 200 };

static inline void cpu_relax(void) {
#if defined(__x86_64__) || defined(__i386__)
  __asm__ __volatile__("pause");
#elif defined(__aarch64__) || defined(__arm__)
  __asm__ __volatile__("yield");
#endif
}

static inline void backoff(int k) {
  if (k < PAUSE_POLLS)
    cpu_relax();
  else
    sched_yield();
}

struct qcc_rt_pool {
  uint32_t threads; /* the caller included */
  pthread_t *workers;
  uint32_t started; /* workers running */

  pthread_mutex_t lock;
  pthread_cond_t wake; /* a job opened, or stop */
  pthread_cond_t idle; /* active dropped to zero */
  atomic_bool stop;

  atomic_bool busy;    /* some caller owns the pool */
  atomic_uint state;   /* generation << 1 | open */
  atomic_uint active;  /* workers inside the open job */
  atomic_bool waiting; /* the caller sleeps on `idle` */
  /* The job: written by its caller while no worker is inside one. */
  void (*fn)(void *ctx, uint32_t i);
  void *ctx;
  uint32_t n;
  atomic_uint next;
};

static void take_indices(qcc_rt_pool *p) {
  for (;;) {
    uint32_t i = atomic_fetch_add_explicit(&p->next, 1, memory_order_relaxed);
    if (i >= p->n)
      return;
    p->fn(p->ctx, i);
  }
}

/* An open job this worker has not run yet. */
static bool job_ready(unsigned state, unsigned done_state) {
  return (state & 1u) && state != done_state;
}

/* Waits for a job other than done_state; returns its state, or 0 when the pool stops. */
static unsigned wait_for_job(qcc_rt_pool *p, unsigned done_state) {
  for (int k = 0; k < PAUSE_POLLS + YIELD_POLLS; ++k) {
    unsigned s = atomic_load(&p->state);
    if (job_ready(s, done_state))
      return s;
    if (atomic_load_explicit(&p->stop, memory_order_relaxed))
      return 0;
    backoff(k);
  }
  pthread_mutex_lock(&p->lock);
  unsigned s = 0;
  while (!atomic_load(&p->stop) && !job_ready(s = atomic_load(&p->state), done_state))
    pthread_cond_wait(&p->wake, &p->lock);
  bool stop = atomic_load(&p->stop);
  pthread_mutex_unlock(&p->lock);
  return stop ? 0 : s;
}

static void leave_job(qcc_rt_pool *p) {
  if (atomic_fetch_sub(&p->active, 1) == 1 && atomic_load(&p->waiting)) {
    pthread_mutex_lock(&p->lock);
    pthread_cond_signal(&p->idle);
    pthread_mutex_unlock(&p->lock);
  }
}

static void *worker_main(void *arg) {
  qcc_rt_pool *p = arg;
  unsigned done_state = 0, s;
  while ((s = wait_for_job(p, done_state)) != 0) {
    atomic_fetch_add(&p->active, 1);
    if (atomic_load(&p->state) == s) /* still open: the job's fields are stable until we leave */
      take_indices(p);
    done_state = s;
    leave_job(p);
  }
  return NULL;
}

static uint32_t online_cpus(void) {
  long n = sysconf(_SC_NPROCESSORS_ONLN);
  return n < 1 ? 1 : n > QCC_RT_MAX_THREADS ? QCC_RT_MAX_THREADS : (uint32_t)n;
}

qcc_rt_pool *qcc_rt_pool_create(uint32_t threads) {
  if (threads == 0)
    threads = online_cpus();
  if (threads > QCC_RT_MAX_THREADS)
    return NULL;
  qcc_rt_pool *p = calloc(1, sizeof *p);
  if (!p)
    return NULL;
  p->threads = threads;
  atomic_init(&p->stop, false);
  atomic_init(&p->busy, false);
  atomic_init(&p->state, 0);
  atomic_init(&p->active, 0);
  atomic_init(&p->waiting, false);
  atomic_init(&p->next, 0);
  if (pthread_mutex_init(&p->lock, NULL) != 0) {
    free(p);
    return NULL;
  }
  if (pthread_cond_init(&p->wake, NULL) != 0) {
    pthread_mutex_destroy(&p->lock);
    free(p);
    return NULL;
  }
  if (pthread_cond_init(&p->idle, NULL) != 0) {
    pthread_cond_destroy(&p->wake);
    pthread_mutex_destroy(&p->lock);
    free(p);
    return NULL;
  }
  if (threads > 1) {
    p->workers = calloc(threads - 1, sizeof *p->workers);
    if (!p->workers) {
      qcc_rt_pool_destroy(p);
      return NULL;
    }
    for (uint32_t t = 0; t + 1 < threads; ++t) {
      if (pthread_create(&p->workers[t], NULL, worker_main, p) != 0) {
        qcc_rt_pool_destroy(p);
        return NULL;
      }
      p->started = t + 1;
    }
  }
  return p;
}

void qcc_rt_pool_destroy(qcc_rt_pool *p) {
  if (!p)
    return;
  pthread_mutex_lock(&p->lock);
  atomic_store(&p->stop, true);
  pthread_cond_broadcast(&p->wake);
  pthread_mutex_unlock(&p->lock);
  for (uint32_t t = 0; t < p->started; ++t)
    pthread_join(p->workers[t], NULL);
  pthread_cond_destroy(&p->idle);
  pthread_cond_destroy(&p->wake);
  pthread_mutex_destroy(&p->lock);
  free(p->workers);
  free(p);
}

uint32_t qcc_rt_pool_threads(const qcc_rt_pool *p) { return p ? p->threads : 1; }

void qcc_rt_parallel_for(const qcc_rt_exec *exec, uint32_t n, void (*fn)(void *ctx, uint32_t i),
                         void *ctx) {
  qcc_rt_pool *p = exec ? exec->pool : NULL;
  if (!p || p->started == 0 || n < 2 ||
      atomic_exchange_explicit(&p->busy, true, memory_order_acquire)) {
    for (uint32_t i = 0; i < n; ++i)
      fn(ctx, i);
    return;
  }
  p->fn = fn;
  p->ctx = ctx;
  p->n = n;
  atomic_store_explicit(&p->next, 0, memory_order_relaxed);
  /* Open states are odd, so never 0 (wait_for_job's stop value and a new worker's done_state). */
  unsigned open = (atomic_load_explicit(&p->state, memory_order_relaxed) + 2u) | 1u;
  pthread_mutex_lock(&p->lock);
  atomic_store(&p->state, open);
  pthread_cond_broadcast(&p->wake);
  pthread_mutex_unlock(&p->lock);

  take_indices(p);

  atomic_store(&p->state, open & ~1u); /* closed: late workers leave without touching the job */
  for (int k = 0; atomic_load(&p->active) != 0; ++k) {
    if (k == PAUSE_POLLS + YIELD_POLLS) {
      pthread_mutex_lock(&p->lock);
      atomic_store(&p->waiting, true);
      while (atomic_load(&p->active) != 0)
        pthread_cond_wait(&p->idle, &p->lock);
      atomic_store(&p->waiting, false);
      pthread_mutex_unlock(&p->lock);
      break;
    }
    backoff(k);
  }
  atomic_store_explicit(&p->busy, false, memory_order_release);
}
