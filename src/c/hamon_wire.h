/*
 * The encoder of libhamon-component (internal: not installed): hamon_wire.c.
 */
#ifndef HAMON_WIRE_H
#define HAMON_WIRE_H

#include <stddef.h>
#include <stdint.h>

/* The protocol's text limits (characters; bytes here, which is stricter). */
#define HW_TEXT_MAX 4096
#define HW_DETAIL_MAX 16384
/* A name and its NUL. */
#define HW_NAME_BYTES 64

/* A bounded output buffer: `over` once something did not fit (the message is then not sent). */
struct hw {
  unsigned char *p;
  size_t cap, n;
  int over;
};

struct hw_check {
  char name[HW_NAME_BYTES];
  int confirm;
  uint32_t period, timeout;
};

void hw_put(struct hw *w, const char *s, size_t n);
void hw_puts(struct hw *w, const char *s);
void hw_putu(struct hw *w, uint64_t v);
/* Escaped text, at most `max` source bytes (cut at a character boundary), never past `reserve` bytes before the end. */
void hw_text(struct hw *w, const char *s, size_t max, size_t reserve);
/* `src` into `dst` (capacity `cap`, NUL included), cut at a UTF-8 character boundary. */
void hw_copy_text(char *dst, size_t cap, const char *src);

void hw_hello(struct hw *w, const char *agent);
void hw_register(struct hw *w, uint64_t id, const char *name, const char *kind, const char *plane, long pid,
                 const struct hw_check *checks, size_t n_checks, char (*actions)[HW_NAME_BYTES], size_t n_actions);
void hw_with_reason(struct hw *w, const char *head, const char *reason);
void hw_reply(struct hw *w, uint64_t id, const char *health, const char *detail);

#endif
