/*
 * Fuzzes libhamon-component's decoder and its frame reader, for the
 * sanitizers (built by test/c/libhamon.test.ts with ASan + UBSan):
 *
 *  1. decoder: DECODER_N mutated documents straight into hxml_parse;
 *  2. library: FRAMES_N frames from an in-process fake monitor over a real
 *     UNIX socket, each mutated at random (or left valid), written in random
 *     pieces with hamon_process() between them; now and then an oversized or
 *     zero length, or the monitor vanishing mid-frame. Whatever it sends, the
 *     library must answer valid queries, drop the connection on garbage and
 *     come back (hello, register) — never crash, never block.
 *
 *   fuzz-component SOCKET DECODER_N FRAMES_N SEED
 * Prints "decoder N parsed=P refused=R" and "library frames=F reconnects=C replies=Q".
 */
#define _GNU_SOURCE 1
#include "hamon_component.h"
#include "hamon_xml.h"

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

static unsigned long long rng_state;
static unsigned rnd(unsigned n) {
  rng_state ^= rng_state << 13;
  rng_state ^= rng_state >> 7;
  rng_state ^= rng_state << 17;
  return n ? (unsigned)(rng_state % n) : 0;
}

static const char *const SEEDS[] = {
  "<query id=\"7\" kind=\"health\" check=\"work\" action=\"\"/>",
  "<query id=\"8\" kind=\"audit\" check=\"\" action=\"\"/>",
  "<query id=\"9\" kind=\"dump\" check=\"\" action=\"\"/>",
  "<query id=\"10\" kind=\"action\" check=\"\" action=\"stop\"/>",
  "<?xml version=\"1.0\" encoding=\"UTF-8\"?><query id='11' kind='health' check='health' action=''/>",
  "<error id=\"0\" code=\"E_DENIED\" message=\"capped at restart-daemon &amp; said once &#x263A; &#233;\"/>",
  "<ok id=\"99\"/>",
  "<welcome version=\"1\" server=\"hamon/0.1.0\"/>",
  "<future-thing a=\"1\"><child b=\"2\">text &lt;x&gt;</child></future-thing>",
  "<query id=\"12\" kind=\"health\" check=\"work\" action=\"\"><extra x=\"1\"/>more text</query>",
};
#define NSEEDS (sizeof SEEDS / sizeof SEEDS[0])
static const char *const TOKENS[] = { "<", ">", "/>", "</", "&", "&amp;", "&#0;", "&#x110000;", "&#xD800;", "<!--", "<![CDATA[", "<!DOCTYPE x>", "<?pi?>", "\"", "'", "=", " ", "\xC3\x28", "\xF0\x9F\x98\x80", "\x01", "__proto__", "]]>", "<a><a><a><a><a><a><a><a><a>" };
#define NTOKENS (sizeof TOKENS / sizeof TOKENS[0])

/* A mutated copy of a seed in `out`; returns its length (at most cap). */
static size_t mutate(char *out, size_t cap, int rounds) {
  const char *s = SEEDS[rnd(NSEEDS)];
  size_t n = strlen(s);
  memcpy(out, s, n);
  for (int r = 0; r < rounds; r++) {
    unsigned op = rnd(6);
    size_t at = n ? rnd((unsigned)n) : 0;
    if (op == 0 && n) out[at] ^= (char)(1u << rnd(8));                /* bit flip */
    else if (op == 1 && n) out[at] = (char)rnd(256);                    /* random byte */
    else if (op == 2 && n > 1) { memmove(out + at, out + at + 1, n - at - 1); n--; } /* delete */
    else if (op == 3 && n) n = at;                                      /* truncate */
    else {                                                              /* insert a token or a repeat */
      const char *t = op == 4 ? TOKENS[rnd(NTOKENS)] : s + rnd((unsigned)strlen(s));
      size_t tl = strlen(t);
      if (op == 5 && tl > 16) tl = 16;
      if (n + tl >= cap) continue;
      memmove(out + at + tl, out + at, n - at);
      memcpy(out + at, t, tl);
      n += tl;
    }
  }
  return n;
}

static int listen_on(const char *path) {
  struct sockaddr_un a = { .sun_family = AF_UNIX };
  snprintf(a.sun_path, sizeof a.sun_path, "%s", path);
  unlink(path);
  int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0 || bind(fd, (struct sockaddr *)&a, sizeof a) != 0 || listen(fd, 8) != 0) { perror("listen"); exit(2); }
  return fd;
}

static hamon_t *h;
static unsigned long long replies;

static void on_query(hamon_t *hh, const struct hamon_query *q, void *user) {
  (void)user;
  if (hamon_reply(hh, q->id, HAMON_HEALTH_OK, q->kind == HAMON_QUERY_DUMP ? "state <&> \"dump\"" : "fine") == 0) replies++;
}

/* One turn of the library; `wait`: first wait (at most 1 ms) for it to have something to do. */
static void pump_(int wait) {
  struct pollfd p = { hamon_fd(h), POLLIN, 0 };
  int t = hamon_next_timeout_ms(h);
  poll(&p, 1, !wait ? 0 : t < 0 || t > 1 ? 1 : t);
  if (hamon_process(h) != 0) { fprintf(stderr, "hamon_process failed\n"); exit(3); }
}

/* Reads one whole frame from the library into buf (or -1 when the connection closed / 2 s passed). */
static long read_frame(int c, char *buf, size_t cap) {
  size_t got = 0, need = 4;
  for (int spins = 0; spins < 2000; spins++) {
    ssize_t r = recv(c, buf + got, need - got, MSG_DONTWAIT);
    if (r == 0) return -1;
    if (r < 0) {
      if (errno != EAGAIN) return -1;
      pump_(1);
      continue;
    }
    got += (size_t)r;
    if (got == 4 && need == 4) {
      need = 4 + ((size_t)(unsigned char)buf[0] << 24 | (size_t)(unsigned char)buf[1] << 16 | (size_t)(unsigned char)buf[2] << 8 | (unsigned char)buf[3]);
      if (need > cap) return -1;
    }
    if (got == need && need > 4) return (long)need;
  }
  fprintf(stderr, "no frame from the library within 2 s\n");
  exit(4);
}

static void send_frame(int c, const char *body, size_t n) {
  unsigned char hdr[4] = { (unsigned char)(n >> 24), (unsigned char)(n >> 16), (unsigned char)(n >> 8), (unsigned char)n };
  ssize_t w = send(c, hdr, 4, MSG_NOSIGNAL);
  w = send(c, body, n, MSG_NOSIGNAL);
  (void)w;
}

/* Accepts the library's next connection and completes hello/welcome, register/ok. */
static int handshake(int ls, char *buf, size_t cap) {
  for (int spins = 0; spins < 2000; spins++) {
    int c = accept4(ls, NULL, NULL, SOCK_CLOEXEC);
    if (c < 0) { pump_(1); continue; }
    if (read_frame(c, buf, cap) < 0 || strncmp(buf + 4, "<hello ", 7) != 0) { close(c); continue; }
    send_frame(c, "<welcome version=\"1\" server=\"fuzz\"/>", 36);
    long n = read_frame(c, buf, cap);
    if (n < 0 || strncmp(buf + 4, "<register id=\"", 14) != 0) { close(c); continue; }
    char ok[64];
    int l = snprintf(ok, sizeof ok, "<ok id=\"%ld\"/>", strtol(buf + 18, NULL, 10));
    send_frame(c, ok, (size_t)l);
    for (int k = 0; k < 50 && !hamon_registered(h); k++) pump_(1);
    if (hamon_registered(h)) return c;
    close(c);
  }
  fprintf(stderr, "the library did not come back within 2000 tries\n");
  exit(5);
}

int main(int argc, char **argv) {
  if (argc < 5) return 64;
  long decoder_n = atol(argv[2]), frames_n = atol(argv[3]);
  rng_state = strtoull(argv[4], NULL, 10) | 1;
  static char buf[4 + HAMON_FRAME_MAX + 64];
  static struct hxml_doc doc;
  char err[128];
  long parsed = 0;
  for (long i = 0; i < decoder_n; i++) {
    size_t n = mutate(buf, 4096, 1 + (int)rnd(8));
    if (hxml_parse(&doc, buf, n, err, sizeof err) == 0) {
      parsed++;
      if (doc.root[0] == '\0' || doc.n_attrs > HXML_MAX_ATTRS || strlen(doc.text) != doc.text_len) { fprintf(stderr, "inconsistent document\n"); return 6; }
    } else if (err[0] == '\0') { fprintf(stderr, "refused without a reason\n"); return 7; }
  }
  printf("decoder %ld parsed=%ld refused=%ld\n", decoder_n, parsed, decoder_n - parsed);

  int ls = listen_on(argv[1]);
  static const struct hamon_check checks[] = { { "work", 0, 500, 300 } };
  static const char *const actions[] = { "stop" };
  struct hamon_config cfg = { .name = "fuzzed", .socket = argv[1], .checks = checks, .n_checks = 1, .actions = actions, .n_actions = 1,
                              .on_query = on_query, .backoff_initial_ms = 1, .backoff_max_ms = 2, .no_beacon = 1 };
  int e;
  h = hamon_new(&cfg, &e);
  if (!h || hamon_start(h) != 0) return 8;
  int c = handshake(ls, buf, sizeof buf);
  long reconnects = 0, frames = 0;
  static char body[HAMON_FRAME_MAX + 64];
  while (frames < frames_n) {
    /* Mostly valid frames (each answered or ignored); one in 32 mutated hard, one in 512 a broken length or a vanishing monitor. */
    unsigned pick = rnd(512);
    size_t n;
    int garbage = 0;
    if (pick == 0) {
      unsigned char big[4] = { 0, 1, 0, (unsigned char)(1 + rnd(255)) }; /* 65,536 + k: too large */
      if (rnd(2)) memset(big, 0, 4);                                       /* or zero */
      ssize_t w = send(c, big, 4, MSG_NOSIGNAL);
      (void)w;
      garbage = 1;
    } else if (pick == 1) {
      n = mutate(body, sizeof body, 0);
      unsigned char hdr[4] = { 0, 0, (unsigned char)(n >> 8), (unsigned char)n };
      ssize_t w = send(c, hdr, 4, MSG_NOSIGNAL);
      w = send(c, body, n / 2, MSG_NOSIGNAL); /* the monitor vanishes mid-frame */
      (void)w;
      close(c);
      c = -1;
      garbage = 1;
    } else {
      n = mutate(body, sizeof body, pick < 16 ? 1 + (int)rnd(6) : 0);
      unsigned char hdr[4] = { 0, 0, (unsigned char)(n >> 8), (unsigned char)n };
      static unsigned char wire[4 + HAMON_FRAME_MAX + 64];
      memcpy(wire, hdr, 4);
      memcpy(wire + 4, body, n);
      /* Split at random points, the library processing between the pieces. */
      size_t at = 0, total = n + 4;
      while (at < total) {
        size_t piece = 1 + rnd((unsigned)(total - at));
        ssize_t w = send(c, wire + at, piece, MSG_NOSIGNAL);
        if (w <= 0) break;
        at += (size_t)w;
        if (rnd(4) == 0) pump_(0);
      }
    }
    frames++;
    pump_(0);
    /* Drain what the library wrote; a closed connection means it dropped us: take its next one. */
    for (;;) {
      if (c < 0) break;
      ssize_t r = recv(c, buf, sizeof buf, MSG_DONTWAIT);
      if (r > 0) continue;
      if (r == 0 || errno != EAGAIN) { close(c); c = -1; }
      break;
    }
    if (c < 0 || (garbage && !hamon_registered(h))) {
      if (c >= 0) close(c);
      reconnects++;
      c = handshake(ls, buf, sizeof buf);
    }
  }
  printf("library frames=%ld reconnects=%ld replies=%llu\n", frames, reconnects, replies);
  if (replies == 0) { fprintf(stderr, "no query was ever answered\n"); return 9; }
  hamon_free(h);
  close(ls);
  unlink(argv[1]);
  return 0;
}
