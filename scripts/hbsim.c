/*
 * hbsim: a simulated fast path for demos, tests and benchmarks. N lcore
 * threads each beat their slot of a hamon heartbeat region; commands on stdin
 * misbehave on demand.
 *
 *   cc -O2 -pthread -I src/c scripts/hbsim.c -o hbsim
 *   ./hbsim PATH NCORES [--plain] [--pace-us N]
 *
 * stdin commands (one per line; answers on stdout):
 *   stall I | resume I            stop/restart beating (the loop keeps spinning: a hang)
 *   idle I PROMISE_MS ACTUAL_MS   declare IDLE promising PROMISE_MS, stay idle ACTUAL_MS, then RUNNING
 *   park I | unpark I             PARKED (out of service) and back
 *   exit I                        the lcore returns (EXITED)
 *   backwards I                   corrupt: the beat counter jumps back by 2^20
 *   loops                         prints "loops <total iterations>"
 *   quit                          clean stop (tombstone), exit 0
 * Prints "ready <pid>" once the region is published.
 */
/* A program chooses its feature macros (the header defines none): POSIX and the usual Linux calls. */
#define _DEFAULT_SOURCE
#include "hamon_heartbeat.h"
#include <pthread.h>
#include <stdatomic.h>

struct core {
  _Alignas(128) atomic_int stall, park, exit_req, backwards;
  atomic_int idle_promise, idle_actual;
  atomic_ullong loops;
  uint32_t i;
};

static struct hamon_hb *hb;
static struct core *cores;
static unsigned pace_us;

static void msleep(unsigned ms) {
  struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000L };
  while (nanosleep(&ts, &ts) != 0) {}
}

static void *lcore(void *arg) {
  struct core *c = arg;
  uint64_t local = 0;
  hamon_hb_launch(hb, c->i);
  for (;;) {
    if (atomic_load_explicit(&c->exit_req, memory_order_relaxed)) { hamon_hb_set_state(hb, c->i, HAMON_HB_EXITED, 0); return NULL; }
    int promise = atomic_load_explicit(&c->idle_promise, memory_order_relaxed);
    if (promise) {
      hamon_hb_set_state(hb, c->i, HAMON_HB_IDLE, (uint32_t)promise);
      msleep((unsigned)atomic_load(&c->idle_actual));
      atomic_store(&c->idle_promise, 0);
      hamon_hb_set_state(hb, c->i, HAMON_HB_RUNNING, 0);
    }
    if (atomic_load_explicit(&c->park, memory_order_relaxed)) {
      hamon_hb_set_state(hb, c->i, HAMON_HB_PARKED, 0);
      while (atomic_load(&c->park)) msleep(1);
      hamon_hb_set_state(hb, c->i, HAMON_HB_RUNNING, 0);
    }
    if (atomic_exchange_explicit(&c->backwards, 0, memory_order_relaxed)) local -= (1u << 20);
    if (!atomic_load_explicit(&c->stall, memory_order_relaxed)) hamon_hb_beat_n(hb, c->i, ++local);
    atomic_fetch_add_explicit(&c->loops, 1, memory_order_relaxed);
    if (pace_us) { struct timespec ts = { 0, (long)pace_us * 1000L }; nanosleep(&ts, NULL); }
  }
}

int main(int argc, char **argv) {
  if (argc < 3) { fprintf(stderr, "usage: hbsim PATH NCORES [--plain] [--pace-us N]\n"); return 2; }
  uint32_t n = (uint32_t)atoi(argv[2]);
  enum hamon_hb_transport t = HAMON_HB_SEALED_MEMFD;
  for (int a = 3; a < argc; a++) {
    if (!strcmp(argv[a], "--plain")) t = HAMON_HB_PLAIN_FILE;
    else if (!strcmp(argv[a], "--pace-us") && a + 1 < argc) pace_us = (unsigned)atoi(argv[++a]);
  }
  hb = calloc(1, sizeof *hb);
  cores = aligned_alloc(128, sizeof *cores * n);
  memset(cores, 0, sizeof *cores * n);
  int rc = hamon_hb_create(hb, argv[1], n, t);
  if (rc) { fprintf(stderr, "create: %s\n", strerror(-rc)); return 1; }
  for (uint32_t i = 0; i < n; i++) {
    char name[16];
    snprintf(name, sizeof name, "lcore%u", i);
    hamon_hb_set_meta(hb, i, i + 1, 0, name);
  }
  if ((rc = hamon_hb_publish(hb))) { fprintf(stderr, "publish: %s\n", strerror(-rc)); return 1; }
  pthread_t *th = calloc(n, sizeof *th);
  for (uint32_t i = 0; i < n; i++) { cores[i].i = i; pthread_create(&th[i], NULL, lcore, &cores[i]); }
  printf("ready %d\n", (int)getpid());
  fflush(stdout);
  char line[128];
  while (fgets(line, sizeof line, stdin)) {
    char cmd[32] = "";
    unsigned i = 0, a = 0, b = 0;
    int k = sscanf(line, "%31s %u %u %u", cmd, &i, &a, &b);
    if (k >= 2 && i >= n) { printf("error core %u\n", i); fflush(stdout); continue; }
    if (!strcmp(cmd, "stall")) atomic_store(&cores[i].stall, 1);
    else if (!strcmp(cmd, "resume")) atomic_store(&cores[i].stall, 0);
    else if (!strcmp(cmd, "idle")) { atomic_store(&cores[i].idle_actual, (int)b); atomic_store(&cores[i].idle_promise, (int)a); }
    else if (!strcmp(cmd, "park")) atomic_store(&cores[i].park, 1);
    else if (!strcmp(cmd, "unpark")) atomic_store(&cores[i].park, 0);
    else if (!strcmp(cmd, "exit")) atomic_store(&cores[i].exit_req, 1);
    else if (!strcmp(cmd, "backwards")) atomic_store(&cores[i].backwards, 1);
    else if (!strcmp(cmd, "loops")) {
      unsigned long long total = 0;
      for (uint32_t j = 0; j < n; j++) total += atomic_load(&cores[j].loops);
      printf("loops %llu\n", total);
    } else if (!strcmp(cmd, "quit")) { hamon_hb_stop(hb); printf("bye\n"); fflush(stdout); return 0; }
    else { printf("error unknown command\n"); fflush(stdout); continue; }
    if (strcmp(cmd, "loops")) printf("ok\n");
    fflush(stdout);
  }
  return 0;
}
