/*
 * libhamon-component (hamon_component.h; docs/c-library.md; the wire
 * protocol is docs/protocol.md). One block allocated by hamon_new() holds
 * every buffer: the input frame, the output ring, the decoder's document,
 * the queued error reports and the outstanding queries. Sockets are
 * non-blocking and close-on-exec; the caller polls one epoll descriptor that
 * holds the monitor connection and the beacon.
 */
#define _GNU_SOURCE 1
#include "hamon_component.h"
#include "hamon_xml.h"
#include "hamon_wire.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

/* Bytes queued for the monitor at most; a monitor that lets this fill is not reading: reconnect. */
#define OUT_CAP (4 * (HAMON_FRAME_MAX + 4))
/* The protocol's text limits (characters; bytes here, which is stricter). */
#define TEXT_MAX HW_TEXT_MAX
/* A monitor that accepted but does not finish hello/register within this is dropped (a stopped monitor). */
#define HANDSHAKE_MS 5000
/* Deadlines for queries whose timeout the registration does not say. */
#define RELAYED_QUERY_MS 5000
#define ACTION_QUERY_MS 30000
#define DEFAULT_HEALTH_MS 1000
#define NAME_MAX_ 63

enum st { ST_IDLE, ST_BACKOFF, ST_CONNECTING, ST_HELLO, ST_REGISTERING, ST_REGISTERED, ST_REFUSED, ST_STOPPED };

struct pending {
  uint64_t id;
  uint64_t deadline;
  uint32_t gen;
};

struct queued_error {
  enum hamon_level level;
  char reason[TEXT_MAX + 1];
};

struct hamon {
  pthread_mutex_t mu;
  pid_t owner;
  /* configuration, copied */
  char name[NAME_MAX_ + 1];
  char socket[sizeof(((struct sockaddr_un *)0)->sun_path)];
  char agent[64];
  enum hamon_kind kind;
  enum hamon_plane plane;
  long pid;
  struct hw_check checks[HAMON_MAX_CHECKS];
  size_t n_checks;
  char actions[HAMON_MAX_ACTIONS][HW_NAME_BYTES];
  size_t n_actions;
  hamon_query_fn on_query;
  hamon_state_fn on_state;
  void *user;
  uint32_t backoff_initial, backoff_max;
  int no_beacon;
  /* runtime */
  int ep, fd, beacon_fd, wake_fd;
  char beacon_path[sizeof(((struct sockaddr_un *)0)->sun_path)];
  enum st st;
  int ever_registered;
  uint32_t attempt;
  uint32_t gen;            /* connection generation: queries of a lost connection are stale */
  uint64_t retry_at, handshake_until;
  uint64_t next_id, register_id, dereg_id;
  int dereg_acked;
  uint32_t out_events;     /* what the monitor fd is registered for in the epoll set */
  unsigned int rng;
  /* latest report, queued errors, outstanding queries */
  int have_report;
  int report_dirty;        /* a report not sent yet: coalesced (HAMON_REPORT_MIN_MS), sent by hamon_process */
  uint64_t report_sent_at;
  enum hamon_health rep_health;
  char rep_reason[TEXT_MAX + 1];
  int announce_connecting; /* on_state(CONNECTING) is due: delivered by hamon_process, never inside hamon_start */
  int name_taken_told;     /* E_NAME_TAKEN was said to the application in this episode */
  int in_process;          /* hamon_process is running (its callbacks run with the lock released): re-entry is refused */
  struct queued_error errors[HAMON_MAX_QUEUED_ERRORS];
  size_t n_errors;
  struct pending pending[HAMON_MAX_PENDING];
  size_t n_pending;
  /* helper thread */
  pthread_t thread;
  int thread_running;
  /* buffers */
  size_t in_n;
  size_t out_head, out_n;
  unsigned char in[4 + HAMON_FRAME_MAX];
  unsigned char frame[4 + HAMON_FRAME_MAX];
  unsigned char out[OUT_CAP];
  struct hxml_doc doc;
};

static const char *const HEALTH[] = { "ok", "degraded", "failed" };
static const char *const LEVEL[] = { "restart-daemon", "restart-control-plane", "restart-control-plane-and-fast-path", "reboot-system" };
static const char *const PLANE[] = { "control", "fast", "system" };
static const char *const KIND[] = { "static", "dynamic" };

const char *hamon_health_name(enum hamon_health x) { return (unsigned)x < 3 ? HEALTH[x] : "?"; }
const char *hamon_level_name(enum hamon_level x) { return (unsigned)x < 4 ? LEVEL[x] : "?"; }

const char *hamon_strerror(int code) {
  switch (code) {
    case 0: return "ok";
    case HAMON_EINVAL: return "invalid argument";
    case HAMON_ENOMEM: return "out of memory";
    case HAMON_ESTALE: return "no such query outstanding";
    case HAMON_ESTATE: return "not in a state to do that";
    case HAMON_EFORK: return "called in a forked child";
    case HAMON_ETIMEOUT: return "the monitor did not answer in time";
    case HAMON_EBUSY: return "hamon_process is already running (re-entered)";
    default: return code < 0 ? strerror(-code) : "unknown error";
  }
}

static uint64_t now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

static int valid_name(const char *s) {
  size_t n = s ? strlen(s) : 0;
  if (n == 0 || n > NAME_MAX_) return 0;
  for (size_t i = 0; i < n; i++) {
    char c = s[i];
    int alnum = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
    if (!alnum && (i == 0 || (c != '.' && c != '_' && c != '-'))) return 0;
  }
  return 1;
}

/* ---- output: a frame built in h->frame (hamon_wire.c writes it), then queued in the ring ---- */

static void frame_begin(hamon_t *h, struct hw *w) {
  w->p = h->frame + 4;
  w->cap = HAMON_FRAME_MAX;
  w->n = 0;
  w->over = 0;
}

static void drop_connection(hamon_t *h, int notify);

/* Queues the frame in h->frame. A monitor that does not read what is queued is dropped (reconnect re-sends what matters). */
static int frame_send(hamon_t *h, struct hw *w) {
  if (w->over || w->n == 0) return HAMON_EINVAL;
  if (h->fd < 0) return 0;
  uint32_t n = (uint32_t)w->n;
  h->frame[0] = (unsigned char)(n >> 24);
  h->frame[1] = (unsigned char)(n >> 16);
  h->frame[2] = (unsigned char)(n >> 8);
  h->frame[3] = (unsigned char)n;
  size_t total = 4 + w->n;
  if (OUT_CAP - h->out_n < total) {
    drop_connection(h, 1);
    return 0;
  }
  for (size_t k = 0; k < total;) {
    size_t at = (h->out_head + h->out_n) % OUT_CAP;
    size_t chunk = OUT_CAP - at < total - k ? OUT_CAP - at : total - k;
    memcpy(h->out + at, h->frame + k, chunk);
    h->out_n += chunk;
    k += chunk;
  }
  return 0;
}

static void watch_fd(hamon_t *h) {
  if (h->fd < 0) return;
  uint32_t want = EPOLLIN | EPOLLRDHUP | (h->out_n > 0 || h->st == ST_CONNECTING ? EPOLLOUT : 0);
  if (want == h->out_events) return;
  struct epoll_event ev = { .events = want, .data = { .fd = h->fd } };
  epoll_ctl(h->ep, EPOLL_CTL_MOD, h->fd, &ev);
  h->out_events = want;
}

/* Writes what the socket takes now. */
static void flush_out(hamon_t *h) {
  while (h->fd >= 0 && h->out_n > 0 && h->st != ST_CONNECTING) {
    size_t chunk = OUT_CAP - h->out_head < h->out_n ? OUT_CAP - h->out_head : h->out_n;
    ssize_t r = send(h->fd, h->out + h->out_head, chunk, MSG_NOSIGNAL | MSG_DONTWAIT);
    if (r < 0) {
      if (errno == EINTR) continue;
      if (errno == EAGAIN || errno == EWOULDBLOCK) break;
      drop_connection(h, 1);
      return;
    }
    h->out_head = (h->out_head + (size_t)r) % OUT_CAP;
    h->out_n -= (size_t)r;
  }
  watch_fd(h);
}

static void send_hello(hamon_t *h) {
  struct hw w;
  frame_begin(h, &w);
  hw_hello(&w, h->agent);
  frame_send(h, &w);
}

static void send_register(hamon_t *h) {
  struct hw w;
  frame_begin(h, &w);
  h->register_id = h->next_id++;
  hw_register(&w, h->register_id, h->name, KIND[h->kind], PLANE[h->plane], h->pid, h->checks, h->n_checks, h->actions, h->n_actions);
  frame_send(h, &w);
}

static void send_with_reason(hamon_t *h, const char *head, const char *reason) {
  struct hw w;
  frame_begin(h, &w);
  hw_with_reason(&w, head, reason);
  frame_send(h, &w);
}

static void send_report(hamon_t *h) {
  char head[64];
  snprintf(head, sizeof head, "<report health=\"%s\"", HEALTH[h->rep_health]);
  send_with_reason(h, head, h->rep_reason);
}

static void send_error(hamon_t *h, const struct queued_error *e) {
  char head[80];
  snprintf(head, sizeof head, "<error-report level=\"%s\"", LEVEL[e->level]);
  send_with_reason(h, head, e->reason);
}

static void send_reply(hamon_t *h, uint64_t id, enum hamon_health health, const char *detail) {
  struct hw w;
  frame_begin(h, &w);
  hw_reply(&w, id, HEALTH[health], detail);
  frame_send(h, &w);
}

/* ---- connection life ------------------------------------------------------ */

static void set_state(hamon_t *h, enum hamon_state s, const char *code, const char *msg, int notify) {
  if (!notify || !h->on_state) return;
  hamon_state_fn fn = h->on_state;
  void *user = h->user;
  pthread_mutex_unlock(&h->mu);
  fn(h, s, code ? code : "", msg ? msg : "", user);
  pthread_mutex_lock(&h->mu);
}

static void schedule_retry(hamon_t *h) {
  uint64_t cap = h->backoff_initial;
  for (uint32_t k = 0; k < h->attempt && cap < h->backoff_max; k++) cap *= 2;
  if (cap > h->backoff_max) cap = h->backoff_max;
  /* Half fixed, half random (docs/protocol.md §6): many components restarting at once spread out. */
  uint64_t d = cap / 2 + (cap / 2 ? (uint64_t)rand_r(&h->rng) % (cap / 2 + 1) : 0);
  if (h->attempt < 32) h->attempt++;
  h->retry_at = now_ms() + d;
  h->st = ST_BACKOFF;
}

/* Closes the monitor connection; the next attempt comes after the backoff. */
static void drop_connection(hamon_t *h, int notify) {
  if (h->fd >= 0) {
    epoll_ctl(h->ep, EPOLL_CTL_DEL, h->fd, NULL);
    close(h->fd);
  }
  h->fd = -1;
  h->in_n = 0;
  h->out_head = h->out_n = 0;
  h->out_events = 0;
  h->n_pending = 0;
  h->gen++;
  int was_registered = h->st == ST_REGISTERED;
  if (h->st == ST_REFUSED || h->st == ST_STOPPED) return;
  schedule_retry(h);
  if (was_registered) set_state(h, HAMON_STATE_DISCONNECTED, "", "", notify);
}

static void connect_now(hamon_t *h) {
  struct sockaddr_un a;
  memset(&a, 0, sizeof a);
  a.sun_family = AF_UNIX;
  memcpy(a.sun_path, h->socket, strlen(h->socket) + 1);
  int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) { schedule_retry(h); return; }
  h->fd = fd;
  h->handshake_until = now_ms() + HANDSHAKE_MS;
  struct epoll_event ev = { .events = EPOLLIN | EPOLLRDHUP | EPOLLOUT, .data = { .fd = fd } };
  if (epoll_ctl(h->ep, EPOLL_CTL_ADD, fd, &ev) != 0) { drop_connection(h, 0); return; }
  h->out_events = ev.events;
  int r;
  do r = connect(fd, (struct sockaddr *)&a, sizeof a); while (r != 0 && errno == EINTR);
  if (r == 0) {
    h->st = ST_HELLO;
    send_hello(h);
    flush_out(h);
  } else if (errno == EAGAIN || errno == EINPROGRESS) {
    h->st = ST_CONNECTING; /* the backlog is full: writable when accepted */
  } else {
    h->st = ST_CONNECTING;
    drop_connection(h, 0);
  }
}

/* After a registration: the beacon (docs/protocol.md §6.1), bound once for the component's life. */
static void open_beacon(hamon_t *h) {
  if (h->no_beacon || h->beacon_fd >= 0) return;
  char dir[sizeof h->socket];
  memcpy(dir, h->socket, sizeof dir);
  char *slash = strrchr(dir, '/');
  if (!slash) return;
  *slash = '\0';
  int n = snprintf(h->beacon_path, sizeof h->beacon_path, "%s/beacons/%s.sock", dir[0] ? dir : "", h->name);
  if (n < 0 || (size_t)n >= sizeof h->beacon_path) { h->beacon_path[0] = '\0'; return; }
  char bdir[sizeof h->beacon_path];
  memcpy(bdir, h->beacon_path, sizeof bdir);
  *strrchr(bdir, '/') = '\0'; /* "<dir>/beacons": the path has that slash by construction */
  mkdir(bdir, 0750); /* the monitor makes it 1770; this only helps a monitor that has not yet */
  struct sockaddr_un a;
  memset(&a, 0, sizeof a);
  a.sun_family = AF_UNIX;
  memcpy(a.sun_path, h->beacon_path, strlen(h->beacon_path) + 1);
  struct stat st;
  if (lstat(h->beacon_path, &st) == 0) {
    if (!S_ISSOCK(st.st_mode)) { h->beacon_path[0] = '\0'; return; } /* not ours to remove */
    int probe = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (probe < 0) { h->beacon_path[0] = '\0'; return; }
    int r = connect(probe, (struct sockaddr *)&a, sizeof a);
    int e = errno;
    close(probe);
    if (r == 0 || e == EAGAIN) { h->beacon_path[0] = '\0'; return; } /* alive: another instance of this name */
    unlink(h->beacon_path); /* stale: nobody listens */
  }
  int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) { h->beacon_path[0] = '\0'; return; }
  if (bind(fd, (struct sockaddr *)&a, sizeof a) != 0 || listen(fd, 16) != 0) {
    close(fd);
    h->beacon_path[0] = '\0';
    return;
  }
  chmod(h->beacon_path, 0660);
  struct epoll_event ev = { .events = EPOLLIN, .data = { .fd = fd } };
  if (epoll_ctl(h->ep, EPOLL_CTL_ADD, fd, &ev) != 0) {
    close(fd);
    unlink(h->beacon_path);
    h->beacon_path[0] = '\0';
    return;
  }
  h->beacon_fd = fd;
}

static void registered(hamon_t *h) {
  h->st = ST_REGISTERED;
  h->attempt = 0;
  h->ever_registered = 1;
  /* What the monitor must hear again after every (re-)registration. */
  h->name_taken_told = 0;
  if (h->have_report) {
    send_report(h);
    h->report_dirty = 0;
    h->report_sent_at = now_ms();
  }
  for (size_t i = 0; i < h->n_errors; i++) send_error(h, &h->errors[i]);
  h->n_errors = 0;
  open_beacon(h);
  set_state(h, HAMON_STATE_REGISTERED, "", "", 1);
}

/* Parses a uint as docs/protocol.md says: 0|[1-9][0-9]{0,15}. */
static int parse_uint(const char *s, uint64_t *v) {
  if (!s || !*s || strlen(s) > 16 || (s[0] == '0' && s[1])) return -1;
  uint64_t x = 0;
  for (const char *p = s; *p; p++) {
    if (*p < '0' || *p > '9') return -1;
    x = x * 10 + (uint64_t)(*p - '0');
  }
  *v = x;
  return 0;
}

static uint32_t query_timeout(const hamon_t *h, enum hamon_query_kind kind, const char *check) {
  if (kind == HAMON_QUERY_ACTION) return ACTION_QUERY_MS;
  if (kind != HAMON_QUERY_HEALTH || !check[0]) return RELAYED_QUERY_MS;
  for (size_t i = 0; i < h->n_checks; i++)
    if (strcmp(h->checks[i].name, check) == 0) return h->checks[i].timeout ? h->checks[i].timeout : h->checks[i].period;
  return DEFAULT_HEALTH_MS;
}

static void on_query_frame(hamon_t *h) {
  const struct hxml_doc *d = &h->doc;
  uint64_t id;
  if (h->st != ST_REGISTERED || parse_uint(hxml_attr(d, "id"), &id) != 0 || id == 0) return;
  const char *k = hxml_attr(d, "kind");
  const char *check = hxml_attr(d, "check");
  const char *action = hxml_attr(d, "action");
  enum hamon_query_kind kind;
  if (!k || strcmp(k, "health") == 0) kind = HAMON_QUERY_HEALTH;
  else if (strcmp(k, "audit") == 0) kind = HAMON_QUERY_AUDIT;
  else if (strcmp(k, "dump") == 0) kind = HAMON_QUERY_DUMP;
  else if (strcmp(k, "action") == 0) kind = HAMON_QUERY_ACTION;
  else { send_reply(h, id, HAMON_HEALTH_FAILED, "unknown query kind"); return; }
  if (!h->on_query) {
    if (kind == HAMON_QUERY_HEALTH) send_reply(h, id, HAMON_HEALTH_OK, "alive");
    else send_reply(h, id, HAMON_HEALTH_FAILED, "not supported");
    return;
  }
  if (h->n_pending >= HAMON_MAX_PENDING) { send_reply(h, id, HAMON_HEALTH_FAILED, "too many queries outstanding"); return; }
  struct hamon_query q = { id, kind, check ? check : "", action ? action : "", query_timeout(h, kind, check ? check : "") };
  h->pending[h->n_pending++] = (struct pending){ id, now_ms() + q.timeout_ms, h->gen };
  /* The strings live in h->doc, which the callback may overwrite by calling back in: copy them first. */
  char cbuf[256], abuf[256];
  snprintf(cbuf, sizeof cbuf, "%s", q.check);
  snprintf(abuf, sizeof abuf, "%s", q.action);
  q.check = cbuf;
  q.action = abuf;
  hamon_query_fn fn = h->on_query;
  void *user = h->user;
  pthread_mutex_unlock(&h->mu);
  fn(h, &q, user);
  pthread_mutex_lock(&h->mu);
}

static int permanent(const char *code) {
  return code && (strcmp(code, "E_INVALID") == 0 || strcmp(code, "E_DENIED") == 0 || strcmp(code, "E_VERSION") == 0);
}

static void refuse(hamon_t *h, const char *code, const char *msg) {
  drop_connection(h, 0);
  h->st = ST_REFUSED;
  set_state(h, HAMON_STATE_REFUSED, code, msg, 1);
}

/* One frame from the monitor. Garbage makes the library reconnect: it never trusts a half-understood stream. */
static void on_frame(hamon_t *h, const unsigned char *body, size_t n) {
  char err[160];
  if (hxml_parse(&h->doc, (const char *)body, n, err, sizeof err) != 0) {
    drop_connection(h, 1);
    return;
  }
  const struct hxml_doc *d = &h->doc;
  uint64_t id = 0;
  const char *ids = hxml_attr(d, "id");
  if (ids && parse_uint(ids, &id) != 0) id = (uint64_t)-1;
  if (strcmp(d->root, "welcome") == 0) {
    if (h->st != ST_HELLO) return;
    h->st = ST_REGISTERING;
    send_register(h);
  } else if (strcmp(d->root, "ok") == 0) {
    if (h->st == ST_REGISTERING && id == h->register_id) registered(h);
    else if (h->dereg_id && id == h->dereg_id) h->dereg_acked = 1;
  } else if (strcmp(d->root, "error") == 0) {
    const char *code = hxml_attr(d, "code");
    const char *msg = hxml_attr(d, "message");
    int ours = (h->st == ST_REGISTERING && id == h->register_id) || (h->st == ST_HELLO && id == 0);
    if (ours && permanent(code) && !h->ever_registered) refuse(h, code, msg);
    else if (ours && code && strcmp(code, "E_NAME_TAKEN") == 0) {
      /* Another live instance holds the name: not permanent (it may die), but the application must hear it, once per episode. */
      int tell = !h->name_taken_told;
      h->name_taken_told = 1;
      drop_connection(h, 0);
      if (tell) set_state(h, HAMON_STATE_ERROR, code, msg, 1);
    } else if (ours || (code && (strcmp(code, "E_LIMIT") == 0 || strcmp(code, "E_TIMEOUT") == 0 || strcmp(code, "E_TOO_LARGE") == 0))) drop_connection(h, 1);
    else if (h->dereg_id && id == h->dereg_id) h->dereg_acked = 1;
    else if (id == 0) set_state(h, HAMON_STATE_ERROR, code, msg, 1);
  } else if (strcmp(d->root, "query") == 0) {
    on_query_frame(h);
  }
  /* Anything else: a newer monitor's addition, ignored (forward compatibility, §3). */
}

static void read_input(hamon_t *h) {
  uint32_t gen = h->gen;
  for (;;) {
    if (h->fd < 0 || h->gen != gen) return;
    ssize_t r = recv(h->fd, h->in + h->in_n, sizeof h->in - h->in_n, MSG_DONTWAIT);
    if (r < 0) {
      if (errno == EINTR) continue;
      if (errno != EAGAIN && errno != EWOULDBLOCK) drop_connection(h, 1);
      return;
    }
    if (r == 0) { drop_connection(h, 1); return; }
    h->in_n += (size_t)r;
    size_t at = 0;
    while (h->in_n - at >= 4 && h->gen == gen) {
      const unsigned char *p = h->in + at;
      uint32_t len = (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
      if (len == 0 || len > HAMON_FRAME_MAX) { drop_connection(h, 1); return; }
      if (h->in_n - at - 4 < len) break;
      on_frame(h, p + 4, len);
      at += 4 + len;
    }
    if (h->gen != gen) return;
    if (at) {
      memmove(h->in, h->in + at, h->in_n - at);
      h->in_n -= at;
    }
  }
}

static void on_beckon(hamon_t *h) {
  for (;;) {
    int c = accept4(h->beacon_fd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
    if (c < 0) break;
    close(c); /* the connection is the whole message */
  }
  if (h->st == ST_BACKOFF) {
    h->attempt = 0;
    connect_now(h); /* to our own configured socket: a beacon never names one */
  }
}

/* ---- public API ------------------------------------------------------------ */

static void default_socket(char *out, size_t cap) {
  const char *env = getenv("HAMON_SOCKET");
  if (env && *env) { snprintf(out, cap, "%s", env); return; }
  if (geteuid() == 0) { snprintf(out, cap, "/run/hamon/hamon.sock"); return; }
  const char *xdg = getenv("XDG_RUNTIME_DIR");
  if (xdg && *xdg) snprintf(out, cap, "%s/hamon/hamon.sock", xdg);
  else snprintf(out, cap, "/tmp/hamon-%u/hamon.sock", (unsigned)geteuid());
}

hamon_t *hamon_new(const struct hamon_config *cfg, int *err) {
  int dummy;
  if (!err) err = &dummy;
  *err = HAMON_EINVAL;
  if (!cfg || !valid_name(cfg->name) || (unsigned)cfg->kind > 1 || (unsigned)cfg->plane > 2) return NULL;
  if (cfg->n_checks > HAMON_MAX_CHECKS || cfg->n_actions > HAMON_MAX_ACTIONS) return NULL;
  if ((cfg->n_checks && !cfg->checks) || (cfg->n_actions && !cfg->actions)) return NULL;
  for (size_t i = 0; i < cfg->n_checks; i++)
    if (!valid_name(cfg->checks[i].name) || cfg->checks[i].period_ms == 0) return NULL;
  for (size_t i = 0; i < cfg->n_actions; i++)
    if (!valid_name(cfg->actions[i])) return NULL;
  if (cfg->socket && (strlen(cfg->socket) == 0 || strlen(cfg->socket) >= sizeof(((struct sockaddr_un *)0)->sun_path))) return NULL;
  hamon_t *h = calloc(1, sizeof *h);
  if (!h) { *err = HAMON_ENOMEM; return NULL; }
  pthread_mutex_init(&h->mu, NULL);
  h->owner = getpid();
  snprintf(h->name, sizeof h->name, "%s", cfg->name);
  if (cfg->socket) snprintf(h->socket, sizeof h->socket, "%s", cfg->socket);
  else default_socket(h->socket, sizeof h->socket);
  snprintf(h->agent, sizeof h->agent, "%s", cfg->agent ? cfg->agent : "libhamon-c/" HAMON_COMPONENT_VERSION);
  h->kind = cfg->kind;
  h->plane = cfg->plane;
  h->pid = cfg->pid > 0 ? cfg->pid : (long)getpid();
  for (size_t i = 0; i < cfg->n_checks; i++) {
    snprintf(h->checks[i].name, sizeof h->checks[i].name, "%s", cfg->checks[i].name);
    h->checks[i].confirm = cfg->checks[i].confirm != 0;
    h->checks[i].period = cfg->checks[i].period_ms;
    h->checks[i].timeout = cfg->checks[i].timeout_ms;
  }
  h->n_checks = cfg->n_checks;
  for (size_t i = 0; i < cfg->n_actions; i++) snprintf(h->actions[i], sizeof h->actions[i], "%s", cfg->actions[i]);
  h->n_actions = cfg->n_actions;
  h->on_query = cfg->on_query;
  h->on_state = cfg->on_state;
  h->user = cfg->user;
  h->backoff_initial = cfg->backoff_initial_ms ? cfg->backoff_initial_ms : 20;
  h->backoff_max = cfg->backoff_max_ms ? cfg->backoff_max_ms : 2000;
  if (h->backoff_max < h->backoff_initial) h->backoff_max = h->backoff_initial;
  h->no_beacon = cfg->no_beacon;
  h->ep = h->fd = h->beacon_fd = h->wake_fd = -1;
  h->next_id = 1;
  h->rng = (unsigned int)(h->owner ^ (pid_t)now_ms());
  h->st = ST_IDLE;
  *err = 0;
  return h;
}

/*
 * sd-event's assert_return: a precondition of the caller's, checked at the
 * door; when it fails, the call returns `r` (a negative errno) and does
 * nothing. Define HAMON_DEBUG_ASSERT to have each one named on stderr.
 */
#ifdef HAMON_DEBUG_ASSERT
#define assert_return(expr, r)                                                                      \
  do {                                                                                              \
    if (!(expr)) {                                                                                  \
      fprintf(stderr, "libhamon: '%s' failed in %s() (%s:%d): returning %d\n", #expr, __func__, __FILE__, __LINE__, (r)); \
      return (r);                                                                                   \
    }                                                                                               \
  } while (0)
#else
#define assert_return(expr, r) \
  do {                         \
    if (!(expr)) return (r);   \
  } while (0)
#endif

/* Every call but hamon_forget: a handle, and the process that made it (a forked child gets HAMON_EFORK). */
#define ENTER(h, bad)                                    \
  do {                                                   \
    assert_return(h, bad);                               \
    assert_return(getpid() == (h)->owner, HAMON_EFORK);  \
    pthread_mutex_lock(&(h)->mu);                        \
  } while (0)
#define LEAVE(h, v)                                      \
  do {                                                   \
    pthread_mutex_unlock(&(h)->mu);                      \
    return (v);                                          \
  } while (0)

int hamon_start(hamon_t *h) {
  ENTER(h, HAMON_EINVAL);
  if (h->st != ST_IDLE) LEAVE(h, HAMON_ESTATE);
  h->ep = epoll_create1(EPOLL_CLOEXEC);
  if (h->ep < 0) {
    int e = errno;
    LEAVE(h, -e);
  }
  /* on_state(CONNECTING) comes from the first hamon_process, on the thread that runs the loop, never inside this call. */
  h->announce_connecting = 1;
  connect_now(h);
  LEAVE(h, 0);
}

int hamon_fd(const hamon_t *h) {
  assert_return(h, HAMON_EINVAL);
  assert_return(getpid() == h->owner, HAMON_EFORK);
  return h->ep >= 0 ? h->ep : HAMON_ESTATE; /* not started (or stopped): no descriptor */
}

int hamon_next_timeout_ms(const hamon_t *h) {
  assert_return(h, HAMON_EINVAL);
  assert_return(getpid() == h->owner, HAMON_EFORK);
  hamon_t *m = (hamon_t *)h;
  pthread_mutex_lock(&m->mu);
  uint64_t now = now_ms(), next = UINT64_MAX;
  if (h->announce_connecting) next = now;
  if (h->report_dirty && h->st == ST_REGISTERED) next = h->report_sent_at + HAMON_REPORT_MIN_MS;
  if (h->st == ST_BACKOFF) next = h->retry_at;
  if (h->st == ST_CONNECTING || h->st == ST_HELLO || h->st == ST_REGISTERING) next = h->handshake_until;
  for (size_t i = 0; i < h->n_pending; i++)
    if (h->pending[i].deadline < next) next = h->pending[i].deadline;
  pthread_mutex_unlock(&m->mu);
  if (next == UINT64_MAX) return -1;
  if (next <= now) return 0;
  return next - now > 0x7fffffff ? 0x7fffffff : (int)(next - now);
}

int hamon_process(hamon_t *h) {
  ENTER(h, HAMON_EINVAL);
  if (h->st == ST_IDLE || h->st == ST_STOPPED) LEAVE(h, HAMON_ESTATE);
  /* Callbacks run with the lock released, inside the input cursor loop: a nested or concurrent run would re-parse the same frames. */
  if (h->in_process) LEAVE(h, HAMON_EBUSY);
  h->in_process = 1;
  if (h->announce_connecting) {
    h->announce_connecting = 0;
    set_state(h, HAMON_STATE_CONNECTING, "", "", 1);
  }
  struct epoll_event evs[4];
  int n = h->ep >= 0 ? epoll_wait(h->ep, evs, 4, 0) : 0;
  for (int i = 0; i < n; i++) {
    int fd = evs[i].data.fd;
    if (fd == h->beacon_fd) { on_beckon(h); continue; }
    if (fd != h->fd || h->fd < 0) continue;
    if (h->st == ST_CONNECTING && (evs[i].events & (EPOLLOUT | EPOLLERR | EPOLLHUP))) {
      int e = 0;
      socklen_t l = sizeof e;
      if (getsockopt(h->fd, SOL_SOCKET, SO_ERROR, &e, &l) != 0 || e != 0) { drop_connection(h, 0); continue; }
      h->st = ST_HELLO;
      send_hello(h);
    }
    if (evs[i].events & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR)) read_input(h);
  }
  uint64_t now = now_ms();
  if ((h->st == ST_CONNECTING || h->st == ST_HELLO || h->st == ST_REGISTERING) && now >= h->handshake_until) drop_connection(h, 1);
  if (h->st == ST_BACKOFF && now >= h->retry_at) connect_now(h);
  /* Queries left unanswered past their deadline: the monitor has failed the check already; forget them. */
  for (size_t i = 0; i < h->n_pending;)
    if (h->pending[i].deadline <= now) h->pending[i] = h->pending[--h->n_pending];
    else i++;
  if (h->report_dirty && h->st == ST_REGISTERED && now >= h->report_sent_at + HAMON_REPORT_MIN_MS) {
    send_report(h);
    h->report_dirty = 0;
    h->report_sent_at = now;
  }
  flush_out(h);
  h->in_process = 0;
  LEAVE(h, 0);
}

int hamon_reply(hamon_t *h, uint64_t id, enum hamon_health health, const char *detail) {
  assert_return((unsigned)health <= 2, HAMON_EINVAL);
  ENTER(h, HAMON_EINVAL);
  for (size_t i = 0; i < h->n_pending; i++) {
    if (h->pending[i].id != id || h->pending[i].gen != h->gen) continue;
    h->pending[i] = h->pending[--h->n_pending];
    send_reply(h, id, health, detail);
    flush_out(h);
    LEAVE(h, 0);
  }
  LEAVE(h, HAMON_ESTALE);
}

int hamon_report(hamon_t *h, enum hamon_health health, const char *reason) {
  assert_return((unsigned)health <= 2, HAMON_EINVAL);
  ENTER(h, HAMON_EINVAL);
  if (h->st == ST_STOPPED || h->st == ST_REFUSED) LEAVE(h, HAMON_ESTATE);
  h->have_report = 1;
  h->rep_health = health;
  hw_copy_text(h->rep_reason, sizeof h->rep_reason, reason);
  if (h->st == ST_REGISTERED) {
    /* A burst is coalesced: the latest report goes out once the interval has passed (the monitor limits messages per second). */
    uint64_t now = now_ms();
    if (now >= h->report_sent_at + HAMON_REPORT_MIN_MS) {
      send_report(h);
      h->report_dirty = 0;
      h->report_sent_at = now;
      flush_out(h);
    } else {
      h->report_dirty = 1;
    }
  }
  LEAVE(h, 0);
}

int hamon_confirm(hamon_t *h, const char *check, enum hamon_health result, const char *reason) {
  assert_return((unsigned)result <= 2 && valid_name(check), HAMON_EINVAL);
  ENTER(h, HAMON_EINVAL);
  size_t i = 0;
  while (i < h->n_checks && strcmp(h->checks[i].name, check) != 0) i++;
  if (i == h->n_checks) LEAVE(h, HAMON_EINVAL); /* not a check this component declared: the monitor would refuse it */
  if (h->st == ST_STOPPED || h->st == ST_REFUSED) LEAVE(h, HAMON_ESTATE);
  if (h->st == ST_REGISTERED) {
    char head[128];
    snprintf(head, sizeof head, "<confirm check=\"%s\" result=\"%s\"", check, HEALTH[result]);
    send_with_reason(h, head, reason);
    flush_out(h);
  }
  LEAVE(h, 0);
}

int hamon_error_report(hamon_t *h, enum hamon_level level, const char *reason) {
  assert_return((unsigned)level <= 3, HAMON_EINVAL);
  ENTER(h, HAMON_EINVAL);
  if (h->st == ST_STOPPED || h->st == ST_REFUSED) LEAVE(h, HAMON_ESTATE);
  struct queued_error e;
  e.level = level;
  hw_copy_text(e.reason, sizeof e.reason, reason);
  if (h->st == ST_REGISTERED) {
    send_error(h, &e);
    flush_out(h);
  } else {
    /* Kept for the next registration; the oldest goes when full (the newest say the most). */
    if (h->n_errors == HAMON_MAX_QUEUED_ERRORS) {
      memmove(&h->errors[0], &h->errors[1], sizeof h->errors[0] * (HAMON_MAX_QUEUED_ERRORS - 1));
      h->n_errors--;
    }
    h->errors[h->n_errors++] = e;
  }
  LEAVE(h, 0);
}

int hamon_registered(const hamon_t *h) {
  assert_return(h, 0);
  assert_return(getpid() == h->owner, HAMON_EFORK);
  hamon_t *m = (hamon_t *)h; /* the state is written by whichever thread runs hamon_process: read it under the lock */
  pthread_mutex_lock(&m->mu);
  int r = h->st == ST_REGISTERED;
  pthread_mutex_unlock(&m->mu);
  return r;
}

int hamon_set_pid(hamon_t *h, long pid) {
  assert_return(pid > 0, HAMON_EINVAL);
  ENTER(h, HAMON_EINVAL);
  h->pid = pid;
  if (h->st == ST_REGISTERED) {
    h->st = ST_REGISTERING; /* register again on the same connection: the monitor re-arms the checks */
    h->handshake_until = now_ms() + HANDSHAKE_MS;
    send_register(h);
    flush_out(h);
  }
  LEAVE(h, 0);
}

static void *helper(void *arg) {
  hamon_t *h = arg;
  for (;;) {
    int t = hamon_next_timeout_ms(h);
    struct pollfd p[2] = { { hamon_fd(h), POLLIN, 0 }, { h->wake_fd, POLLIN, 0 } };
    poll(p, 2, t < 0 ? 1000 : t);
    if (p[1].revents & POLLIN) break;
    int r = hamon_process(h);
    if (r != 0 && r != HAMON_EBUSY) break; /* EBUSY: the application's own call is running: next turn */
  }
  return NULL;
}

int hamon_start_thread(hamon_t *h) {
  ENTER(h, HAMON_EINVAL);
  if (h->thread_running || h->st == ST_IDLE) LEAVE(h, HAMON_ESTATE);
  h->wake_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  if (h->wake_fd < 0) {
    int e = errno;
    LEAVE(h, -e);
  }
  int e = pthread_create(&h->thread, NULL, helper, h); /* its error number, not errno */
  if (e != 0) {
    close(h->wake_fd);
    h->wake_fd = -1;
    LEAVE(h, -e);
  }
  h->thread_running = 1;
  LEAVE(h, 0);
}

static void stop_thread(hamon_t *h) {
  if (!h->thread_running) return;
  uint64_t one = 1;
  ssize_t w = write(h->wake_fd, &one, sizeof one);
  (void)w;
  pthread_join(h->thread, NULL);
  h->thread_running = 0;
  close(h->wake_fd);
  h->wake_fd = -1;
}

static void close_all(hamon_t *h) {
  if (h->fd >= 0) close(h->fd);
  if (h->beacon_fd >= 0) close(h->beacon_fd);
  if (h->ep >= 0) close(h->ep);
  h->fd = h->beacon_fd = h->ep = -1;
}

int hamon_stop(hamon_t *h, const char *reason, int timeout_ms) {
  assert_return(h, HAMON_EINVAL);
  assert_return(getpid() == h->owner, HAMON_EFORK);
  stop_thread(h);
  pthread_mutex_lock(&h->mu);
  int rc = 0;
  if (h->st == ST_REGISTERED) {
    char head[64];
    h->dereg_id = h->next_id++;
    snprintf(head, sizeof head, "<deregister id=\"%llu\"", (unsigned long long)h->dereg_id);
    send_with_reason(h, head, reason);
    uint64_t until = now_ms() + (uint64_t)(timeout_ms > 0 ? timeout_ms : 0);
    /* Shutdown only: wait here for the goodbye to be answered (or the deadline). */
    while (!h->dereg_acked && h->fd >= 0 && now_ms() < until) {
      flush_out(h);
      struct pollfd p = { h->fd, (short)(POLLIN | (h->out_n ? POLLOUT : 0)), 0 };
      uint64_t left = until - now_ms();
      pthread_mutex_unlock(&h->mu);
      poll(&p, 1, (int)(left > 1000 ? 1000 : left));
      pthread_mutex_lock(&h->mu);
      if (p.revents & (POLLIN | POLLHUP | POLLERR)) read_input(h);
    }
    if (!h->dereg_acked) rc = HAMON_ETIMEOUT; /* never answered: the monitor counts the disconnect as a failure */
  }
  h->st = ST_STOPPED;
  if (h->beacon_path[0]) unlink(h->beacon_path);
  close_all(h);
  pthread_mutex_unlock(&h->mu);
  return rc;
}

void hamon_free(hamon_t *h) {
  if (!h) return;
  if (getpid() != h->owner) { hamon_forget(h); return; }
  stop_thread(h);
  if (h->st != ST_STOPPED && h->beacon_path[0]) unlink(h->beacon_path);
  close_all(h);
  pthread_mutex_destroy(&h->mu);
  free(h);
}

void hamon_forget(hamon_t *h) {
  if (!h) return;
  /* The child has copies of the descriptors (and of a mutex another thread may have held): close, never lock, never send. */
  if (h->fd >= 0) close(h->fd);
  if (h->beacon_fd >= 0) close(h->beacon_fd);
  if (h->ep >= 0) close(h->ep);
  if (h->wake_fd >= 0) close(h->wake_fd);
  free(h);
}
