/*
 * Strict XML subset decoder (hamon_xml.h). One pass over the input with an
 * explicit stack of at most HXML_MAX_DEPTH open elements: no recursion, no
 * allocation, every index checked against `len` before it is read.
 */
#include "hamon_xml.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

struct cur {
  const unsigned char *p;
  size_t len;
  size_t i;
  char *err;
  size_t errlen;
};

static int fail(struct cur *c, const char *fmt, ...) {
  if (c->errlen) {
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(c->err, c->errlen, fmt, ap);
    va_end(ap);
    if (n >= 0 && (size_t)n < c->errlen) snprintf(c->err + n, c->errlen - (size_t)n, " at offset %zu", c->i);
  }
  return -1;
}

static int is_ws(unsigned char ch) { return ch == ' ' || ch == '\t' || ch == '\n' || ch == '\r'; }
static int is_name_start(unsigned char ch) { return (ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') || ch == '_'; }
static int is_name_char(unsigned char ch) { return is_name_start(ch) || (ch >= '0' && ch <= '9') || ch == '.' || ch == '-'; }

static void skip_ws(struct cur *c) {
  while (c->i < c->len && is_ws(c->p[c->i])) c->i++;
}

/* Valid UTF-8 (no overlong form, no surrogate, at most U+10FFFF) and no control character but TAB, LF, CR. */
static int check_utf8(struct cur *c) {
  const unsigned char *s = c->p;
  size_t n = c->len, i = 0;
  while (i < n) {
    unsigned char b = s[i];
    if (b < 0x80) {
      if (b < 0x20 && b != '\t' && b != '\n' && b != '\r') { c->i = i; return fail(c, "control character 0x%02x", b); }
      i++;
      continue;
    }
    uint32_t cp;
    size_t k;
    if (b >= 0xC2 && b <= 0xDF) { cp = b & 0x1F; k = 1; }
    else if (b >= 0xE0 && b <= 0xEF) { cp = b & 0x0F; k = 2; }
    else if (b >= 0xF0 && b <= 0xF4) { cp = b & 0x07; k = 3; }
    else { c->i = i; return fail(c, "invalid UTF-8"); }
    if (n - i <= k) { c->i = i; return fail(c, "truncated UTF-8"); }
    for (size_t j = 1; j <= k; j++) {
      if ((s[i + j] & 0xC0) != 0x80) { c->i = i; return fail(c, "invalid UTF-8"); }
      cp = (cp << 6) | (s[i + j] & 0x3F);
    }
    if ((k == 2 && cp < 0x800) || (k == 3 && (cp < 0x10000 || cp > 0x10FFFF)) || (cp >= 0xD800 && cp <= 0xDFFF) || cp == 0xFFFE || cp == 0xFFFF) {
      c->i = i;
      return fail(c, "invalid UTF-8");
    }
    i += k + 1;
  }
  return 0;
}

/* A name at the cursor; its start and length. */
static int read_name(struct cur *c, const unsigned char **name, size_t *nlen) {
  size_t s = c->i;
  if (s >= c->len || !is_name_start(c->p[s])) return fail(c, "expected a name");
  while (c->i < c->len && is_name_char(c->p[c->i])) c->i++;
  *nlen = c->i - s;
  *name = c->p + s;
  if (*nlen > HXML_MAX_NAME) return fail(c, "name longer than %d", HXML_MAX_NAME);
  if ((*nlen == 9 && memcmp(*name, "__proto__", 9) == 0) || (*nlen == 11 && memcmp(*name, "constructor", 11) == 0)) return fail(c, "reserved name");
  return 0;
}

static size_t put_utf8(char *out, uint32_t cp) {
  if (cp < 0x80) { out[0] = (char)cp; return 1; }
  if (cp < 0x800) { out[0] = (char)(0xC0 | (cp >> 6)); out[1] = (char)(0x80 | (cp & 0x3F)); return 2; }
  if (cp < 0x10000) { out[0] = (char)(0xE0 | (cp >> 12)); out[1] = (char)(0x80 | ((cp >> 6) & 0x3F)); out[2] = (char)(0x80 | (cp & 0x3F)); return 3; }
  out[0] = (char)(0xF0 | (cp >> 18)); out[1] = (char)(0x80 | ((cp >> 12) & 0x3F)); out[2] = (char)(0x80 | ((cp >> 6) & 0x3F)); out[3] = (char)(0x80 | (cp & 0x3F));
  return 4;
}

static int xml_char(uint32_t cp) {
  return cp == 0x9 || cp == 0xA || cp == 0xD || (cp >= 0x20 && cp <= 0xD7FF) || (cp >= 0xE000 && cp <= 0xFFFD) || (cp >= 0x10000 && cp <= 0x10FFFF);
}

/*
 * An entity reference at the cursor (which is on '&'). Writes its character
 * to `out` when not NULL (at most 4 bytes) and its length to *olen.
 */
static int read_entity(struct cur *c, char *out, size_t *olen) {
  static const struct { const char *name; char ch; } NAMED[] = { { "amp;", '&' }, { "lt;", '<' }, { "gt;", '>' }, { "quot;", '"' }, { "apos;", '\'' } };
  size_t s = c->i + 1;
  for (size_t k = 0; k < sizeof NAMED / sizeof NAMED[0]; k++) {
    size_t l = strlen(NAMED[k].name);
    if (c->len - s >= l && memcmp(c->p + s, NAMED[k].name, l) == 0) {
      if (out) out[0] = NAMED[k].ch;
      *olen = 1;
      c->i = s + l;
      return 0;
    }
  }
  if (s < c->len && c->p[s] == '#') {
    size_t j = s + 1;
    int hex = j < c->len && c->p[j] == 'x';
    if (hex) j++;
    uint32_t cp = 0;
    size_t digits = 0;
    for (; j < c->len && c->p[j] != ';'; j++, digits++) {
      unsigned char ch = c->p[j];
      uint32_t v;
      if (ch >= '0' && ch <= '9') v = ch - '0';
      else if (hex && ch >= 'a' && ch <= 'f') v = ch - 'a' + 10;
      else if (hex && ch >= 'A' && ch <= 'F') v = ch - 'A' + 10;
      else return fail(c, "bad character reference");
      if (digits >= 8) return fail(c, "character reference too long");
      cp = cp * (hex ? 16 : 10) + v;
    }
    if (j >= c->len || digits == 0) return fail(c, "bad character reference");
    if (!xml_char(cp)) return fail(c, "character reference to a character XML does not allow");
    size_t n = out ? put_utf8(out, cp) : (cp < 0x80 ? 1 : cp < 0x800 ? 2 : cp < 0x10000 ? 3 : 4);
    *olen = n;
    c->i = j + 1;
    return 0;
  }
  return fail(c, "unknown entity (only &amp; &lt; &gt; &quot; &apos; and &#N;)");
}

/* Scratch writer: bounded by construction (values never grow), checked anyway. */
struct out {
  char *buf;
  size_t cap;
  size_t n;
};

static char *out_take(struct out *o, const unsigned char *src, size_t len) {
  if (o->cap - o->n < len + 1) return NULL;
  char *r = o->buf + o->n;
  memcpy(r, src, len);
  r[len] = '\0';
  o->n += len + 1;
  return r;
}

/*
 * An attribute value at the cursor (on the quote). When `keep`, the
 * unescaped value is written to `o` and returned through *val.
 */
static int read_value(struct cur *c, struct out *o, int keep, const char **val) {
  unsigned char q = c->p[c->i];
  if (q != '"' && q != '\'') return fail(c, "attribute value must be quoted");
  c->i++;
  char *start = keep ? o->buf + o->n : NULL;
  for (;;) {
    if (c->i >= c->len) return fail(c, "unterminated attribute value");
    unsigned char ch = c->p[c->i];
    if (ch == q) break;
    if (ch == '<') return fail(c, "'<' in an attribute value");
    if (ch == '&') {
      char tmp[4];
      size_t l;
      if (read_entity(c, tmp, &l) != 0) return -1;
      if (keep) {
        if (o->cap - o->n < l + 1) return fail(c, "out of scratch");
        memcpy(o->buf + o->n, tmp, l);
        o->n += l;
      }
      continue;
    }
    if (keep) {
      if (o->cap - o->n < 2) return fail(c, "out of scratch");
      o->buf[o->n++] = (char)ch;
    }
    c->i++;
  }
  c->i++; /* the closing quote */
  if (keep) {
    o->buf[o->n++] = '\0';
    *val = start;
  }
  return 0;
}

/* The parser's state between its steps: the cursor, scratch, the document, the open elements, the root's text. */
struct parse {
  struct cur c;
  struct out o;
  struct hxml_doc *d;
  const unsigned char *stack[HXML_MAX_DEPTH];
  size_t stack_len[HXML_MAX_DEPTH];
  int depth;
  int have_root, root_closed;
  /* Root text: written to scratch piece by piece after the root's attributes; children write nothing, so the pieces are contiguous. */
  size_t text_from, text_n;
};

/* The XML declaration, at offset 0 only: pseudo-attributes, then "?>". */
static int parse_declaration(struct parse *s) {
  struct cur *c = &s->c;
  size_t len = c->len;
  if (!(len >= 5 && memcmp(c->p, "<?xml", 5) == 0 && (len == 5 || is_ws(c->p[5]) || c->p[5] == '?'))) return 0;
  c->i = 5;
  for (;;) {
    skip_ws(c);
    if (c->i + 1 < len && c->p[c->i] == '?' && c->p[c->i + 1] == '>') {
      c->i += 2;
      return 0;
    }
    const unsigned char *n;
    size_t nl;
    const char *ignored;
    if (read_name(c, &n, &nl) != 0) return -1;
    skip_ws(c);
    if (c->i >= len || c->p[c->i] != '=') return fail(c, "expected '=' in the XML declaration");
    c->i++;
    skip_ws(c);
    if (c->i >= len) return fail(c, "unterminated XML declaration");
    if (read_value(c, &s->o, 0, &ignored) != 0) return -1;
  }
}

/* Appends `n` bytes of the root's own text to scratch, where at least `room` bytes must be free. */
static int keep_text(struct parse *s, const char *src, size_t n, size_t room) {
  if (s->text_n == 0) s->text_from = s->o.n;
  if (s->o.cap - s->o.n < room) return fail(&s->c, "out of scratch");
  memcpy(s->o.buf + s->o.n, src, n);
  s->o.n += n;
  s->text_n += n;
  return 0;
}

/* Character data at the cursor (not '<'): whitespace only outside the root; inside it, entities decoded; the root's own kept. */
static int parse_text(struct parse *s) {
  struct cur *c = &s->c;
  unsigned char ch = c->p[c->i];
  if (s->depth == 0) {
    if (!is_ws(ch)) return fail(c, "text outside the root element");
    c->i++;
    return 0;
  }
  if (ch == '>' && c->i >= 2 && c->p[c->i - 1] == ']' && c->p[c->i - 2] == ']') return fail(c, "']]>' in text");
  if (ch == '&') {
    char tmp[4];
    size_t l;
    if (read_entity(c, tmp, &l) != 0) return -1;
    return s->depth == 1 ? keep_text(s, tmp, l, l + 2) : 0;
  }
  c->i++;
  return s->depth == 1 ? keep_text(s, (const char *)&ch, 1, 2) : 0;
}

/* An end tag `</name>` (the cursor on '<'): it must close the innermost open element. */
static int parse_end_tag(struct parse *s) {
  struct cur *c = &s->c;
  c->i += 2;
  const unsigned char *n;
  size_t nl;
  if (read_name(c, &n, &nl) != 0) return -1;
  int d = s->depth;
  if (d == 0 || nl != s->stack_len[d - 1] || memcmp(n, s->stack[d - 1], nl) != 0) return fail(c, "end tag </%.*s> does not match", (int)nl, (const char *)n);
  skip_ws(c);
  if (c->i >= c->len || c->p[c->i] != '>') return fail(c, "expected '>'");
  c->i++;
  if (--s->depth == 0) s->root_closed = 1;
  return 0;
}

/* The attributes of a start tag, up to '>' or '/>': no duplicate, at most HXML_MAX_ATTRS; the root's are kept. Sets *self_closing. */
static int parse_attributes(struct parse *s, int is_root, int *self_closing) {
  struct cur *c = &s->c;
  const unsigned char *an[HXML_MAX_ATTRS];
  size_t anl[HXML_MAX_ATTRS];
  int na = 0;
  *self_closing = 0;
  for (;;) {
    size_t before = c->i;
    skip_ws(c);
    if (c->i >= c->len) return fail(c, "unterminated tag");
    if (c->p[c->i] == '>') {
      c->i++;
      return 0;
    }
    if (c->p[c->i] == '/') {
      if (c->i + 1 >= c->len || c->p[c->i + 1] != '>') return fail(c, "expected '/>'");
      c->i += 2;
      *self_closing = 1;
      return 0;
    }
    if (c->i == before) return fail(c, "expected whitespace before an attribute");
    const unsigned char *a;
    size_t al;
    if (read_name(c, &a, &al) != 0) return -1;
    for (int k = 0; k < na; k++)
      if (anl[k] == al && memcmp(an[k], a, al) == 0) return fail(c, "attribute %.*s given twice", (int)al, (const char *)a);
    if (na >= HXML_MAX_ATTRS) return fail(c, "more than %d attributes", HXML_MAX_ATTRS);
    an[na] = a;
    anl[na] = al;
    na++;
    skip_ws(c);
    if (c->i >= c->len || c->p[c->i] != '=') return fail(c, "expected '='");
    c->i++;
    skip_ws(c);
    if (c->i >= c->len) return fail(c, "unterminated tag");
    const char *val = NULL;
    if (read_value(c, &s->o, is_root, &val) != 0) return -1;
    if (is_root) {
      const char *name = out_take(&s->o, a, al);
      if (!name) return fail(c, "out of scratch");
      s->d->attrs[s->d->n_attrs].name = name;
      s->d->attrs[s->d->n_attrs].value = val;
      s->d->n_attrs++;
    }
  }
}

/* A start tag `<name attrs>` or `<name attrs/>` (the cursor on '<'): counted, depth-checked, pushed unless self-closing. */
static int parse_start_tag(struct parse *s) {
  struct cur *c = &s->c;
  if (s->have_root && s->depth == 0) return fail(c, "a second root element");
  c->i++;
  const unsigned char *n;
  size_t nl;
  if (read_name(c, &n, &nl) != 0) return -1;
  if (++s->d->elements > HXML_MAX_ELEMENTS) return fail(c, "more than %d elements", HXML_MAX_ELEMENTS);
  if (s->depth >= HXML_MAX_DEPTH) return fail(c, "nested deeper than %d", HXML_MAX_DEPTH);
  int is_root = !s->have_root;
  if (is_root) {
    memcpy(s->d->root, n, nl);
    s->d->root[nl] = '\0';
    s->have_root = 1;
  }
  int self_closing;
  if (parse_attributes(s, is_root, &self_closing) != 0) return -1;
  if (self_closing) {
    if (s->depth == 0) s->root_closed = 1;
    return 0;
  }
  s->stack[s->depth] = n;
  s->stack_len[s->depth] = nl;
  s->depth++;
  return 0;
}

/* A tag at the cursor (on '<'): refused kinds first, then an end or a start tag. */
static int parse_tag(struct parse *s) {
  struct cur *c = &s->c;
  if (c->i + 1 >= c->len) return fail(c, "unterminated tag");
  unsigned char nx = c->p[c->i + 1];
  if (nx == '!') return fail(c, "DOCTYPE, comments and CDATA are not allowed");
  if (nx == '?') return fail(c, "processing instructions are not allowed");
  return nx == '/' ? parse_end_tag(s) : parse_start_tag(s);
}

/* The document: the declaration, then tags and text until the root is closed and only whitespace follows. */
int hxml_parse(struct hxml_doc *d, const char *buf, size_t len, char *err, size_t errlen) {
  struct parse s = { .c = { (const unsigned char *)buf, len, 0, err, errlen }, .o = { d->scratch, sizeof d->scratch, 0 }, .d = d };
  struct cur *c = &s.c;
  if (errlen) err[0] = '\0';
  d->root[0] = '\0';
  d->n_attrs = 0;
  d->text = "";
  d->text_len = 0;
  d->elements = 0;
  if (len == 0) return fail(c, "empty document");
  if (len > HXML_MAX_INPUT) return fail(c, "document larger than %d bytes", HXML_MAX_INPUT);
  if (check_utf8(c) != 0) return -1;
  c->i = 0;
  if (parse_declaration(&s) != 0) return -1;
  while (!s.root_closed) {
    if (c->i >= len) {
      if (!s.have_root) return fail(c, "no root element");
      return fail(c, "unclosed element <%.*s>", (int)s.stack_len[s.depth - 1], (const char *)s.stack[s.depth - 1]);
    }
    if ((c->p[c->i] == '<' ? parse_tag(&s) : parse_text(&s)) != 0) return -1;
  }
  skip_ws(c);
  if (c->i < len) return fail(c, "content after the root element");
  if (s.text_n) {
    if (s.o.cap - s.o.n < 1) return fail(c, "out of scratch");
    s.o.buf[s.text_from + s.text_n] = '\0';
    d->text = s.o.buf + s.text_from;
    d->text_len = s.text_n;
  }
  return 0;
}

const char *hxml_attr(const struct hxml_doc *d, const char *name) {
  for (int k = 0; k < d->n_attrs; k++)
    if (strcmp(d->attrs[k].name, name) == 0) return d->attrs[k].value;
  return NULL;
}
