/*
 * hamon-dpdk-fwd: an l2fwd-style io forwarder on real DPDK whose forwarding
 * lcores beat through hamon_heartbeat.h (one relaxed store per loop), and,
 * for comparison in the same binary, call rte_keepalive_mark_alive.
 *
 *   cc -O2 -Isrc/c examples/dpdk-fwd/fwd.c $(pkg-config --cflags --libs libdpdk) -o hamon-dpdk-fwd
 *   hamon-dpdk-fwd --no-huge -m 256 --no-pci --vdev net_null0 --vdev net_null1 -l 0-1 --file-prefix fwd \
 *       -- --hb /run/fastpath/hb [--ctl /run/fastpath/ctl.sock] [--ka-period-ms 5] [--no-hb] [--no-ka]
 *
 * Every worker lcore polls queue w of every port and sends what it receives
 * out of the paired port (0↔1, 2↔3…). The main lcore runs the control
 * channel (a UNIX datagram socket, one command per datagram), the
 * rte_keepalive dispatch every --ka-period-ms (a core it declares dead is
 * printed "ka-dead LCORE MONO_MS"), the heartbeat header's control beat, and a
 * once-a-second rate line ("rate MPPS"). Commands, for tests and benchmarks:
 *   gaps SLOT       prints "gaps SLOT N MAX_MS": how often the worker's loop was not run for 5 ms or more
 *                   (another task had its CPU) since the last ask, outside stalls, idles and parks, and
 *                   the longest: the ground truth for a watchdog's dead verdicts on a loaded machine
 *   stall SLOT MS   the worker in SLOT stops beating and forwarding for MS
 *   slow SLOT US    it spends US µs more per loop from now on (0: normal)
 *   offer SLOT MPPS the line offers it MPPS (fractions allowed; 0: without end, as net_null does):
 *                   a load change (more packets: fuller polls, fewer loops, more work done)
 *   idle SLOT MS    it backs off for MS, as a poll loop does when its queues run dry: IDLE with
 *                   the promise of MS first (the monitor then expects no beat), RUNNING after
 *   park SLOT       it stops polling until 'unpark SLOT' (its port is down, or it is taken out of
 *                   service): PARKED, no promise needed (rte_keepalive_mark_sleep for DPDK's)
 *   kill SLOT       it returns without a word (its slot stays RUNNING: dead)
 *   quit            clean stop: workers EXITED, then the tombstone
 * SIGTERM/SIGINT stop cleanly too. A stall is acknowledged "ok stall SLOT MS
 * at MONO_MS" (CLOCK_MONOTONIC in ms, to compare with when the monitor's event
 * arrives, on the same clock).
 * --no-hb / --no-ka leave out the beats or the keepalive (bench:dpdk's
 * forwarding rate without a watchdog). --offered-mpps X offers each worker X
 * Mpps at start (a line rate, delivered in bursts of 32 as a NIC does: net_null
 * itself offers packets without end, so every poll is full and the core 100 %
 * busy; 0, the default, is that).
 *
 * Each worker keeps, besides its beat, the packets it forwarded (`work`) and
 * its busy and total TSC cycles (`busy_tsc`, `total_tsc`, as DPDK's lcore
 * usage counts them: an iteration that forwarded is busy), declared with
 * hamon_hb_declare: what lets hamon tell a slow core from a loaded one and name
 * an overloaded one (docs/heartbeat.md §3). Built against DPDK ≥ 23.03 it
 * also registers rte_lcore_register_usage_cb with the same counters, so
 * `/eal/lcore/usage` on the telemetry socket agrees (Debian 12's 22.11 has no
 * such API: compiled out there).
 */
#include <rte_cycles.h>
#include <rte_eal.h>
#include <rte_ethdev.h>
#include <rte_keepalive.h>
#include <rte_launch.h>
#include <rte_lcore.h>
#include <rte_mbuf.h>
#include <rte_pause.h>
#include <rte_version.h>

#include "hamon_heartbeat.h"

#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#define BURST 32
#define MAX_WORKERS 16

static struct hamon_hb hb;
static struct rte_keepalive *ka;
static volatile sig_atomic_t quit;
static uint16_t nports, nworkers;
static unsigned worker_lcore[MAX_WORKERS];
static _Atomic uint64_t stall_until[MAX_WORKERS];   /* TSC */
/* Ground truth for a watchdog's verdicts: loop gaps of 5 ms or more (the lcore not run: another task had its CPU),
   outside a stall, idle or park; and the longest, in TSC. Read and reset by "gaps SLOT". */
static _Atomic uint64_t gaps[MAX_WORKERS], gap_max[MAX_WORKERS];
static _Atomic uint32_t slow_us[MAX_WORKERS];
static _Atomic uint32_t offer_kpps[MAX_WORKERS]; /* per worker; 0: as many as the port gives */
static _Atomic uint32_t idle_ms[MAX_WORKERS];
static _Atomic int killed[MAX_WORKERS];
static _Atomic int parked[MAX_WORKERS];
static _Atomic uint64_t forwarded[MAX_WORKERS];
static int use_hb = 1, use_ka = 1;

/* CLOCK_MONOTONIC: comparable across the processes of a boot, and never stepped (a VM's clock is). */
static double mono_ms(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return t.tv_sec * 1e3 + t.tv_nsec / 1e6;
}

static void on_signal(int s) {
  (void)s;
  quit = 1;
}

static void ka_dead(void *data, const int id) {
  (void)data;
  printf("ka-dead %d %.3f\n", id, mono_ms());
  fflush(stdout);
}

static int worker(void *arg) {
  uint32_t slot = (uint32_t)(uintptr_t)arg;
  struct rte_mbuf *bufs[BURST];
  uint64_t n = 0;
  const uint64_t hz = rte_get_tsc_hz();
  uint64_t prev = rte_rdtsc(), refill = prev;
  double tokens = 0;
  if (use_hb) hamon_hb_launch(&hb, slot);
  const uint64_t gap5 = hz / 200;
  uint64_t last = rte_rdtsc();
  while (!quit) {
    const uint64_t it = rte_rdtsc();
    if (it - last >= gap5) {
      atomic_fetch_add_explicit(&gaps[slot], 1, memory_order_relaxed);
      if (it - last > atomic_load_explicit(&gap_max[slot], memory_order_relaxed)) atomic_store_explicit(&gap_max[slot], it - last, memory_order_relaxed);
    }
    last = it;
    if (use_hb) hamon_hb_beat(&hb, slot);  /* one relaxed store: the whole cost on the fast path */
    if (use_ka) rte_keepalive_mark_alive(ka); /* DPDK's own, for comparison */
    if (atomic_load_explicit(&killed[slot], memory_order_relaxed)) return 1; /* gone without a word */
    uint64_t until = atomic_load_explicit(&stall_until[slot], memory_order_relaxed);
    if (until) {
      while (rte_get_tsc_cycles() < until && !quit) rte_pause(); /* stuck: no beat, no packet */
      atomic_store_explicit(&stall_until[slot], 0, memory_order_relaxed);
      last = rte_rdtsc(); /* a stall asked for is not a gap */
    }
    uint32_t idle = atomic_exchange_explicit(&idle_ms[slot], 0, memory_order_relaxed);
    if (idle) {
      /* A bounded wait: promise it, so a silent core is not taken for a dead one. */
      if (use_hb) hamon_hb_set_state(&hb, slot, HAMON_HB_IDLE, idle);
      rte_delay_us_sleep(idle * 1000u);
      if (use_hb) hamon_hb_set_state(&hb, slot, HAMON_HB_RUNNING, 0);
      last = rte_rdtsc();
    }
    if (atomic_load_explicit(&parked[slot], memory_order_relaxed)) {
      /* Out of service until told otherwise: PARKED is watched for nothing but the control beat. */
      if (use_hb) hamon_hb_set_state(&hb, slot, HAMON_HB_PARKED, 0);
      if (use_ka) rte_keepalive_mark_sleep(ka);
      while (atomic_load_explicit(&parked[slot], memory_order_relaxed) && !quit) rte_delay_us_sleep(1000);
      if (use_hb) hamon_hb_set_state(&hb, slot, HAMON_HB_RUNNING, 0);
      last = rte_rdtsc();
      continue;
    }
    uint32_t slow = atomic_load_explicit(&slow_us[slot], memory_order_relaxed);
    if (slow) rte_delay_us_block(slow);
    const double offered = atomic_load_explicit(&offer_kpps[slot], memory_order_relaxed) * 1e3;
    uint64_t t0 = rte_rdtsc();
    if (offered > 0) {
      /* The line rate: packets arrive at `offered` per second; a poll takes at most what has arrived. */
      tokens += (double)(t0 - refill) * offered / (double)hz;
      if (tokens > 4.0 * BURST * nports) tokens = 4.0 * BURST * nports;
    }
    refill = t0;
    uint32_t done = 0;
    for (uint16_t p = 0; p < nports; p++) {
      /* A NIC hands packets over in bursts (descriptor write-back, interrupt moderation): a poll finds a
         full burst or nothing, so an iteration that did work is one that carried a burst (busy ≈ load). */
      uint16_t cap = offered > 0 && tokens < BURST ? 0 : BURST;
      uint16_t rx = cap ? rte_eth_rx_burst(p, (uint16_t)slot, bufs, cap) : 0;
      if (!rx) continue;
      if (offered > 0) tokens -= rx;
      uint16_t tx = rte_eth_tx_burst(p ^ 1, (uint16_t)slot, bufs, rx);
      for (uint16_t k = tx; k < rx; k++) rte_pktmbuf_free(bufs[k]);
      n += tx;
      done += rx;
    }
    atomic_store_explicit(&forwarded[slot], n, memory_order_relaxed);
    if (use_hb) {
      /* What it did and what it cost: a relaxed store or three on its own hot line. */
      uint64_t t = rte_rdtsc();
      hamon_hb_usage(&hb, slot, t - prev, done > 0);
      hamon_hb_work(&hb, slot, done);
      prev = t;
    }
  }
  if (use_hb) hamon_hb_exit(&hb, slot);
  return 0;
}

#if RTE_VERSION >= RTE_VERSION_NUM(23, 3, 0, 0)
/* /eal/lcore/usage on the telemetry socket: the same busy and total cycles the region carries. */
static int lcore_usage(unsigned int lcore_id, struct rte_lcore_usage *u) {
  for (uint16_t w = 0; w < nworkers; w++)
    if (worker_lcore[w] == lcore_id) {
      u->busy_cycles = __atomic_load_n(&hb.local[w].busy, __ATOMIC_RELAXED);
      u->total_cycles = __atomic_load_n(&hb.local[w].total, __ATOMIC_RELAXED);
      return 0;
    }
  return -1;
}
#endif

static int port_init(uint16_t port, struct rte_mempool *pool) {
  struct rte_eth_conf conf;
  memset(&conf, 0, sizeof conf);
  if (rte_eth_dev_configure(port, nworkers, nworkers, &conf) != 0) return -1;
  for (uint16_t q = 0; q < nworkers; q++) {
    if (rte_eth_rx_queue_setup(port, q, 512, rte_eth_dev_socket_id(port), NULL, pool) != 0) return -1;
    if (rte_eth_tx_queue_setup(port, q, 512, rte_eth_dev_socket_id(port), NULL) != 0) return -1;
  }
  return rte_eth_dev_start(port);
}

static int control_socket(const char *path) {
  int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  struct sockaddr_un a = { .sun_family = AF_UNIX };
  snprintf(a.sun_path, sizeof a.sun_path, "%s", path);
  unlink(path);
  if (fd < 0 || bind(fd, (struct sockaddr *)&a, sizeof a) != 0) return -1;
  return fd;
}

static void command(char *c) {
  unsigned slot = 0;
  unsigned long v = 0;
  double mpps = 0;
  if (sscanf(c, "stall %u %lu", &slot, &v) == 2 && slot < nworkers) {
    /* Stamped before the store: this thread may lose its CPU between the two, and a stall's start must
       never be stamped after the stall began (a verdict would then seem to come before it). */
    const double at = mono_ms();
    atomic_store(&stall_until[slot], rte_get_tsc_cycles() + v * rte_get_tsc_hz() / 1000);
    printf("ok stall %u %lu at %.3f\n", slot, v, at);
    fflush(stdout);
    return;
  }
  else if (sscanf(c, "gaps %u", &slot) == 1 && slot < nworkers) {
    const uint64_t k = atomic_exchange(&gaps[slot], 0), m = atomic_exchange(&gap_max[slot], 0);
    printf("gaps %u %lu %.3f\n", slot, (unsigned long)k, (double)m * 1e3 / (double)rte_get_tsc_hz());
    fflush(stdout);
    return;
  }
  else if (sscanf(c, "slow %u %lu", &slot, &v) == 2 && slot < nworkers)
    atomic_store(&slow_us[slot], (uint32_t)v);
  else if (sscanf(c, "offer %u %lf", &slot, &mpps) == 2 && slot < nworkers)
    atomic_store(&offer_kpps[slot], (uint32_t)(mpps * 1e3));
  else if (sscanf(c, "idle %u %lu", &slot, &v) == 2 && slot < nworkers)
    atomic_store(&idle_ms[slot], (uint32_t)v);
  else if (sscanf(c, "park %u", &slot) == 1 && slot < nworkers)
    atomic_store(&parked[slot], 1);
  else if (sscanf(c, "unpark %u", &slot) == 1 && slot < nworkers)
    atomic_store(&parked[slot], 0);
  else if (sscanf(c, "kill %u", &slot) == 1 && slot < nworkers)
    atomic_store(&killed[slot], 1);
  else if (strncmp(c, "quit", 4) == 0)
    quit = 1;
  else {
    printf("unknown command: %s\n", c);
    return;
  }
  printf("ok %s\n", c);
  fflush(stdout);
}

int main(int argc, char **argv) {
  int used = rte_eal_init(argc, argv);
  if (used < 0) {
    fprintf(stderr, "rte_eal_init failed\n");
    return 1;
  }
  argc -= used;
  argv += used;
  const char *hb_path = NULL, *ctl_path = NULL;
  unsigned ka_ms = 5;
  for (int i = 1; i < argc; i++) {
    if (strcmp(argv[i], "--hb") == 0 && i + 1 < argc) hb_path = argv[++i];
    else if (strcmp(argv[i], "--ctl") == 0 && i + 1 < argc) ctl_path = argv[++i];
    else if (strcmp(argv[i], "--ka-period-ms") == 0 && i + 1 < argc) ka_ms = (unsigned)atoi(argv[++i]);
    else if (strcmp(argv[i], "--no-hb") == 0) use_hb = 0;
    else if (strcmp(argv[i], "--no-ka") == 0) use_ka = 0;
    else if (strcmp(argv[i], "--offered-mpps") == 0 && i + 1 < argc) {
      uint32_t k = (uint32_t)(atof(argv[++i]) * 1e3);
      for (int w = 0; w < MAX_WORKERS; w++) offer_kpps[w] = k;
    }
  }
  if (!hb_path) {
    fprintf(stderr, "usage: … -- --hb PATH [--ctl SOCKET] [--ka-period-ms MS]\n");
    return 64;
  }
  signal(SIGTERM, on_signal);
  signal(SIGINT, on_signal);
  nports = rte_eth_dev_count_avail();
  unsigned lc;
  RTE_LCORE_FOREACH_WORKER(lc) {
    if (nworkers < MAX_WORKERS) worker_lcore[nworkers++] = lc;
  }
  if (nports < 2 || nports % 2 || nworkers == 0) {
    fprintf(stderr, "need an even number of ports (have %u) and at least one worker lcore (have %u)\n", nports, nworkers);
    return 1;
  }
  struct rte_mempool *pool = rte_pktmbuf_pool_create("mbufs", 8191, 256, 0, RTE_MBUF_DEFAULT_BUF_SIZE, (int)rte_socket_id());
  if (!pool) {
    fprintf(stderr, "mbuf pool: %s\n", rte_strerror(rte_errno));
    return 1;
  }
  for (uint16_t p = 0; p < nports; p++)
    if (port_init(p, pool) != 0) {
      fprintf(stderr, "port %u: cannot start\n", p);
      return 1;
    }
  int r = hamon_hb_create(&hb, hb_path, nworkers, HAMON_HB_SEALED_MEMFD);
  if (r != 0) {
    fprintf(stderr, "heartbeat %s: %s\n", hb_path, strerror(-r));
    return 1;
  }
  char name[16];
  for (uint16_t w = 0; w < nworkers; w++) {
    snprintf(name, sizeof name, "fwd%u", w);
    hamon_hb_set_meta(&hb, w, worker_lcore[w], rte_lcore_to_socket_id(worker_lcore[w]), name);
  }
  hamon_hb_declare(&hb, HAMON_HB_FLAG_WORK | HAMON_HB_FLAG_USAGE);
  if (hamon_hb_publish(&hb) != 0) return 1;
#if RTE_VERSION >= RTE_VERSION_NUM(23, 3, 0, 0)
  rte_lcore_register_usage_cb(lcore_usage);
#endif
  ka = rte_keepalive_create(ka_dead, NULL);
  for (uint16_t w = 0; w < nworkers; w++) rte_keepalive_register_core(ka, (int)worker_lcore[w]);
  int ctl = ctl_path ? control_socket(ctl_path) : -1;
  for (uint16_t w = 0; w < nworkers; w++) rte_eal_remote_launch(worker, (void *)(uintptr_t)w, worker_lcore[w]);
  printf("forwarding ports=%u workers=%u hb=%s\n", nports, nworkers, hb_path);
  fflush(stdout);
  uint64_t hz = rte_get_tsc_hz(), next_ka = rte_get_tsc_cycles(), next_rate = next_ka + hz, last = 0;
  while (!quit) {
    uint64_t now = rte_get_tsc_cycles();
    if (now >= next_ka) {
      if (use_ka) rte_keepalive_dispatch_pings(NULL, ka);
      next_ka += hz * ka_ms / 1000;
    }
    if (now >= next_rate) {
      uint64_t total = 0;
      for (uint16_t w = 0; w < nworkers; w++) total += atomic_load(&forwarded[w]);
      printf("rate %.2f\n", (double)(total - last) / 1e6);
      fflush(stdout);
      last = total;
      next_rate += hz;
      if (use_hb) hamon_hb_control_beat(&hb);
    }
    char buf[128];
    ssize_t n = ctl >= 0 ? recv(ctl, buf, sizeof buf - 1, 0) : -1;
    if (n > 0) {
      buf[n] = '\0';
      command(buf);
    }
    rte_delay_us_sleep(500); /* the main lcore shares its CPU with the control plane: sleep, do not spin */
  }
  if (use_hb) hamon_hb_stopping(&hb);
  rte_eal_mp_wait_lcore();
  if (use_hb) hamon_hb_stop(&hb);
  hamon_hb_close(&hb);
  if (ctl_path) unlink(ctl_path);
  printf("stopped\n");
  fflush(stdout);
  rte_eal_cleanup();
  return 0;
}
