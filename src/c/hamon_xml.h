/*
 * The strict, bounded XML decoder libhamon-component uses for what the
 * monitor sends (internal: not installed). It accepts exactly the subset of
 * docs/protocol.md §3 and nothing else: optional XML declaration at offset 0;
 * no DOCTYPE, comment, CDATA or processing instruction; one root element;
 * names [A-Za-z_][A-Za-z0-9._-]* of at most 64 bytes; quoted attribute values,
 * no duplicate, at most 32 per element; the five entities and numeric
 * references to characters XML 1.0 allows; valid UTF-8 without control
 * characters other than TAB, LF, CR; depth at most 8; at most 4,096 elements;
 * matching end tags. It never allocates: the document lives in the caller's
 * struct. The root's attributes and its own text are unescaped and kept;
 * children are checked and skipped.
 */
#ifndef HAMON_XML_H
#define HAMON_XML_H

#include <stddef.h>

#define HXML_MAX_NAME 64
#define HXML_MAX_ATTRS 32
#define HXML_MAX_DEPTH 8
#define HXML_MAX_ELEMENTS 4096
#define HXML_MAX_INPUT 65536

struct hxml_attr {
  const char *name;  /* NUL-terminated, in scratch */
  const char *value; /* unescaped, NUL-terminated, in scratch */
};

struct hxml_doc {
  char root[HXML_MAX_NAME + 1];
  struct hxml_attr attrs[HXML_MAX_ATTRS];
  int n_attrs;
  const char *text;  /* the root's own character data, unescaped (children's text excluded) */
  size_t text_len;
  int elements;      /* how many elements the document had */
  /* Unescaped values never grow: the input's size, plus a NUL and a name per attribute, plus the text's NUL. */
  char scratch[HXML_MAX_INPUT + HXML_MAX_ATTRS * (HXML_MAX_NAME + 2) + 2];
};

/** Parses `len` bytes. 0 on success; -1 with a reason in `err` (always NUL-terminated). */
int hxml_parse(struct hxml_doc *d, const char *buf, size_t len, char *err, size_t errlen);
/** The value of the root's attribute `name`, or NULL. */
const char *hxml_attr(const struct hxml_doc *d, const char *name);

#endif
