/* yaml_util.h — internal to wrpnsim, never installed: YAML documents
 * with positions (yaml_util.c).  The YAML readers of the workloads, arch
 * and sweep modules include it; the public headers do not, so a program
 * using libwrpnsim does not need libyaml's header. */
#ifndef WRPNSIM_YAML_UTIL_H
#define WRPNSIM_YAML_UTIL_H

#include <stddef.h>
#include <stdint.h>

#include <yaml.h>

#include "workloads.h"

/* A loaded YAML document with the position of every node, and checked
 * accessors that turn every type, range, unknown-key and duplicate-key
 * problem into a "file:line:col:" error.  Every YAML reader of wrpnsim
 * (workloads, architectures, technology tables, sweeps) uses them. */

typedef struct ydoc {
  yaml_document_t doc;
  const char *file; /* borrowed: outlives the document */
  int loaded;
  /* where each child of a list or mapping is written (libyaml gives an
     alias's target node, written elsewhere): ref_marks[ref_base[id - 1]
     + i] for child i of node id; NULL if not indexed */
  yaml_mark_t *ref_marks;
  size_t *ref_base;
} ydoc;

/* Parses `text` into `d`.  A YAML syntax error (bad indentation, unclosed
 * brackets, tabs, ...) is WR_EINPUT with the parser's position.  An empty
 * document is an error too.  On success the caller frees with ydoc_free. */
int ydoc_load(ydoc *d, const char *text, size_t len, const char *file,
              wr_err *e);
void ydoc_free(ydoc *d);
yaml_node_t *ydoc_root(ydoc *d);
yaml_node_t *ydoc_node(ydoc *d, int index);

/* Sets `e` to "file:line:col: <message>" at node `n`; returns WR_EINPUT. */
int yerr(ydoc *d, const yaml_node_t *n, wr_err *e, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
#ifdef __clang_analyzer__ /* as wr_err_set in workloads.h */
#define yerr(...) (yerr(__VA_ARGS__), WR_EINPUT)
#endif

/* Short description of a node's type for messages ("a mapping", ...). */
const char *ytype(const yaml_node_t *n);

/* Scalar text of `n`, or NULL if it is not a scalar. */
const char *yscalar(const yaml_node_t *n);

/* Checks that `n` is a mapping whose keys are scalars, each in `allowed`
 * (a NULL-terminated list; NULL allows any) and none repeated.  `what`
 * names the mapping in messages ("conv", "input"). */
int ymap_check(ydoc *d, yaml_node_t *n, const char *const *allowed,
               const char *what, wr_err *e);

/* Value of `key` in mapping `map`, or NULL. */
yaml_node_t *ymap_get(ydoc *d, yaml_node_t *map, const char *key);

/* Integer scalar in [lo, hi]. */
int yint(ydoc *d, yaml_node_t *n, int64_t lo, int64_t hi, const char *field,
         int64_t *out, wr_err *e);
/* Finite real scalar in [lo, hi]. */
int yreal(ydoc *d, yaml_node_t *n, double lo, double hi, const char *field,
          double *out, wr_err *e);
/* true/false (also yes/no, on/off). */
int ybool(ydoc *d, yaml_node_t *n, const char *field, int *out, wr_err *e);
/* Non-empty scalar string (borrowed from the document). */
int ystr(ydoc *d, yaml_node_t *n, const char *field, const char **out,
         wr_err *e);

/* Where child i of the list or mapping `parent` is written: item i of a
 * list; the key (even i) or value (odd i) of pair i / 2 of a mapping.  For
 * a child written as an alias (*name) that is the alias, not the anchored
 * node the document shares.  Falls back to the child's own position. */
yaml_mark_t yref_mark(ydoc *d, const yaml_node_t *parent, int i);
/* 1 if child i of `parent` is written as an alias.  Can't fail. */
int yref_is_alias(ydoc *d, const yaml_node_t *parent, int i);
/* yerr at child i of `parent` as yref_mark places it. */
int yerr_ref(ydoc *d, const yaml_node_t *parent, int i, wr_err *e,
             const char *fmt, ...) __attribute__((format(printf, 5, 6)));

/* Number of items of a sequence node (0 for other nodes). */
int yseq_len(const yaml_node_t *n);
yaml_node_t *yseq_at(ydoc *d, yaml_node_t *n, int i);

#endif
