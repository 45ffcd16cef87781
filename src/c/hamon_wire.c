/*
 * hamon_wire.c: the encoder of libhamon-component (internal: not installed).
 * What a component sends, as XML text into a bounded buffer: every value
 * escaped, text cut at a character boundary, invalid UTF-8 and control
 * characters as U+FFFD, and never a byte past the buffer (a message that
 * does not fit is marked `over` and not sent). No state, no I/O: the
 * connection logic (hamon_component.c) frames and queues what this writes.
 */
#include "hamon_wire.h"

#include <stdio.h>
#include <string.h>

void hw_put(struct hw *w, const char *s, size_t n) {
  if (w->over || w->cap - w->n < n) { w->over = 1; return; }
  memcpy(w->p + w->n, s, n);
  w->n += n;
}

void hw_puts(struct hw *w, const char *s) { hw_put(w, s, strlen(s)); }

void hw_putu(struct hw *w, uint64_t v) {
  char b[24];
  int n = snprintf(b, sizeof b, "%llu", (unsigned long long)v);
  hw_put(w, b, (size_t)n);
}

/*
 * Escaped text: & < > " ' as entities; invalid UTF-8 and control characters
 * other than TAB/LF/CR as U+FFFD (XML cannot carry them). At most `max`
 * source bytes (cut at a character boundary), and never past `reserve`
 * bytes before the end of the frame (what must still follow).
 */
void hw_text(struct hw *w, const char *s, size_t max, size_t reserve) {
  static const char FFFD[] = "\xEF\xBF\xBD";
  const unsigned char *u = (const unsigned char *)(s ? s : "");
  size_t full = strlen((const char *)u);
  size_t len = full < max ? full : max;
  size_t i = 0;
  while (i < len && !w->over) {
    unsigned char c = u[i];
    const char *rep;
    size_t rl, adv = 1;
    if (c == '&') rep = "&amp;", rl = 5;
    else if (c == '<') rep = "&lt;", rl = 4;
    else if (c == '>') rep = "&gt;", rl = 4;
    else if (c == '"') rep = "&quot;", rl = 6;
    else if (c == '\'') rep = "&apos;", rl = 6;
    else if (c < 0x20 && c != '\t' && c != '\n' && c != '\r') rep = FFFD, rl = 3;
    else if (c < 0x80) rep = (const char *)u + i, rl = 1;
    else {
      size_t k = c >= 0xC2 && c <= 0xDF ? 1 : c >= 0xE0 && c <= 0xEF ? 2 : c >= 0xF0 && c <= 0xF4 ? 3 : 0;
      if (k && i + k >= len && len < full) break; /* a character cut by `max`: the text ends before it */
      int ok = k > 0 && i + k < len;
      uint32_t cp = c & (k == 1 ? 0x1F : k == 2 ? 0x0F : 0x07);
      for (size_t j = 1; ok && j <= k; j++) {
        if ((u[i + j] & 0xC0) != 0x80) ok = 0;
        else cp = (cp << 6) | (u[i + j] & 0x3F);
      }
      if (ok && ((k == 2 && cp < 0x800) || (k == 3 && (cp < 0x10000 || cp > 0x10FFFF)) || (cp >= 0xD800 && cp <= 0xDFFF) || cp == 0xFFFE || cp == 0xFFFF)) ok = 0;
      if (ok) rep = (const char *)u + i, rl = k + 1, adv = k + 1;
      else rep = FFFD, rl = 3;
    }
    if (w->cap - w->n < rl + reserve) break; /* no room: the text is cut here */
    hw_put(w, rep, rl);
    i += adv;
  }
}

/*
 * Copies `src` into `dst` (capacity `cap`, NUL included), cut at a UTF-8
 * character boundary: a multibyte character that does not fit is left out
 * whole, never halved (the encoder would show a halved one as U+FFFD).
 */
void hw_copy_text(char *dst, size_t cap, const char *src) {
  const char *s = src ? src : "";
  size_t n = strlen(s);
  if (n >= cap) {
    n = cap - 1;
    /* Back off over continuation bytes to the start of the character that was cut, if it was. */
    size_t k = n;
    while (k > 0 && ((unsigned char)s[k] & 0xC0) == 0x80) k--;
    if (k < n || ((unsigned char)s[n] & 0xC0) == 0x80) n = k;
  }
  memcpy(dst, s, n);
  dst[n] = '\0';
}

/* ---- the messages a component sends (docs/protocol.md §5.1) --------------- */

void hw_hello(struct hw *w, const char *agent) {
  hw_puts(w, "<hello version=\"1\" min-version=\"1\" role=\"component\" agent=\"");
  hw_text(w, agent, 64, 3);
  hw_puts(w, "\"/>");
}

void hw_register(struct hw *w, uint64_t id, const char *name, const char *kind, const char *plane, long pid,
                 const struct hw_check *checks, size_t n_checks, char (*actions)[HW_NAME_BYTES], size_t n_actions) {
  hw_puts(w, "<register id=\"");
  hw_putu(w, id);
  hw_puts(w, "\" name=\"");
  hw_puts(w, name);
  hw_puts(w, "\" kind=\"");
  hw_puts(w, kind);
  hw_puts(w, "\" plane=\"");
  hw_puts(w, plane);
  hw_puts(w, "\" pid=\"");
  hw_putu(w, (uint64_t)pid);
  hw_puts(w, "\"");
  if (n_actions) {
    hw_puts(w, " actions=\"");
    for (size_t i = 0; i < n_actions; i++) {
      if (i) hw_puts(w, " ");
      hw_puts(w, actions[i]);
    }
    hw_puts(w, "\"");
  }
  if (n_checks == 0) {
    hw_puts(w, "/>");
    return;
  }
  hw_puts(w, ">");
  for (size_t i = 0; i < n_checks; i++) {
    hw_puts(w, "<check name=\"");
    hw_puts(w, checks[i].name);
    hw_puts(w, checks[i].confirm ? "\" mode=\"confirm\" period-ms=\"" : "\" mode=\"query\" period-ms=\"");
    hw_putu(w, checks[i].period);
    hw_puts(w, "\" timeout-ms=\"");
    hw_putu(w, checks[i].timeout);
    hw_puts(w, "\"/>");
  }
  hw_puts(w, "</register>");
}

/* `<ROOT ATTRS reason="…"/>`: every message that ends in a reason. `head` holds the root and the attributes before it. */
void hw_with_reason(struct hw *w, const char *head, const char *reason) {
  hw_puts(w, head);
  hw_puts(w, " reason=\"");
  hw_text(w, reason, HW_TEXT_MAX, 3);
  hw_puts(w, "\"/>");
}

void hw_reply(struct hw *w, uint64_t id, const char *health, const char *detail) {
  hw_puts(w, "<reply id=\"");
  hw_putu(w, id);
  hw_puts(w, "\" health=\"");
  hw_puts(w, health);
  hw_puts(w, "\">");
  hw_text(w, detail, HW_DETAIL_MAX, 8);
  hw_puts(w, "</reply>");
}
