/*
 * The library's promises, one scenario per run against a real monitor
 * (test/c/libhamon.test.ts drives it, under ASan and UBSan):
 *
 *   contract SOCKET fork          every call in a forked child returns HAMON_EFORK
 *   contract SOCKET connecting    on_state(CONNECTING) never runs inside hamon_start
 *   contract SOCKET confirm       hamon_confirm of an undeclared check: HAMON_EINVAL
 *   contract SOCKET refused       after REFUSED: report, confirm, error_report return HAMON_ESTATE
 *   contract SOCKET name-taken    a second instance hears E_NAME_TAKEN once, not forever nothing
 *   contract SOCKET reason        a reason cut at 4096 bytes is cut at a character boundary
 *   contract SOCKET burst         2000 reports in a row: coalesced, no E_LIMIT, the last one wins
 *   contract SOCKET stop-timeout  hamon_stop against a monitor that never answers: HAMON_ETIMEOUT
 *   contract SOCKET reenter       hamon_process from a callback: HAMON_EBUSY, nothing re-parsed
 *
 * Prints "key value" lines; exits 0 unless something failed to set up.
 */
#define _DEFAULT_SOURCE
#include "hamon_component.h"

#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static int connecting_calls, errors_seen, limit_errors, refused, in_start;
static char last_error[64];

static void on_state(hamon_t *h, enum hamon_state s, const char *code, const char *msg, void *user) {
  (void)h, (void)msg, (void)user;
  if (s == HAMON_STATE_CONNECTING) connecting_calls += in_start ? 1000 : 1;
  if (s == HAMON_STATE_ERROR) {
    errors_seen++;
    snprintf(last_error, sizeof last_error, "%s", code);
    if (strcmp(code, "E_LIMIT") == 0) limit_errors++;
  }
  if (s == HAMON_STATE_REFUSED) refused = 1;
}

static int reenter_rc = 1;

static void on_query(hamon_t *h, const struct hamon_query *q, void *user) {
  (void)user;
  reenter_rc = hamon_process(h); /* what a careless application does: must be refused, not re-parse */
  hamon_reply(h, q->id, HAMON_HEALTH_OK, "answered");
}

static long long now_ms(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (long long)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

/* Runs the library's loop for `ms`, or until `until` says stop. */
static void pump(hamon_t *h, int ms, int (*until)(hamon_t *)) {
  long long end = now_ms() + ms;
  while (now_ms() < end && !(until && until(h))) {
    int t = hamon_next_timeout_ms(h);
    struct pollfd p = { hamon_fd(h), POLLIN, 0 };
    poll(&p, 1, t < 0 || t > 20 ? 20 : t);
    hamon_process(h);
  }
}

static int is_registered(hamon_t *h) { return hamon_registered(h) == 1; }
static int is_refused(hamon_t *h) { (void)h; return refused; }
static int reentered(hamon_t *h) { (void)h; return reenter_rc != 1; }

static hamon_t *make(const char *socket, const char *name, int with_query) {
  static const struct hamon_check checks[] = { { "c1", 1, 60000, 60000 } };
  struct hamon_config c;
  memset(&c, 0, sizeof c);
  c.name = name;
  c.socket = socket;
  c.checks = checks;
  c.n_checks = 1;
  c.on_state = on_state;
  c.on_query = with_query ? on_query : NULL;
  c.no_beacon = 1;
  int err = 0;
  hamon_t *h = hamon_new(&c, &err);
  if (!h) {
    fprintf(stderr, "hamon_new: %s\n", hamon_strerror(err));
    exit(2);
  }
  return h;
}

int main(int argc, char **argv) {
  if (argc < 3) return 64;
  const char *sock = argv[1], *sc = argv[2];
  const char *name = argc > 3 ? argv[3] : "contract";
  hamon_t *h = make(sock, name, strcmp(sc, "reenter") == 0);
  in_start = 1;
  hamon_start(h);
  in_start = 0;
  if (strcmp(sc, "connecting") == 0) {
    printf("during-start %d\n", connecting_calls);
    hamon_process(h);
    printf("after-process %d\n", connecting_calls);
  } else if (strcmp(sc, "refused") == 0) {
    pump(h, 5000, is_refused);
    printf("refused %d\n", refused);
    printf("report %d\n", hamon_report(h, HAMON_HEALTH_OK, "x"));
    printf("confirm %d\n", hamon_confirm(h, "c1", HAMON_HEALTH_OK, "x"));
    printf("error-report %d\n", hamon_error_report(h, HAMON_LEVEL_RESTART_DAEMON, "x"));
  } else if (strcmp(sc, "name-taken") == 0) {
    pump(h, 5000, is_registered);
    hamon_t *twin = make(sock, name, 0);
    hamon_start(twin);
    pump(twin, 3000, NULL);
    printf("twin-registered %d\n", hamon_registered(twin));
    printf("errors %d %s\n", errors_seen, last_error);
    hamon_free(twin);
  } else {
    pump(h, 5000, is_registered);
    printf("registered %d\n", hamon_registered(h));
    fflush(stdout);
    if (strcmp(sc, "fork") == 0) {
      pid_t c = fork();
      if (c == 0) {
        printf("child %d %d %d\n", hamon_fd(h), hamon_next_timeout_ms(h), hamon_registered(h));
        fflush(stdout);
        hamon_forget(h);
        _exit(0);
      }
      waitpid(c, NULL, 0);
    } else if (strcmp(sc, "confirm") == 0) {
      printf("undeclared %d\n", hamon_confirm(h, "nope", HAMON_HEALTH_OK, ""));
      printf("declared %d\n", hamon_confirm(h, "c1", HAMON_HEALTH_OK, ""));
    } else if (strcmp(sc, "reason") == 0) {
      static char r[4200];
      memset(r, 'a', 4095);
      memcpy(r + 4095, "\xc3\xa9tail", 6); /* "é" straddles the 4096-byte limit */
      hamon_report(h, HAMON_HEALTH_DEGRADED, r);
      pump(h, 300, NULL);
    } else if (strcmp(sc, "burst") == 0) {
      char r[32];
      for (int i = 0; i < 2000; i++) {
        snprintf(r, sizeof r, "report %d", i);
        hamon_report(h, HAMON_HEALTH_DEGRADED, r);
      }
      pump(h, 500, NULL);
      printf("limit-errors %d\n", limit_errors);
    } else if (strcmp(sc, "stop-timeout") == 0) {
      printf("ready\n");
      fflush(stdout);
      char line[16];
      if (!fgets(line, sizeof line, stdin)) return 3; /* the test stops the monitor (SIGSTOP), then says go */
      printf("stop %d\n", hamon_stop(h, "bye", 500));
    } else if (strcmp(sc, "reenter") == 0) {
      printf("ready\n");
      fflush(stdout);
      pump(h, 10000, reentered);
      pump(h, 200, NULL); /* the reply goes out */
      printf("reenter %d\n", reenter_rc);
    }
  }
  fflush(stdout);
  if (strcmp(sc, "stop-timeout") != 0) hamon_stop(h, "done", 1000);
  hamon_free(h);
  return 0;
}
