/*
 * An example daemon that links libhamon-component, in its own epoll loop
 * (docs/c-library.md walks through it). Build:
 *   make -C src/c && cc -std=c11 -O2 -Isrc/c examples/c/component.c src/c/build/libhamon-component.a -lpthread -o hamon-example
 * or, installed: cc examples/c/component.c $(pkg-config --cflags --libs hamon-component) -o hamon-example
 *
 *   hamon-example NAME [--socket PATH] [--dynamic] [--plane control|fast|system] [--thread]
 *
 * With --thread it has no loop of its own: the library's helper thread
 * (hamon_start_thread) runs it, and the main thread only reads commands.
 * It offers a query check ("work"), confirms its own check ("tick") every
 * second, answers audits (late when told to: the answer comes from a timer,
 * never by blocking the loop), dumps its state, and carries out the "stop"
 * action. Its management interface is standard input, one command per line:
 *   report ok|degraded|failed TEXT     error LEVEL TEXT     tick ok|failed
 *   audit-delay MS                      block MS (stalls its whole loop)      quit
 * It prints what happens to standard output, one line each.
 */
#define _GNU_SOURCE 1
#include "hamon_component.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

static hamon_t *h;
static int tfd_tick, tfd_audit;
static uint64_t served, audit_id;
static int audit_delay_ms;
static enum hamon_health tick_result = HAMON_HEALTH_OK;
static int quitting;

static void say(const char *fmt, const char *a, const char *b) {
  printf(fmt, a, b);
  putchar('\n');
  fflush(stdout);
}

static void arm(int tfd, int ms, int repeat) {
  struct itimerspec t = { { repeat ? ms / 1000 : 0, repeat ? (ms % 1000) * 1000000L : 0 }, { ms / 1000, (ms % 1000) * 1000000L } };
  if (ms == 0) t.it_value.tv_nsec = 1;
  timerfd_settime(tfd, 0, &t, NULL);
}

/* Queries arrive here, from hamon_process(); answer now or later with hamon_reply(). */
static void on_query(hamon_t *hh, const struct hamon_query *q, void *user) {
  (void)user;
  char buf[128];
  switch (q->kind) {
    case HAMON_QUERY_HEALTH:
      snprintf(buf, sizeof buf, "%llu requests served", (unsigned long long)served);
      hamon_reply(hh, q->id, HAMON_HEALTH_OK, buf);
      break;
    case HAMON_QUERY_AUDIT:
      if (audit_delay_ms <= 0) {
        hamon_reply(hh, q->id, HAMON_HEALTH_OK, "tables consistent");
      } else {
        audit_id = q->id; /* answered when the audit's timer fires: the loop keeps running meanwhile */
        arm(tfd_audit, audit_delay_ms, 0);
      }
      break;
    case HAMON_QUERY_DUMP:
      snprintf(buf, sizeof buf, "served=%llu audit-delay=%d", (unsigned long long)served, audit_delay_ms);
      hamon_reply(hh, q->id, HAMON_HEALTH_OK, buf);
      break;
    case HAMON_QUERY_ACTION:
      if (strcmp(q->action, "stop") == 0) {
        hamon_reply(hh, q->id, HAMON_HEALTH_OK, "stopping");
        quitting = 1; /* deregister and exit after this turn */
      } else {
        hamon_reply(hh, q->id, HAMON_HEALTH_FAILED, "unknown action");
      }
      break;
  }
}

static void on_state(hamon_t *hh, enum hamon_state s, const char *code, const char *msg, void *user) {
  (void)hh;
  (void)user;
  static const char *const NAMES[] = { "connecting", "registered", "disconnected", "refused", "error" };
  say("state %s %s", NAMES[s], code);
  if (s == HAMON_STATE_REFUSED || s == HAMON_STATE_ERROR) say("  %s%s", msg, "");
}

static enum hamon_health health_of(const char *s) {
  return strcmp(s, "failed") == 0 ? HAMON_HEALTH_FAILED : strcmp(s, "degraded") == 0 ? HAMON_HEALTH_DEGRADED : HAMON_HEALTH_OK;
}

static void command(char *line) {
  char *nl = strchr(line, '\n');
  if (nl) *nl = '\0';
  char *arg = strchr(line, ' ');
  if (arg) *arg++ = '\0';
  else arg = line + strlen(line);
  if (strcmp(line, "report") == 0) {
    char *text = strchr(arg, ' ');
    if (text) *text++ = '\0';
    hamon_report(h, health_of(arg), text ? text : "");
  } else if (strcmp(line, "error") == 0) {
    char *text = strchr(arg, ' ');
    if (text) *text++ = '\0';
    enum hamon_level l = HAMON_LEVEL_RESTART_DAEMON;
    for (int k = 0; k < 4; k++)
      if (strcmp(arg, hamon_level_name((enum hamon_level)k)) == 0) l = (enum hamon_level)k;
    hamon_error_report(h, l, text ? text : "");
  } else if (strcmp(line, "tick") == 0) {
    tick_result = health_of(arg);
  } else if (strcmp(line, "audit-delay") == 0) {
    audit_delay_ms = atoi(arg);
  } else if (strcmp(line, "block") == 0) {
    struct timespec t = { atoi(arg) / 1000, (atoi(arg) % 1000) * 1000000L };
    nanosleep(&t, NULL); /* a stuck daemon: nothing runs, the library neither */
  } else if (strcmp(line, "quit") == 0) {
    quitting = 1;
  }
  say("done %s%s", line, "");
}

int main(int argc, char **argv) {
  if (argc < 2) {
    fprintf(stderr, "usage: %s NAME [--socket PATH] [--dynamic] [--plane control|fast|system]\n", argv[0]);
    return 64;
  }
  static const struct hamon_check checks[] = { { "work", 0, 500, 300 }, { "tick", 1, 1000, 500 } };
  static const char *const actions[] = { "stop" };
  struct hamon_config cfg = { .name = argv[1], .checks = checks, .n_checks = 2, .actions = actions, .n_actions = 1, .on_query = on_query, .on_state = on_state };
  int threaded = 0;
  for (int i = 2; i < argc; i++) {
    if (strcmp(argv[i], "--socket") == 0 && i + 1 < argc) cfg.socket = argv[++i];
    else if (strcmp(argv[i], "--thread") == 0) threaded = 1;
    else if (strcmp(argv[i], "--dynamic") == 0) cfg.kind = HAMON_KIND_DYNAMIC;
    else if (strcmp(argv[i], "--plane") == 0 && i + 1 < argc) {
      const char *p = argv[++i];
      cfg.plane = strcmp(p, "fast") == 0 ? HAMON_PLANE_FAST : strcmp(p, "system") == 0 ? HAMON_PLANE_SYSTEM : HAMON_PLANE_CONTROL;
    }
  }
  int err;
  h = hamon_new(&cfg, &err);
  if (!h) {
    fprintf(stderr, "hamon_new: %s\n", hamon_strerror(err));
    return 78;
  }
  if (hamon_start(h) != 0) return 1;
  char line[8192];
  if (threaded) {
    /* No loop of ours: the helper thread runs the library and calls on_query; commands arrive here. */
    if (hamon_start_thread(h) != 0) return 1;
    while (!quitting && fgets(line, sizeof line, stdin)) command(line);
    hamon_stop(h, "example stopping", 1000);
    hamon_free(h);
    say("bye%s%s", "", "");
    return 0;
  }
  int ep = epoll_create1(EPOLL_CLOEXEC);
  tfd_tick = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
  tfd_audit = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
  arm(tfd_tick, 1000, 1);
  int fds[] = { hamon_fd(h), tfd_tick, tfd_audit, STDIN_FILENO };
  for (int i = 0; i < 4; i++) {
    struct epoll_event ev = { .events = EPOLLIN, .data = { .fd = fds[i] } };
    epoll_ctl(ep, EPOLL_CTL_ADD, fds[i], &ev);
  }
  while (!quitting) {
    struct epoll_event evs[8];
    int n = epoll_wait(ep, evs, 8, hamon_next_timeout_ms(h));
    if (n < 0 && errno != EINTR) break;
    for (int i = 0; i < n; i++) {
      int fd = evs[i].data.fd;
      uint64_t x;
      if (fd == tfd_tick && read(fd, &x, sizeof x) > 0) {
        served++;
        hamon_confirm(h, "tick", tick_result, tick_result == HAMON_HEALTH_OK ? "" : "tick loop behind");
      } else if (fd == tfd_audit && read(fd, &x, sizeof x) > 0) {
        int r = hamon_reply(h, audit_id, HAMON_HEALTH_OK, "tables consistent (late audit)");
        say("audit answered: %s%s", hamon_strerror(r), "");
      } else if (fd == STDIN_FILENO) {
        if (!fgets(line, sizeof line, stdin)) quitting = 1;
        else command(line);
      }
    }
    hamon_process(h); /* whatever the library has ready or due; never blocks */
  }
  hamon_stop(h, "example stopping", 1000);
  hamon_free(h);
  say("bye%s%s", "", "");
  return 0;
}
