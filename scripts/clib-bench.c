/*
 * The C side of npm run bench:clib (scripts/bench-clib.ts), on libhamon-component.
 *   clib-bench serve SOCKET NAME IDLE_S   registers (one 1 s health check), prints its RSS before
 *                                         hamon_new and once registered, then its own CPU over IDLE_S
 *                                         seconds idle, then serves queries until stdin closes
 *   clib-bench many SOCKET N              N components in this one process, started at once:
 *                                         prints the ms until all are registered
 *   clib-bench floor N                    the floor under any of it here: a bare process woken by a
 *                                         socket once a second, reading and answering: CPU per wake
 */
#define _GNU_SOURCE 1
#include "hamon_component.h"

#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static double now_ms(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return t.tv_sec * 1e3 + t.tv_nsec / 1e6;
}

static long rss_kib(void) {
  FILE *f = fopen("/proc/self/status", "r");
  char line[256];
  long v = -1;
  while (f && fgets(line, sizeof line, f))
    if (strncmp(line, "VmRSS:", 6) == 0) v = atol(line + 6);
  if (f) fclose(f);
  return v;
}

/* CPU time in µs from the scheduler's own ns count (/proc/self/schedstat): getrusage is charged per tick, far too coarse for a process that runs a few µs a second. */
static double cpu_us(void) {
  FILE *f = fopen("/proc/self/schedstat", "r");
  unsigned long long ns = 0;
  if (f) {
    if (fscanf(f, "%llu", &ns) != 1) ns = 0;
    fclose(f);
  }
  if (ns) return ns / 1e3;
  struct rusage r;
  getrusage(RUSAGE_SELF, &r);
  return r.ru_utime.tv_sec * 1e6 + r.ru_utime.tv_usec + r.ru_stime.tv_sec * 1e6 + r.ru_stime.tv_usec;
}

static void on_query(hamon_t *h, const struct hamon_query *q, void *user) {
  (void)user;
  hamon_reply(h, q->id, HAMON_HEALTH_OK, "fine");
}

static int serve(const char *sock, const char *name, int idle_s) {
  long before = rss_kib();
  static const struct hamon_check checks[] = { { "health", 0, 1000, 1000 } };
  struct hamon_config cfg = { .name = name, .socket = sock, .checks = checks, .n_checks = 1, .on_query = on_query };
  int e;
  hamon_t *h = hamon_new(&cfg, &e);
  if (!h || hamon_start(h) != 0) return 1;
  int ep = epoll_create1(EPOLL_CLOEXEC);
  struct epoll_event ev = { .events = EPOLLIN, .data = { .fd = hamon_fd(h) } };
  epoll_ctl(ep, EPOLL_CTL_ADD, hamon_fd(h), &ev);
  struct epoll_event in = { .events = EPOLLIN, .data = { .fd = 0 } };
  epoll_ctl(ep, EPOLL_CTL_ADD, 0, &in);
  while (!hamon_registered(h)) {
    epoll_wait(ep, &ev, 1, hamon_next_timeout_ms(h));
    hamon_process(h);
  }
  printf("rss-before %ld rss-registered %ld\n", before, rss_kib());
  fflush(stdout);
  double c0 = cpu_us(), t0 = now_ms();
  int reported = 0;
  for (;;) {
    struct epoll_event evs[2];
    int t = hamon_next_timeout_ms(h);
    int until_report = reported ? -1 : (int)(idle_s * 1000.0 - (now_ms() - t0)) + 1;
    if (until_report >= 0 && (t < 0 || until_report < t)) t = until_report;
    int n = epoll_wait(ep, evs, 2, t); /* only when the library or the report has something due */
    for (int i = 0; i < n; i++)
      if (evs[i].data.fd == 0) {
        char b[64];
        if (read(0, b, sizeof b) <= 0) { hamon_stop(h, "bench done", 500); hamon_free(h); return 0; }
      }
    hamon_process(h);
    if (!reported && now_ms() - t0 >= idle_s * 1000.0) {
      printf("idle-cpu-us %.0f over %.1f s\n", cpu_us() - c0, (now_ms() - t0) / 1000);
      fflush(stdout);
      reported = 1;
    }
  }
}

static int many(const char *sock, int n) {
  struct rlimit rl = { 65536, 65536 };
  setrlimit(RLIMIT_NOFILE, &rl);
  hamon_t **hs = calloc((size_t)n, sizeof *hs);
  int ep = epoll_create1(EPOLL_CLOEXEC);
  double t0 = now_ms();
  for (int i = 0; i < n; i++) {
    char name[32];
    snprintf(name, sizeof name, "c%04d", i);
    struct hamon_config cfg = { .name = name, .socket = sock, .on_query = on_query, .no_beacon = 1 };
    int e;
    hs[i] = hamon_new(&cfg, &e);
    if (!hs[i] || hamon_start(hs[i]) != 0) return 1;
    struct epoll_event ev = { .events = EPOLLIN, .data = { .u32 = (uint32_t)i } };
    epoll_ctl(ep, EPOLL_CTL_ADD, hamon_fd(hs[i]), &ev);
  }
  int registered = 0;
  while (registered < n && now_ms() - t0 < 30000) {
    struct epoll_event evs[256];
    int k = epoll_wait(ep, evs, 256, 5);
    for (int i = 0; i < k; i++) hamon_process(hs[evs[i].data.u32]);
    registered = 0;
    for (int i = 0; i < n; i++) {
      if (hamon_next_timeout_ms(hs[i]) == 0) hamon_process(hs[i]);
      registered += hamon_registered(hs[i]);
    }
  }
  printf("many %d registered %d in %.1f ms, rss %ld KiB\n", n, registered, now_ms() - t0, rss_kib());
  for (int i = 0; i < n; i++) hamon_free(hs[i]);
  return registered == n ? 0 : 1;
}

static int floor_(int n) {
  int sv[2];
  if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0) return 1;
  pid_t child = fork();
  if (child == 0) {
    close(sv[0]);
    int ep = epoll_create1(EPOLL_CLOEXEC);
    struct epoll_event ev = { .events = EPOLLIN, .data = { .fd = sv[1] } };
    epoll_ctl(ep, EPOLL_CTL_ADD, sv[1], &ev);
    double c0 = cpu_us();
    char b[64];
    for (int i = 0; i < n; i++) {
      epoll_wait(ep, &ev, 1, -1);
      if (read(sv[1], b, sizeof b) <= 0 || write(sv[1], "r", 1) != 1) return 1;
    }
    printf("floor-us-per-wake %.0f\n", (cpu_us() - c0) / n);
    fflush(stdout);
    _exit(0);
  }
  close(sv[1]);
  char b[8];
  for (int i = 0; i < n; i++) {
    sleep(1);
    if (write(sv[0], "q", 1) != 1 || read(sv[0], b, sizeof b) <= 0) return 1;
  }
  int st;
  waitpid(child, &st, 0);
  return 0;
}

int main(int argc, char **argv) {
  if (argc >= 3 && strcmp(argv[1], "floor") == 0) return floor_(atoi(argv[2]));
  if (argc >= 5 && strcmp(argv[1], "serve") == 0) return serve(argv[2], argv[3], atoi(argv[4]));
  if (argc >= 4 && strcmp(argv[1], "many") == 0) return many(argv[2], atoi(argv[3]));
  fprintf(stderr, "usage: clib-bench serve SOCKET NAME IDLE_S | many SOCKET N | floor N\n");
  return 64;
}
