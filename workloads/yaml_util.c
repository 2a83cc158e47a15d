/* yaml_util.c — loading YAML documents with positions, and checked
 * accessors that name file:line:col for every problem (declared in
 * yaml_util.h), and wr_read_file (workloads.h). */
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "workloads.h"
#include "yaml_util.h"

/* Deepest nesting of flow collections ([...] and {...}) a document may
 * have.  libyaml 0.2.5's scanner is quadratic in this depth (it walks its
 * stack of possible simple keys, one per flow level, at every token):
 * 20,000 levels take seconds, 1,000,000 hours.  No real file comes near. */
#define YDOC_MAX_FLOW_DEPTH 1000

/* Checks the flow nesting of `text` before libyaml sees it: brackets in
 * comments and quoted scalars don't count.  WR_EINPUT at the bracket that
 * goes too deep. */
static int flow_depth_check(const char *text, size_t len, const char *file,
                            wr_err *e) {
  int depth = 0, line = 1, col = 0;
  char prev = '\n';
  for (size_t i = 0; i < len; i++) {
    char c = text[i];
    if ((unsigned char)c < 0x80 || (unsigned char)c >= 0xC0)
      col++;
    if (c == '\n') {
      line++;
      col = 0;
    } else if (c == '#' && (prev == ' ' || prev == '\t' || prev == '\n')) {
      while (i + 1 < len && text[i + 1] != '\n')
        i++;
    } else if (c == '"' || (c == '\'' && strchr(" \t\n[{,:-?", prev))) {
      /* a quoted scalar: skip to its end ('' and \" escape the quote) */
      for (i++; i < len; i++) {
        if (text[i] == '\n') {
          line++;
          col = 0;
        } else if ((unsigned char)text[i] < 0x80 ||
                   (unsigned char)text[i] >= 0xC0) {
          col++;
        }
        if (c == '"' && text[i] == '\\' && i + 1 < len && text[i + 1] != '\n') {
          i++;
          col++;
        } else if (text[i] == c) {
          if (c == '\'' && i + 1 < len && text[i + 1] == '\'') {
            i++;
            col++;
          } else {
            break;
          }
        }
      }
    } else if (c == '[' || c == '{') {
      if (++depth > YDOC_MAX_FLOW_DEPTH)
        return wr_err_at(e, file, line, col,
                         "YAML nested deeper than %d levels",
                         YDOC_MAX_FLOW_DEPTH);
    } else if ((c == ']' || c == '}') && depth > 0) {
      depth--;
    }
    prev = (char)(i < len ? text[i] : c);
  }
  return WR_OK;
}

/* One child reference seen in the event stream: child `index` of node
 * `parent` (1-based id), written at `mark`. */
typedef struct yref {
  size_t parent, index;
  yaml_mark_t mark;
} yref;

/* Grows *v (of *cap elements of `size` bytes) to hold n; 0 on failure. */
static int grow(void **v, size_t *cap, size_t n, size_t size) {
  if (n <= *cap)
    return 1;
  size_t c = *cap ? *cap * 2 : 64;
  void *nv = realloc(*v, c * size);
  if (!nv)
    return 0;
  *v = nv;
  *cap = c;
  return 1;
}

/* Parses `text` again as events to record where every child of every list
 * and mapping is written, alias events included: libyaml's composed
 * document gives an alias the anchored node, so a problem with an aliased
 * item would otherwise be reported at the anchor.  The composer numbers
 * nodes in event order (libyaml 0.2.5 loader.c), which is how events map
 * to node ids here; if anything disagrees the index is left out and
 * messages fall back to node positions. */
static void index_refs(ydoc *d, const char *text, size_t len) {
  yaml_parser_t p;
  if (!yaml_parser_initialize(&p))
    return;
  yaml_parser_set_input_string(&p, (const unsigned char *)text, len);
  yref *refs = NULL;
  size_t n_refs = 0, cap_refs = 0, *stack = NULL, depth = 0, cap_stack = 0;
  size_t *counts = NULL, cap_counts = 0, nodes = 0;
  int ok = 1, done = 0;
  while (ok && !done) {
    yaml_event_t ev;
    if (!yaml_parser_parse(&p, &ev)) {
      ok = 0;
      break;
    }
    yaml_event_type_t t = ev.type;
    if (t == YAML_SCALAR_EVENT || t == YAML_SEQUENCE_START_EVENT ||
        t == YAML_MAPPING_START_EVENT || t == YAML_ALIAS_EVENT) {
      if (depth > 0) {
        size_t parent = stack[depth - 1];
        ok = grow((void **)&refs, &cap_refs, n_refs + 1, sizeof *refs);
        if (ok)
          refs[n_refs++] = (yref){parent, counts[parent - 1]++, ev.start_mark};
      }
      if (ok && t != YAML_ALIAS_EVENT) {
        nodes++;
        ok = grow((void **)&counts, &cap_counts, nodes, sizeof *counts);
        if (ok)
          counts[nodes - 1] = 0;
      }
      if (ok && t != YAML_ALIAS_EVENT && t != YAML_SCALAR_EVENT) {
        ok = grow((void **)&stack, &cap_stack, depth + 1, sizeof *stack);
        if (ok)
          stack[depth++] = nodes;
      }
    } else if (t == YAML_SEQUENCE_END_EVENT || t == YAML_MAPPING_END_EVENT) {
      depth -= depth > 0;
    } else if (t == YAML_DOCUMENT_END_EVENT || t == YAML_STREAM_END_EVENT) {
      done = 1;
    }
    yaml_event_delete(&ev);
  }
  yaml_parser_delete(&p);
  size_t have = (size_t)(d->doc.nodes.top - d->doc.nodes.start);
  size_t *base =
      ok && nodes == have ? malloc((nodes + 1) * sizeof *base) : NULL;
  yaml_mark_t *marks =
      base ? malloc((n_refs ? n_refs : 1) * sizeof *marks) : NULL;
  if (base && marks) {
    base[0] = 0;
    for (size_t i = 0; i < nodes; i++)
      base[i + 1] = base[i] + counts[i];
    for (size_t r = 0; r < n_refs; r++)
      marks[base[refs[r].parent - 1] + refs[r].index] = refs[r].mark;
    d->ref_base = base;
    d->ref_marks = marks;
  } else {
    free(base);
    free(marks);
  }
  free(refs);
  free(stack);
  free(counts);
}

/* The index of child i of `parent` in d->ref_marks, or -1. */
static long ref_at(ydoc *d, const yaml_node_t *parent, int i) {
  if (!d->ref_base || !parent || i < 0)
    return -1;
  size_t id = (size_t)(parent - d->doc.nodes.start);
  size_t n = (size_t)(d->doc.nodes.top - d->doc.nodes.start);
  if (id >= n || (size_t)i >= d->ref_base[id + 1] - d->ref_base[id])
    return -1;
  return (long)(d->ref_base[id] + (size_t)i);
}

/* Child i of `parent` (a list item, or a mapping pair's key or value). */
static yaml_node_t *child(ydoc *d, const yaml_node_t *parent, int i) {
  if (parent->type == YAML_SEQUENCE_NODE && i < yseq_len(parent))
    return ydoc_node(d, parent->data.sequence.items.start[i]);
  if (parent->type == YAML_MAPPING_NODE &&
      i / 2 <
          parent->data.mapping.pairs.top - parent->data.mapping.pairs.start) {
    yaml_node_pair_t *q = parent->data.mapping.pairs.start + i / 2;
    return ydoc_node(d, i % 2 ? q->value : q->key);
  }
  return NULL;
}

yaml_mark_t yref_mark(ydoc *d, const yaml_node_t *parent, int i) {
  long r = ref_at(d, parent, i);
  if (r >= 0)
    return d->ref_marks[r];
  yaml_node_t *c = parent ? child(d, parent, i) : NULL;
  yaml_mark_t none = {0, 0, 0};
  return c ? c->start_mark : parent ? parent->start_mark : none;
}

int yref_is_alias(ydoc *d, const yaml_node_t *parent, int i) {
  long r = ref_at(d, parent, i);
  yaml_node_t *c = r >= 0 ? child(d, parent, i) : NULL;
  return c && c->start_mark.index != d->ref_marks[r].index;
}

int yerr_ref(ydoc *d, const yaml_node_t *parent, int i, wr_err *e,
             const char *fmt, ...) {
  char buf[768];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(buf, sizeof buf, fmt, ap);
  va_end(ap);
  yaml_mark_t m = yref_mark(d, parent, i);
  return wr_err_at(e, d->file, (int)m.line + 1, (int)m.column + 1, "%s", buf);
}

int ydoc_load(ydoc *d, const char *text, size_t len, const char *file,
              wr_err *e) {
  yaml_parser_t p;
  memset(d, 0, sizeof *d);
  d->file = file;
  if (flow_depth_check(text, len, file, e) != WR_OK)
    return WR_EINPUT;
  if (!yaml_parser_initialize(&p))
    return wr_err_set(e, WR_ENOMEM, "%s: out of memory", file);
  yaml_parser_set_input_string(&p, (const unsigned char *)text, len);
  if (!yaml_parser_load(&p, &d->doc)) {
    const yaml_mark_t *m = &p.problem_mark;
    int rc = wr_err_at(e, file, (int)m->line + 1, (int)m->column + 1,
                       "YAML syntax error: %s%s%s",
                       p.problem ? p.problem : "unreadable YAML",
                       p.context ? " " : "", p.context ? p.context : "");
    if (p.error == YAML_MEMORY_ERROR)
      rc = wr_err_set(e, WR_ENOMEM, "%s: out of memory", file);
    yaml_parser_delete(&p);
    return rc;
  }
  yaml_parser_delete(&p);
  d->loaded = 1;
  if (!yaml_document_get_root_node(&d->doc)) {
    ydoc_free(d);
    return wr_err_at(e, file, 1, 1, "empty document");
  }
  index_refs(d, text, len);
  return WR_OK;
}

void ydoc_free(ydoc *d) {
  if (d->loaded)
    yaml_document_delete(&d->doc);
  d->loaded = 0;
  free(d->ref_marks);
  free(d->ref_base);
  d->ref_marks = NULL;
  d->ref_base = NULL;
}

yaml_node_t *ydoc_root(ydoc *d) { return yaml_document_get_root_node(&d->doc); }

yaml_node_t *ydoc_node(ydoc *d, int index) {
  return yaml_document_get_node(&d->doc, index);
}

int(yerr)(ydoc *d, const yaml_node_t *n, wr_err *e, const char *fmt, ...) {
  char buf[768];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(buf, sizeof buf, fmt, ap);
  va_end(ap);
  int line = n ? (int)n->start_mark.line + 1 : 0;
  int col = n ? (int)n->start_mark.column + 1 : 0;
  return wr_err_at(e, d->file, line, col, "%s", buf);
}

const char *ytype(const yaml_node_t *n) {
  if (!n)
    return "nothing";
  switch (n->type) {
  case YAML_SCALAR_NODE:
    return "a scalar";
  case YAML_SEQUENCE_NODE:
    return "a list";
  case YAML_MAPPING_NODE:
    return "a mapping";
  default:
    return "an empty node";
  }
}

const char *yscalar(const yaml_node_t *n) {
  if (!n || n->type != YAML_SCALAR_NODE)
    return NULL;
  return (const char *)n->data.scalar.value;
}

int ymap_check(ydoc *d, yaml_node_t *n, const char *const *allowed,
               const char *what, wr_err *e) {
  if (!n || n->type != YAML_MAPPING_NODE)
    return yerr(d, n, e, "%s: expected a mapping, got %s", what, ytype(n));
  yaml_node_pair_t *a = n->data.mapping.pairs.start;
  yaml_node_pair_t *end = n->data.mapping.pairs.top;
  for (yaml_node_pair_t *p = a; p < end; p++) {
    yaml_node_t *k = ydoc_node(d, p->key);
    const char *key = yscalar(k);
    if (!key)
      return yerr(d, k, e, "%s: keys must be plain names, got %s", what,
                  ytype(k));
    if (allowed) {
      int ok = 0;
      for (const char *const *s = allowed; *s && !ok; s++)
        ok = strcmp(*s, key) == 0;
      if (!ok) {
        char list[512] = "";
        size_t used = 0;
        for (const char *const *s = allowed; *s; s++) {
          int w = snprintf(list + used, sizeof list - used, "%s%s",
                           s == allowed ? "" : ", ", *s);
          if (w < 0 || (size_t)w >= sizeof list - used)
            break;
          used += (size_t)w;
        }
        return yerr(d, k, e, "%s: unknown field '%s' (expected one of: %s)",
                    what, key, list);
      }
    }
    for (yaml_node_pair_t *q = a; q < p; q++) {
      const char *prev = yscalar(ydoc_node(d, q->key));
      if (prev && strcmp(prev, key) == 0)
        return yerr(d, k, e, "%s: duplicate key '%s'", what, key);
    }
  }
  return WR_OK;
}

yaml_node_t *ymap_get(ydoc *d, yaml_node_t *map, const char *key) {
  if (!map || map->type != YAML_MAPPING_NODE)
    return NULL;
  for (yaml_node_pair_t *p = map->data.mapping.pairs.start;
       p < map->data.mapping.pairs.top; p++) {
    const char *k = yscalar(ydoc_node(d, p->key));
    if (k && strcmp(k, key) == 0)
      return ydoc_node(d, p->value);
  }
  return NULL;
}

int yint(ydoc *d, yaml_node_t *n, int64_t lo, int64_t hi, const char *field,
         int64_t *out, wr_err *e) {
  const char *s = yscalar(n);
  if (!s)
    return yerr(d, n, e, "%s: expected an integer, got %s", field, ytype(n));
  char *end;
  errno = 0;
  long long v = strtoll(s, &end, 10);
  if (end == s || *end != '\0' || *s == ' ')
    return yerr(d, n, e, "%s: expected an integer, got '%s'", field, s);
  if (errno == ERANGE || v < lo || v > hi)
    return yerr(d, n, e, "%s: %s is out of range (%lld..%lld)", field, s,
                (long long)lo, (long long)hi);
  *out = v;
  return WR_OK;
}

int yreal(ydoc *d, yaml_node_t *n, double lo, double hi, const char *field,
          double *out, wr_err *e) {
  const char *s = yscalar(n);
  if (!s)
    return yerr(d, n, e, "%s: expected a number, got %s", field, ytype(n));
  char *end;
  errno = 0;
  double v = strtod(s, &end);
  if (end == s || *end != '\0' || !isfinite(v) || errno == ERANGE)
    return yerr(d, n, e, "%s: expected a finite number, got '%s'", field, s);
  if (v < lo || v > hi)
    return yerr(d, n, e, "%s: %s is out of range (%g..%g)", field, s, lo, hi);
  *out = v;
  return WR_OK;
}

int ybool(ydoc *d, yaml_node_t *n, const char *field, int *out, wr_err *e) {
  static const char *const yes[] = {"true", "yes", "on", NULL};
  static const char *const no[] = {"false", "no", "off", NULL};
  const char *s = yscalar(n);
  for (int i = 0; s && yes[i]; i++) {
    if (strcasecmp(s, yes[i]) == 0) {
      *out = 1;
      return WR_OK;
    }
    if (strcasecmp(s, no[i]) == 0) {
      *out = 0;
      return WR_OK;
    }
  }
  return yerr(d, n, e, "%s: expected true or false, got %s%s%s", field,
              s ? "'" : "", s ? s : ytype(n), s ? "'" : "");
}

int ystr(ydoc *d, yaml_node_t *n, const char *field, const char **out,
         wr_err *e) {
  const char *s = yscalar(n);
  if (!s || !*s)
    return yerr(d, n, e, "%s: expected a non-empty string, got %s", field,
                s ? "an empty one" : ytype(n));
  *out = s;
  return WR_OK;
}

int yseq_len(const yaml_node_t *n) {
  if (!n || n->type != YAML_SEQUENCE_NODE)
    return 0;
  return (int)(n->data.sequence.items.top - n->data.sequence.items.start);
}

yaml_node_t *yseq_at(ydoc *d, yaml_node_t *n, int i) {
  return ydoc_node(d, n->data.sequence.items.start[i]);
}

int wr_read_file(const char *path, char **text, size_t *len, wr_err *e) {
  FILE *f = fopen(path, "rb");
  if (!f)
    return wr_err_set(e, WR_EINPUT, "%s: cannot open: %s", path,
                      strerror(errno));
  size_t cap = 1 << 16, n = 0;
  char *buf = malloc(cap + 1);
  if (!buf) {
    fclose(f);
    return wr_err_set(e, WR_ENOMEM, "%s: out of memory", path);
  }
  for (;;) {
    size_t got = fread(buf + n, 1, cap - n, f);
    n += got;
    if (n < cap)
      break;
    if (cap > ((size_t)1 << 30)) {
      free(buf);
      fclose(f);
      return wr_err_set(e, WR_EINPUT, "%s: file larger than 1 GiB", path);
    }
    char *nb = realloc(buf, cap * 2 + 1);
    if (!nb) {
      free(buf);
      fclose(f);
      return wr_err_set(e, WR_ENOMEM, "%s: out of memory", path);
    }
    buf = nb;
    cap *= 2;
  }
  int bad = ferror(f);
  fclose(f);
  if (bad) {
    free(buf);
    return wr_err_set(e, WR_EINPUT, "%s: read error", path);
  }
  buf[n] = '\0';
  *text = buf;
  *len = n;
  return WR_OK;
}
