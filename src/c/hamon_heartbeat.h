/*
 * hamon heartbeat file, layout v1 (minor 1): the fast-path (writer) side.
 * Normative description: docs/heartbeat.md. Header-only, C11 or C++17, Linux.
 *
 * Include it in any order. It defines no feature-test macro: it needs the
 * usual POSIX/Linux declarations, which -std=gnu11, g++, -D_DEFAULT_SOURCE or
 * -D_GNU_SOURCE (DPDK's own build) all provide; under a strict -std=c11 add
 * -D_DEFAULT_SOURCE. memfd_create is reached through syscall(2), and the
 * memfd/seal constants are defined here when the libc headers did not.
 *
 *   struct hamon_hb hb;
 *   hamon_hb_create(&hb, "/run/fastpath/hb", 8, HAMON_HB_SEALED_MEMFD);  // before launching lcores
 *   hamon_hb_set_meta(&hb, i, lcore_id, socket_id, "rx0");                // each slot, before publish
 *   hamon_hb_declare(&hb, HAMON_HB_FLAG_WORK | HAMON_HB_FLAG_USAGE);      // optional: the pace counters
 *   hamon_hb_publish(&hb);                                                 // rename into place
 *   ... lcore i starts:          hamon_hb_launch(&hb, i);
 *   ... in lcore i's poll loop:  hamon_hb_beat(&hb, i);                    // one relaxed store
 *   ... at the loop's end:       hamon_hb_work(&hb, i, rx); hamon_hb_usage(&hb, i, cycles, rx > 0);
 *   hamon_hb_set_state(&hb, i, HAMON_HB_IDLE, 200);                        // before a bounded wait
 *   ... lcore i returns:         hamon_hb_exit(&hb, i);                    // its own slot: EXITED
 *   hamon_hb_stopping(&hb);  join the lcores;  hamon_hb_stop(&hb);         // control thread: tombstone
 *   hamon_hb_close(&hb);                                                   // unmap; remove a memfd link
 *
 * Rules: one writer per byte range (each lcore writes only its slot's hot
 * line; the control thread writes the header words); the monitor never
 * writes; the published file is never truncated; a restart publishes a new
 * inode (rename), so a reader never sees a half-built file.
 */
#ifndef HAMON_HEARTBEAT_H
#define HAMON_HEARTBEAT_H

#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

/* From <linux/memfd.h> and <linux/fcntl.h>, for headers included without _GNU_SOURCE. */
#ifndef MFD_CLOEXEC
#define MFD_CLOEXEC 0x0001U
#endif
#ifndef MFD_ALLOW_SEALING
#define MFD_ALLOW_SEALING 0x0002U
#endif
#ifndef F_ADD_SEALS
#define F_ADD_SEALS 1033
#endif
#ifndef F_SEAL_SEAL
#define F_SEAL_SEAL 0x0001
#endif
#ifndef F_SEAL_SHRINK
#define F_SEAL_SHRINK 0x0002
#endif
#ifndef F_SEAL_GROW
#define F_SEAL_GROW 0x0004
#endif

#ifdef __cplusplus
#define HAMON_HB_STATIC_ASSERT(c, m) static_assert(c, m)
#else
#define HAMON_HB_STATIC_ASSERT(c, m) _Static_assert(c, m)
#endif

#define HAMON_HB_MAGIC "FPHBEAT1"
#define HAMON_HB_MAJOR 1
#define HAMON_HB_MINOR 1
#define HAMON_HB_HEADER_SIZE 256
#define HAMON_HB_SLOT_SIZE 128
#define HAMON_HB_MAX_SLOTS 1024

enum hamon_hb_slot_state { HAMON_HB_UNUSED = 0, HAMON_HB_RUNNING = 1, HAMON_HB_IDLE = 2, HAMON_HB_PARKED = 3, HAMON_HB_EXITED = 4 };
enum hamon_hb_writer_state { HAMON_HB_W_INIT = 0, HAMON_HB_W_RUNNING = 1, HAMON_HB_W_STOPPING = 2, HAMON_HB_W_STOPPED_CLEAN = 3 };
#define HAMON_HB_FLAG_SEALED_MEMFD 1u
#define HAMON_HB_FLAG_BEAT_PER_LOOP 2u
/* Minor 1: `work` counts items of work done (packets), so the reader tells a slow core from a loaded one. */
#define HAMON_HB_FLAG_WORK 4u
/* Minor 1: `busy_tsc` / `total_tsc` are kept (DPDK's lcore usage), so the reader names an overloaded core. */
#define HAMON_HB_FLAG_USAGE 8u

struct hamon_hb_header {
  char magic[8];              /*   0 "FPHBEAT1" */
  uint16_t layout_major;      /*   8 = 1 */
  uint16_t layout_minor;      /*  10 = 1 (0: no busy_tsc/total_tsc, work informational) */
  uint32_t header_size;       /*  12 = 256 */
  uint32_t slot_size;         /*  16 = 128 */
  uint32_t slot_count;        /*  20 1..1024 */
  uint64_t file_size;         /*  24 = real file size */
  uint64_t instance_id;       /*  32 random, non-zero, new per start */
  uint32_t writer_pid;        /*  40 */
  uint32_t flags;             /*  44 */
  uint64_t start_time_ticks;  /*  48 /proc/self/stat field 22 */
  uint32_t beat_hint_us;      /*  56 informational */
  uint32_t header_crc32;      /*  60 CRC-32 (zlib) of bytes [0,60) */
  uint32_t writer_state;      /*  64 control thread, release store */
  uint32_t reserved0;         /*  68 */
  uint64_t control_beat;      /*  72 control thread, relaxed */
  uint8_t reserved[176];      /*  80..255 zero */
};

struct hamon_hb_slot {
  /* hot line: written only by the owning lcore */
  uint64_t beat;              /*  +0 relaxed store per loop iteration */
  uint32_t state;             /*  +8 enum hamon_hb_slot_state */
  uint32_t state_seq;         /* +12 release store, +1 per state change, after state/max_idle_ms */
  uint32_t launch_gen;        /* +16 +1 per (re)launch */
  uint32_t max_idle_ms;       /* +20 promised longest wait while IDLE; 0 = unbounded */
  uint64_t work;              /* +24 items of work done, cumulative (HAMON_HB_FLAG_WORK) */
  uint64_t busy_tsc;          /* +32 TSC cycles of iterations that did work, cumulative (HAMON_HB_FLAG_USAGE) */
  uint64_t total_tsc;         /* +40 TSC cycles of all iterations, cumulative (HAMON_HB_FLAG_USAGE) */
  uint8_t hot_reserved[16];   /* +48 */
  /* cold line: written once before publish */
  uint32_t lcore_id;          /* +64 */
  uint32_t socket_id;         /* +68 */
  char name[16];              /* +72 NUL-padded ASCII */
  uint8_t cold_reserved[36];  /* +88 */
  uint32_t meta_crc32;        /* +124 CRC-32 of slot bytes [+64,+124) */
};

HAMON_HB_STATIC_ASSERT(sizeof(struct hamon_hb_header) == 256, "header size");
HAMON_HB_STATIC_ASSERT(offsetof(struct hamon_hb_header, layout_major) == 8, "layout_major");
HAMON_HB_STATIC_ASSERT(offsetof(struct hamon_hb_header, layout_minor) == 10, "layout_minor");
HAMON_HB_STATIC_ASSERT(offsetof(struct hamon_hb_header, header_size) == 12, "header_size");
HAMON_HB_STATIC_ASSERT(offsetof(struct hamon_hb_header, slot_size) == 16, "slot_size");
HAMON_HB_STATIC_ASSERT(offsetof(struct hamon_hb_header, slot_count) == 20, "slot_count");
HAMON_HB_STATIC_ASSERT(offsetof(struct hamon_hb_header, file_size) == 24, "file_size");
HAMON_HB_STATIC_ASSERT(offsetof(struct hamon_hb_header, instance_id) == 32, "instance_id");
HAMON_HB_STATIC_ASSERT(offsetof(struct hamon_hb_header, writer_pid) == 40, "writer_pid");
HAMON_HB_STATIC_ASSERT(offsetof(struct hamon_hb_header, flags) == 44, "flags");
HAMON_HB_STATIC_ASSERT(offsetof(struct hamon_hb_header, start_time_ticks) == 48, "start_time_ticks");
HAMON_HB_STATIC_ASSERT(offsetof(struct hamon_hb_header, beat_hint_us) == 56, "beat_hint_us");
HAMON_HB_STATIC_ASSERT(offsetof(struct hamon_hb_header, header_crc32) == 60, "header_crc32");
HAMON_HB_STATIC_ASSERT(offsetof(struct hamon_hb_header, writer_state) == 64, "writer_state");
HAMON_HB_STATIC_ASSERT(offsetof(struct hamon_hb_header, control_beat) == 72, "control_beat");
HAMON_HB_STATIC_ASSERT(sizeof(struct hamon_hb_slot) == 128, "slot size");
HAMON_HB_STATIC_ASSERT(offsetof(struct hamon_hb_slot, state) == 8, "state");
HAMON_HB_STATIC_ASSERT(offsetof(struct hamon_hb_slot, state_seq) == 12, "state_seq");
HAMON_HB_STATIC_ASSERT(offsetof(struct hamon_hb_slot, launch_gen) == 16, "launch_gen");
HAMON_HB_STATIC_ASSERT(offsetof(struct hamon_hb_slot, max_idle_ms) == 20, "max_idle_ms");
HAMON_HB_STATIC_ASSERT(offsetof(struct hamon_hb_slot, work) == 24, "work");
HAMON_HB_STATIC_ASSERT(offsetof(struct hamon_hb_slot, busy_tsc) == 32, "busy_tsc");
HAMON_HB_STATIC_ASSERT(offsetof(struct hamon_hb_slot, total_tsc) == 40, "total_tsc");
HAMON_HB_STATIC_ASSERT(offsetof(struct hamon_hb_slot, lcore_id) == 64, "lcore_id");
HAMON_HB_STATIC_ASSERT(offsetof(struct hamon_hb_slot, socket_id) == 68, "socket_id");
HAMON_HB_STATIC_ASSERT(offsetof(struct hamon_hb_slot, name) == 72, "name");
HAMON_HB_STATIC_ASSERT(offsetof(struct hamon_hb_slot, meta_crc32) == 124, "meta_crc32");

enum hamon_hb_transport { HAMON_HB_PLAIN_FILE = 0, HAMON_HB_SEALED_MEMFD = 1 };

/*
 * What each lcore keeps for itself: its counters, never read back from the
 * shared region (the reader's loads must not pull the line back and forth),
 * each on its own cache line outside the region (no false sharing between
 * cores on the datapath).
 */
struct hamon_hb_local {
  uint64_t beat;
  uint32_t seq;
  uint32_t gen;
  uint64_t work;
  uint64_t busy;
  uint64_t total;
  uint8_t pad[24];
};
HAMON_HB_STATIC_ASSERT(sizeof(struct hamon_hb_local) == 64, "one cache line per lcore");

struct hamon_hb {
  struct hamon_hb_header *hdr;
  struct hamon_hb_slot *slots;
  struct hamon_hb_local *local; /* slot_count entries, 64-byte aligned, private memory */
  size_t size;
  int fd;
  enum hamon_hb_transport transport;
  char path[256];
};

static inline uint32_t hamon_hb_crc32(const void *data, size_t len) {
  const uint8_t *p = (const uint8_t *)data;
  uint32_t c = 0xffffffffu;
  for (size_t i = 0; i < len; i++) {
    c ^= p[i];
    for (int k = 0; k < 8; k++) c = (c >> 1) ^ (0xedb88320u & (0u - (c & 1u)));
  }
  return c ^ 0xffffffffu;
}

static inline uint64_t hamon_hb__start_ticks(void) {
  char buf[1024];
  FILE *f = fopen("/proc/self/stat", "r");
  if (!f) return 0;
  size_t n = fread(buf, 1, sizeof buf - 1, f);
  fclose(f);
  buf[n] = 0;
  char *p = strrchr(buf, ')');
  if (!p) return 0;
  p += 2; /* field 3 */
  for (int field = 3; field < 22 && p; field++) { p = strchr(p, ' '); if (p) p++; }
  return p ? strtoull(p, NULL, 10) : 0;
}

/* Creates the region (not yet visible at `path`). Returns 0 or -errno. */
static inline int hamon_hb_create(struct hamon_hb *hb, const char *path, uint32_t n, enum hamon_hb_transport t) {
  if (n < 1 || n > HAMON_HB_MAX_SLOTS || strlen(path) >= sizeof hb->path - 32) return -EINVAL;
  memset(hb, 0, sizeof *hb);
  snprintf(hb->path, sizeof hb->path, "%s", path);
  hb->transport = t;
  hb->size = ((HAMON_HB_HEADER_SIZE + (size_t)n * HAMON_HB_SLOT_SIZE) + 4095) & ~(size_t)4095;
  hb->fd = -1;
  hb->local = (struct hamon_hb_local *)aligned_alloc(64, (size_t)n * sizeof(struct hamon_hb_local));
  if (!hb->local) return -ENOMEM;
  memset(hb->local, 0, (size_t)n * sizeof(struct hamon_hb_local));
  if (t == HAMON_HB_SEALED_MEMFD) {
    hb->fd = (int)syscall(__NR_memfd_create, "hamon-heartbeat", MFD_CLOEXEC | MFD_ALLOW_SEALING);
  } else {
    char tmp[300];
    snprintf(tmp, sizeof tmp, "%s.tmp.%d", path, (int)getpid());
    hb->fd = open(tmp, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0640);
  }
  if (hb->fd < 0) return -errno;
  if (ftruncate(hb->fd, (off_t)hb->size) != 0) return -errno;
  if (t == HAMON_HB_SEALED_MEMFD && fcntl(hb->fd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_SEAL) != 0) return -errno;
  void *m = mmap(NULL, hb->size, PROT_READ | PROT_WRITE, MAP_SHARED, hb->fd, 0);
  if (m == MAP_FAILED) return -errno;
  memset(m, 0, hb->size);
  hb->hdr = (struct hamon_hb_header *)m;
  hb->slots = (struct hamon_hb_slot *)((char *)m + HAMON_HB_HEADER_SIZE);
  struct hamon_hb_header *h = hb->hdr;
  memcpy(h->magic, HAMON_HB_MAGIC, 8);
  h->layout_major = HAMON_HB_MAJOR;
  h->layout_minor = HAMON_HB_MINOR;
  h->header_size = HAMON_HB_HEADER_SIZE;
  h->slot_size = HAMON_HB_SLOT_SIZE;
  h->slot_count = n;
  h->file_size = hb->size;
  do { if (getrandom(&h->instance_id, sizeof h->instance_id, 0) != sizeof h->instance_id) h->instance_id = (uint64_t)time(NULL) ^ ((uint64_t)getpid() << 32); } while (h->instance_id == 0);
  h->writer_pid = (uint32_t)getpid();
  h->flags = HAMON_HB_FLAG_BEAT_PER_LOOP | (t == HAMON_HB_SEALED_MEMFD ? HAMON_HB_FLAG_SEALED_MEMFD : 0);
  h->start_time_ticks = hamon_hb__start_ticks();
  for (uint32_t i = 0; i < n; i++) {
    hb->slots[i].lcore_id = i;
    hb->slots[i].meta_crc32 = hamon_hb_crc32(&hb->slots[i].lcore_id, 60);
  }
  h->header_crc32 = hamon_hb_crc32(h, 60);
  return 0;
}

/*
 * Declares what the lcores keep besides their beat (HAMON_HB_FLAG_WORK,
 * HAMON_HB_FLAG_USAGE); call before hamon_hb_publish (the flags are under the
 * header's CRC). Without it the reader judges liveness only.
 */
static inline void hamon_hb_declare(struct hamon_hb *hb, uint32_t flags) {
  hb->hdr->flags |= flags & (HAMON_HB_FLAG_WORK | HAMON_HB_FLAG_USAGE);
  hb->hdr->header_crc32 = hamon_hb_crc32(hb->hdr, 60);
}

/* Cold-line metadata of slot i; call before hamon_hb_publish. */
static inline void hamon_hb_set_meta(struct hamon_hb *hb, uint32_t i, uint32_t lcore_id, uint32_t socket_id, const char *name) {
  struct hamon_hb_slot *s = &hb->slots[i];
  s->lcore_id = lcore_id;
  s->socket_id = socket_id;
  memset(s->name, 0, sizeof s->name);
  strncpy(s->name, name, sizeof s->name);
  s->meta_crc32 = hamon_hb_crc32(&s->lcore_id, 60);
}

/* Makes the region visible at its path, atomically (rename). Returns 0 or -errno. */
static inline int hamon_hb_publish(struct hamon_hb *hb) {
  char tmp[300];
  snprintf(tmp, sizeof tmp, "%s.tmp.%d", hb->path, (int)getpid());
  __atomic_store_n(&hb->hdr->writer_state, HAMON_HB_W_RUNNING, __ATOMIC_RELEASE);
  if (hb->transport == HAMON_HB_SEALED_MEMFD) {
    char target[64];
    snprintf(target, sizeof target, "/proc/%d/fd/%d", (int)getpid(), hb->fd);
    unlink(tmp);
    if (symlink(target, tmp) != 0) return -errno;
  }
  return rename(tmp, hb->path) == 0 ? 0 : -errno;
}

/* The hot path: one relaxed store, no syscall, no lock. `local` is the lcore's private counter. */
static inline void hamon_hb_beat_n(struct hamon_hb *hb, uint32_t i, uint64_t local) {
  __atomic_store_n(&hb->slots[i].beat, local, __ATOMIC_RELAXED);
}

/* Convenience form: the lcore's private counter (its own cache line), one store into the region. */
static inline void hamon_hb_beat(struct hamon_hb *hb, uint32_t i) {
  __atomic_store_n(&hb->slots[i].beat, ++hb->local[i].beat, __ATOMIC_RELAXED);
}

/*
 * Once per loop iteration, after its work: `done` items (packets) this
 * iteration, 0 for an empty poll. One relaxed store (the private sum lives on
 * the lcore's own line). With HAMON_HB_FLAG_WORK.
 */
static inline void hamon_hb_work(struct hamon_hb *hb, uint32_t i, uint32_t done) {
  if (done) __atomic_store_n(&hb->slots[i].work, hb->local[i].work += done, __ATOMIC_RELAXED);
}

/*
 * Once per loop iteration: its TSC cycles, and whether it did work (as DPDK's
 * lcore usage counts busy and total cycles). Two relaxed stores. With
 * HAMON_HB_FLAG_USAGE.
 */
static inline void hamon_hb_usage(struct hamon_hb *hb, uint32_t i, uint64_t cycles, int busy) {
  struct hamon_hb_local *l = &hb->local[i];
  l->total += cycles;
  if (busy) __atomic_store_n(&hb->slots[i].busy_tsc, l->busy += cycles, __ATOMIC_RELAXED);
  __atomic_store_n(&hb->slots[i].total_tsc, l->total, __ATOMIC_RELAXED);
}

/* State change (rare): state and promise first, then the sequence with release order. */
static inline void hamon_hb_set_state(struct hamon_hb *hb, uint32_t i, enum hamon_hb_slot_state st, uint32_t max_idle_ms) {
  struct hamon_hb_slot *s = &hb->slots[i];
  __atomic_store_n(&s->max_idle_ms, max_idle_ms, __ATOMIC_RELAXED);
  __atomic_store_n(&s->state, (uint32_t)st, __ATOMIC_RELAXED);
  __atomic_store_n(&s->state_seq, ++hb->local[i].seq, __ATOMIC_RELEASE);
}

/* At the start of an lcore's main function: a (re)launch. */
static inline void hamon_hb_launch(struct hamon_hb *hb, uint32_t i) {
  __atomic_store_n(&hb->slots[i].launch_gen, ++hb->local[i].gen, __ATOMIC_RELAXED);
  hamon_hb_set_state(hb, i, HAMON_HB_RUNNING, 0);
}

/* On an lcore's way out, by that lcore: its slot says EXITED (never judged again). */
static inline void hamon_hb_exit(struct hamon_hb *hb, uint32_t i) {
  hamon_hb_set_state(hb, i, HAMON_HB_EXITED, 0);
}

/* Control-thread heartbeat (optional). */
static inline void hamon_hb_control_beat(struct hamon_hb *hb) {
  __atomic_store_n(&hb->hdr->control_beat, hb->hdr->control_beat + 1, __ATOMIC_RELAXED);
}

/* Control thread, when shutdown begins (lcores still running): informational for the reader. */
static inline void hamon_hb_stopping(struct hamon_hb *hb) {
  __atomic_store_n(&hb->hdr->writer_state, HAMON_HB_W_STOPPING, __ATOMIC_RELEASE);
}

/*
 * Control thread, after every lcore has returned (joined, e.g.
 * rte_eal_mp_wait_lcore): the clean-stop tombstone. An lcore that did not
 * call hamon_hb_exit is marked EXITED here; that is still one writer per
 * line, because the join handed its line to the control thread.
 */
static inline void hamon_hb_stop(struct hamon_hb *hb) {
  for (uint32_t i = 0; i < hb->hdr->slot_count; i++) {
    uint32_t st = __atomic_load_n(&hb->slots[i].state, __ATOMIC_RELAXED);
    if (st != HAMON_HB_UNUSED && st != HAMON_HB_EXITED) hamon_hb_exit(hb, i);
  }
  __atomic_store_n(&hb->hdr->writer_state, HAMON_HB_W_STOPPED_CLEAN, __ATOMIC_RELEASE);
}

/*
 * Releases the region. A memfd's link at the path is removed (it would
 * dangle once this process exits) if it is still ours; a plain file stays,
 * tombstone and all, until the next start publishes a new one.
 */
static inline void hamon_hb_close(struct hamon_hb *hb) {
  if (hb->transport == HAMON_HB_SEALED_MEMFD && hb->fd >= 0) {
    char target[64], seen[64];
    snprintf(target, sizeof target, "/proc/%d/fd/%d", (int)getpid(), hb->fd);
    ssize_t n = readlink(hb->path, seen, sizeof seen - 1);
    if (n > 0 && (size_t)n == strlen(target) && memcmp(seen, target, (size_t)n) == 0) unlink(hb->path);
  }
  if (hb->hdr) munmap(hb->hdr, hb->size);
  if (hb->fd >= 0) close(hb->fd);
  free(hb->local);
  hb->hdr = NULL;
  hb->slots = NULL;
  hb->local = NULL;
  hb->fd = -1;
}

#endif
