/*
 * libhamon-component: the hamon component library in C (docs/c-library.md).
 *
 * A daemon links it to be watched by the hamon monitor: it registers, answers
 * the monitor's queries (health, audit, dump, action), reports its status,
 * confirms its own checks and reports errors with a recommended recovery
 * level. It reconnects by itself (capped exponential backoff with jitter),
 * registers again, re-sends its latest report and the error reports made
 * while the monitor was away, and listens on its beacon so a restarted
 * monitor calls it back at once (docs/protocol.md §6).
 *
 * It fits the daemon's own event loop and never blocks it: poll hamon_fd()
 * for input, wake up after hamon_next_timeout_ms(), then call
 * hamon_process(). Or call hamon_start_thread() and let a helper thread do
 * that. C11 and libc only; no allocation after hamon_new().
 *
 * Thread safety: every function may be called from any thread; calls are
 * serialised by one internal mutex, which is NOT held while a callback runs
 * (a callback may call hamon_reply(), hamon_report() and the rest).
 */
#ifndef HAMON_COMPONENT_H
#define HAMON_COMPONENT_H

#include <errno.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define HAMON_COMPONENT_VERSION "2.0.0"
/** Largest frame body on the wire (docs/protocol.md §2). */
#define HAMON_FRAME_MAX 65536
/** At most this many checks and actions in a registration (the protocol's limits). */
#define HAMON_MAX_CHECKS 32
#define HAMON_MAX_ACTIONS 16
/** Error reports kept while the monitor is away (the oldest is dropped beyond). */
#define HAMON_MAX_QUEUED_ERRORS 16
/** Queries awaiting an answer at once; beyond, a query is answered `failed` at once. */
#define HAMON_MAX_PENDING 64
/* hamon_report: at most one report sent per this many milliseconds; more are coalesced to the latest. */
#define HAMON_REPORT_MIN_MS 50

/*
 * Return codes, as the kernel and sd-event give them: 0 (or a value: a
 * descriptor, a count, a flag) on success, a negative errno on failure. The
 * names below are those values; hamon_strerror() says each in words. Any
 * other negative value is the -errno of the system call that failed
 * (epoll_create1 in hamon_start; eventfd or pthread_create in
 * hamon_start_thread), e.g. -EMFILE.
 */
#define HAMON_EINVAL (-EINVAL)      /* an argument is invalid (a NULL handle, a name, a check, an enum out of range) */
#define HAMON_ENOMEM (-ENOMEM)      /* hamon_new could not allocate its one block */
#define HAMON_ESTALE (-ESTALE)      /* hamon_reply: no such query outstanding (answered, timed out, or from a lost connection) */
#define HAMON_ESTATE (-EBADFD)      /* not started, stopped, or refused for good */
#define HAMON_EFORK (-ECHILD)       /* called in a forked child: only hamon_forget() is allowed there (sd-event's code) */
#define HAMON_ETIMEOUT (-ETIMEDOUT) /* hamon_stop: the monitor did not acknowledge the goodbye in time (it counts a disconnection) */
#define HAMON_EBUSY (-EBUSY)        /* hamon_process re-entered (from a callback, or a second thread while one runs): nothing done */

enum hamon_health { HAMON_HEALTH_OK = 0, HAMON_HEALTH_DEGRADED = 1, HAMON_HEALTH_FAILED = 2 };
enum hamon_plane { HAMON_PLANE_CONTROL = 0, HAMON_PLANE_FAST = 1, HAMON_PLANE_SYSTEM = 2 };
enum hamon_kind { HAMON_KIND_STATIC = 0, HAMON_KIND_DYNAMIC = 1 };
enum hamon_level {
  HAMON_LEVEL_RESTART_DAEMON = 0,
  HAMON_LEVEL_RESTART_CONTROL_PLANE = 1,
  HAMON_LEVEL_RESTART_CONTROL_PLANE_AND_FAST_PATH = 2,
  HAMON_LEVEL_REBOOT_SYSTEM = 3
};
enum hamon_query_kind { HAMON_QUERY_HEALTH = 0, HAMON_QUERY_AUDIT = 1, HAMON_QUERY_DUMP = 2, HAMON_QUERY_ACTION = 3 };

/** What happened to the library's connection (hamon_config.on_state). */
enum hamon_state {
  HAMON_STATE_CONNECTING = 0,   /* trying to reach the monitor (also after a loss) */
  HAMON_STATE_REGISTERED = 1,   /* registered: queries may come */
  HAMON_STATE_DISCONNECTED = 2, /* lost the monitor; reconnecting with backoff */
  HAMON_STATE_REFUSED = 3,      /* refused for good (E_INVALID, E_DENIED, E_VERSION at the first registration): no retry */
  HAMON_STATE_ERROR = 4         /* an error from the monitor that names no request (id 0), e.g. a capped recommendation */
};

/* The shared library exports only this API (it is built with -fvisibility=hidden). */
#if defined(HAMON_BUILD_SHARED) && defined(__GNUC__)
#define HAMON_API __attribute__((visibility("default")))
#else
#define HAMON_API
#endif

typedef struct hamon hamon_t;

/** A query from the monitor. Strings live until the callback returns: copy what you keep. */
struct hamon_query {
  uint64_t id;                 /* pass to hamon_reply() */
  enum hamon_query_kind kind;
  const char *check;           /* health queries: the check's name ("" when relayed for an operator) */
  const char *action;          /* action queries: "restart", "stop" or one of hamon_config.actions */
  uint32_t timeout_ms;         /* answer within this, or the monitor counts the check failed */
};

/**
 * Called from hamon_process() for every query. Answer with hamon_reply(),
 * now or later (an audit that takes a while answers from wherever it ends,
 * within timeout_ms). A query left unanswered past its timeout is forgotten.
 */
typedef void (*hamon_query_fn)(hamon_t *h, const struct hamon_query *q, void *user);
/** Called on every change of the connection's state; `code`/`message` come with REFUSED and ERROR (else ""). */
typedef void (*hamon_state_fn)(hamon_t *h, enum hamon_state state, const char *code, const char *message, void *user);

struct hamon_check {
  const char *name;            /* [A-Za-z0-9][A-Za-z0-9._-]{0,62} */
  int confirm;                 /* 0: the monitor queries it; 1: the component confirms it (hamon_confirm) */
  uint32_t period_ms;
  uint32_t timeout_ms;         /* 0: the period */
};

struct hamon_config {
  const char *name;            /* required: the component's name */
  const char *socket;          /* NULL: $HAMON_SOCKET, else the monitor's default path */
  enum hamon_kind kind;
  enum hamon_plane plane;
  long pid;                    /* 0: getpid() */
  const struct hamon_check *checks;
  size_t n_checks;
  const char *const *actions;  /* names it carries out on request (query kind action), e.g. "restart" */
  size_t n_actions;
  hamon_query_fn on_query;     /* NULL: health queries answered ok, others failed "not supported" */
  hamon_state_fn on_state;     /* optional */
  void *user;
  uint32_t backoff_initial_ms; /* 0: 20 */
  uint32_t backoff_max_ms;     /* 0: 2000 */
  int no_beacon;               /* 1: do not listen on a beacon (discovery then waits for the backoff) */
  const char *agent;           /* NULL: "libhamon-c/VERSION" */
};

/** Allocates its one block and checks the configuration (copied). NULL with *err set on failure. */
HAMON_API hamon_t *hamon_new(const struct hamon_config *cfg, int *err);
/** Starts connecting (non-blocking). HAMON_ESTATE if already started; -errno if epoll_create1 failed. */
HAMON_API int hamon_start(hamon_t *h);
/** The descriptor to poll for input (an epoll set of the library's own sockets); HAMON_ESTATE before hamon_start or after hamon_stop; HAMON_EFORK in a forked child. */
HAMON_API int hamon_fd(const hamon_t *h);
/** Milliseconds until hamon_process() has timed work (0: now), or -1 when it has none (poll's "no timeout"); HAMON_EFORK in a forked child. */
HAMON_API int hamon_next_timeout_ms(const hamon_t *h);
/**
 * Does whatever is ready and due; never blocks. Returns 0, or HAMON_EFORK /
 * HAMON_ESTATE, or HAMON_EBUSY when called while it already runs (from a
 * callback it invoked, or a second thread): it is not re-entrant, and says so.
 */
HAMON_API int hamon_process(hamon_t *h);

/** Answers query `id`. HAMON_ESTALE when it is no longer outstanding (the monitor dropped it). */
HAMON_API int hamon_reply(hamon_t *h, uint64_t id, enum hamon_health health, const char *detail);
/**
 * The component's status; kept and re-sent after every re-registration.
 * Reports closer together than HAMON_REPORT_MIN_MS are coalesced: the latest
 * is sent when the interval has passed (from hamon_process). HAMON_ESTATE once
 * stopped or refused.
 */
HAMON_API int hamon_report(hamon_t *h, enum hamon_health health, const char *reason);
/** The result of a component-invoked check (mode confirm), one the configuration declared (else HAMON_EINVAL). Not queued while disconnected: the period judges it. HAMON_ESTATE once stopped or refused. */
HAMON_API int hamon_confirm(hamon_t *h, const char *check, enum hamon_health result, const char *reason);
/** An error with the recovery level it recommends; queued while the monitor is away (HAMON_MAX_QUEUED_ERRORS). HAMON_ESTATE once stopped or refused. */
HAMON_API int hamon_error_report(hamon_t *h, enum hamon_level level, const char *reason);

/** 1 while registered with a monitor, 0 otherwise; HAMON_EFORK in a forked child. */
HAMON_API int hamon_registered(const hamon_t *h);
/** The pid to register from now on (a daemon that re-executed itself); re-registers when connected. */
HAMON_API int hamon_set_pid(hamon_t *h, long pid);

/**
 * Runs hamon_process() in a helper thread (for programs without an event
 * loop). Callbacks then run in that thread. Stopped by hamon_stop/hamon_free.
 * HAMON_ESTATE before hamon_start or when already running; -errno if eventfd
 * or pthread_create failed.
 */
HAMON_API int hamon_start_thread(hamon_t *h);

/**
 * Orderly goodbye: deregister (no alarm), waiting at most `timeout_ms` for
 * the monitor's answer (this one call may block: it is for shutdown), remove
 * the beacon, close everything. The handle can then only be freed. Returns 0
 * when the monitor acknowledged (or none was connected), HAMON_ETIMEOUT when a
 * connected monitor did not answer in time (it will count a disconnection).
 */
HAMON_API int hamon_stop(hamon_t *h, const char *reason, int timeout_ms);
/** Frees everything (after hamon_stop, or instead of it: the monitor then sees a disconnection). */
HAMON_API void hamon_free(hamon_t *h);
/**
 * In a forked child: close the library's descriptors without a word to the
 * monitor and free the handle; the parent's connection is untouched. Every
 * other call in a forked child returns HAMON_EFORK.
 */
HAMON_API void hamon_forget(hamon_t *h);

/** "ok", "degraded", "failed" and the like, for logs. */
HAMON_API const char *hamon_health_name(enum hamon_health h);
HAMON_API const char *hamon_level_name(enum hamon_level l);
/** What a return code means, in words: ours by name, any other -errno as strerror() says it. */
HAMON_API const char *hamon_strerror(int code);

#ifdef __cplusplus
}
#endif
#endif /* HAMON_COMPONENT_H */
