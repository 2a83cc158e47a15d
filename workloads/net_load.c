/*
 * net_load.c — the YAML workload loader: reads the format of
 * docs/workloads.md into the network IR, expanding blocks and repeats,
 * resolving layer references and $parameters, and naming file:line:col for
 * every problem.  Shape inference is net.c's job (wr_net_widen).
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "net_internal.h"
#include "workloads.h"
#include "yaml_util.h"

enum { MAX_LAYERS = 100000, MAX_DEPTH = 16 };
/* Size limits that keep every derived count far from overflow. */
#define MAX_CHANNELS (1 << 20)
#define MAX_SPATIAL (1 << 16)
#define MAX_KERNEL (1 << 12)

typedef struct entry {
  const char *local; /* borrowed from the document or the layer name */
  int index;
} entry;

typedef struct scope {
  const char *prefix; /* "" at top level */
  const char *sep;    /* joins prefix and local names: "." or the
                         block layer's 'sep' */
  int in_index;       /* $in */
  int last;           /* the layer the next one reads by default */
  int top;            /* top level: $in is not defined, full names resolve */
  int block_limit;    /* blocks usable here: index < block_limit */
  const char **env_names;
  yaml_node_t **env_vals;
  int n_env;
  entry *entries;
  int n_entries, cap_entries;
  int counter; /* for automatic names */
} scope;

typedef struct block_def {
  const char *name;
  yaml_node_t *node, *params, *layers;
} block_def;

/* Full layer names -> layer indices (open addressing, FNV-1a), so that
 * duplicate checks and lookups by full name stay linear in the layer
 * count: blocks repeated inside blocks reach MAX_LAYERS from a few lines,
 * and a scan of every layer per new layer took minutes there. */
typedef struct name_index {
  int *slots; /* layer index + 1; 0 = empty */
  size_t cap; /* a power of two, or 0 */
} name_index;

typedef struct loader {
  ydoc *d;
  wr_err *e;
  wr_net *net;
  name_index names;
  int cap_layers;
  yaml_node_t *defaults;
  block_def *blocks;
  int n_blocks;
  int depth;
} loader;

/* Resolves "$param" through the scope's environment; other nodes are
 * returned as they are.  NULL with the error set for an unknown name. */
static yaml_node_t *resolve(loader *L, scope *sc, yaml_node_t *n) {
  const char *s = yscalar(n);
  if (!s || s[0] != '$' || strcmp(s, "$in") == 0)
    return n;
  for (int i = 0; i < sc->n_env; i++)
    if (strcmp(sc->env_names[i], s + 1) == 0)
      return sc->env_vals[i];
  yerr(L->d, n, L->e, "unknown parameter '%s'%s", s,
       sc->top ? " (parameters exist only inside blocks)" : "");
  return NULL;
}

/* A field of a layer's kind mapping, falling back to `defaults:`. */
static yaml_node_t *field(loader *L, scope *sc, yaml_node_t *map,
                          const char *kind, const char *key, int *fail) {
  yaml_node_t *n = ymap_get(L->d, map, key);
  if (!n && L->defaults)
    n = ymap_get(L->d, ymap_get(L->d, L->defaults, kind), key);
  if (!n)
    return NULL;
  n = resolve(L, sc, n);
  if (!n)
    *fail = 1;
  return n;
}

static int valid_name(const char *s) {
  if (!*s)
    return 0;
  for (; *s; s++)
    if (!isalnum((unsigned char)*s) && *s != '_' && *s != '-' && *s != '.')
      return 0;
  return 1;
}

static size_t name_hash(const char *s) {
  uint64_t h = 1469598103934665603ull;
  for (; *s; s++)
    h = (h ^ (unsigned char)*s) * 1099511628211ull;
  return (size_t)h;
}

/* Index of the layer named `name`, or -1. */
static int names_find(const loader *L, const char *name) {
  const name_index *x = &L->names;
  if (!x->cap)
    return -1;
  for (size_t i = name_hash(name) & (x->cap - 1);; i = (i + 1) & (x->cap - 1)) {
    int v = x->slots[i];
    if (!v)
      return -1;
    if (strcmp(L->net->layers[v - 1].name, name) == 0)
      return v - 1;
  }
}

/* Adds layer `index` (named) to the index, growing it at half full. */
static int names_add(loader *L, int index) {
  name_index *x = &L->names;
  if ((size_t)L->net->n_layers * 2 > x->cap) {
    size_t cap = x->cap ? x->cap * 2 : 256;
    int *ns = calloc(cap, sizeof *ns);
    if (!ns)
      return wr_err_set(L->e, WR_ENOMEM, "out of memory");
    for (size_t j = 0; j < x->cap; j++) {
      int v = x->slots[j];
      if (!v)
        continue;
      size_t i = name_hash(L->net->layers[v - 1].name) & (cap - 1);
      while (ns[i])
        i = (i + 1) & (cap - 1);
      ns[i] = v;
    }
    free(x->slots);
    x->slots = ns;
    x->cap = cap;
  }
  size_t i = name_hash(L->net->layers[index].name) & (x->cap - 1);
  while (x->slots[i])
    i = (i + 1) & (x->cap - 1);
  x->slots[i] = index + 1;
  return WR_OK;
}

static int scope_add(loader *L, scope *sc, const char *local, int index) {
  if (sc->n_entries == sc->cap_entries) {
    int cap = sc->cap_entries ? sc->cap_entries * 2 : 16;
    entry *ne = realloc(sc->entries, (size_t)cap * sizeof *ne);
    if (!ne)
      return wr_err_set(L->e, WR_ENOMEM, "out of memory");
    sc->entries = ne;
    sc->cap_entries = cap;
  }
  sc->entries[sc->n_entries].local = local;
  sc->entries[sc->n_entries].index = index;
  sc->n_entries++;
  return WR_OK;
}

/* Layer index for a reference written at node `n`; -2 with the error set
 * when it names nothing. */
static int lookup_ref(loader *L, scope *sc, yaml_node_t *n) {
  n = resolve(L, sc, n);
  if (!n)
    return -2;
  const char *s = yscalar(n);
  if (!s || !*s) {
    yerr(L->d, n, L->e, "expected a layer name, got %s", ytype(n));
    return -2;
  }
  if (strcmp(s, "$in") == 0) {
    if (sc->top) {
      yerr(L->d, n, L->e, "'$in' is only defined inside a block");
      return -2;
    }
    return sc->in_index;
  }
  for (int i = sc->n_entries - 1; i >= 0; i--)
    if (strcmp(sc->entries[i].local, s) == 0)
      return sc->entries[i].index;
  if (sc->top) {
    if (strcmp(s, "input") == 0)
      return WR_NET_INPUT;
    int idx = names_find(L, s);
    if (idx >= 0)
      return idx;
  }
  yerr(L->d, n, L->e,
       "unknown layer '%s' (a layer can only read layers written before it%s)",
       s, sc->top ? "" : " in the same block, or $in");
  return -2;
}

static wr_layer *new_layer(loader *L, yaml_node_t *site) {
  wr_net *net = L->net;
  if (net->n_layers >= MAX_LAYERS) {
    yerr(L->d, site, L->e, "network has more than %d layers", MAX_LAYERS);
    return NULL;
  }
  if (net->n_layers == L->cap_layers) {
    int cap = L->cap_layers ? L->cap_layers * 2 : 64;
    wr_layer *nl = realloc(net->layers, (size_t)cap * sizeof *nl);
    if (!nl) {
      wr_err_set(L->e, WR_ENOMEM, "out of memory");
      return NULL;
    }
    net->layers = nl;
    L->cap_layers = cap;
  }
  wr_layer *l = &net->layers[net->n_layers];
  memset(l, 0, sizeof *l);
  l->line = (int)site->start_mark.line + 1;
  l->col = (int)site->start_mark.column + 1;
  l->kh = l->kw = l->sh = l->sw = l->dh = l->dw = 1;
  l->groups = 1;
  l->eps = 1e-5;
  net->n_layers++;
  return l;
}

static char *join_name(const char *prefix, const char *sep, const char *local) {
  size_t a = strlen(prefix), b = strlen(local), c = a ? strlen(sep) : 0;
  char *s = malloc(a + b + c + 1);
  if (!s)
    return NULL;
  snprintf(s, a + b + c + 1, "%s%s%s", prefix, a ? sep : "", local);
  return s;
}

/* Reads an int or a pair [a, b] into a and b. */
static int read_pair(loader *L, scope *sc, yaml_node_t *n, const char *what,
                     int64_t lo, int64_t hi, int *a, int *b) {
  int64_t v0 = 0, v1 = 0;
  if (n->type == YAML_SEQUENCE_NODE) {
    if (yseq_len(n) != 2)
      return yerr(L->d, n, L->e, "%s: expected a number or a pair [h, w]",
                  what);
    yaml_node_t *x = resolve(L, sc, yseq_at(L->d, n, 0));
    yaml_node_t *y = resolve(L, sc, yseq_at(L->d, n, 1));
    if (!x || !y)
      return WR_EINPUT;
    if (yint(L->d, x, lo, hi, what, &v0, L->e) ||
        yint(L->d, y, lo, hi, what, &v1, L->e))
      return WR_EINPUT;
  } else {
    if (yint(L->d, n, lo, hi, what, &v0, L->e))
      return WR_EINPUT;
    v1 = v0;
  }
  *a = (int)v0;
  *b = (int)v1;
  return WR_OK;
}

static int read_pad(loader *L, scope *sc, yaml_node_t *n, wr_layer *l,
                    const char *what) {
  const char *s = yscalar(n);
  if (s && strcmp(s, "same") == 0) {
    l->pad_same = 1;
    return WR_OK;
  }
  if (s && strcmp(s, "valid") == 0)
    return WR_OK;
  if (n->type == YAML_SEQUENCE_NODE && yseq_len(n) == 4) {
    int *dst[4] = {&l->pad_t, &l->pad_b, &l->pad_l, &l->pad_r};
    for (int i = 0; i < 4; i++) {
      int64_t v;
      yaml_node_t *x = resolve(L, sc, yseq_at(L->d, n, i));
      if (!x || yint(L->d, x, 0, MAX_KERNEL, what, &v, L->e))
        return WR_EINPUT;
      *dst[i] = (int)v;
    }
    return WR_OK;
  }
  if (n->type == YAML_SEQUENCE_NODE && yseq_len(n) != 2)
    return yerr(L->d, n, L->e,
                "%s: expected a number, [h, w], [top, bottom, left, right], "
                "same or valid",
                what);
  int ph, pw;
  if (read_pair(L, sc, n, what, 0, MAX_KERNEL, &ph, &pw))
    return WR_EINPUT;
  l->pad_t = l->pad_b = ph;
  l->pad_l = l->pad_r = pw;
  return WR_OK;
}

/* A reader of a layer kind's mapping `m`, already checked against the
 * kind's keys: `kind` is its YAML key, `what` names the layer in messages
 * ("conv 'conv1'"); fields are looked up through field(), which falls
 * back on `defaults:`. */
typedef int (*kind_reader)(loader *L, scope *sc, wr_layer *l, yaml_node_t *m,
                           const char *kind, const char *what);

#define FIELD(key) field(L, sc, m, kind, key, &fail)
#define SUB(fieldname)                                                         \
  (snprintf(fw, sizeof fw, "%s '%s' field '%s'", kind, l->name, fieldname), fw)

/* 'out' and 'bias', the fields conv and fc share. */
static int read_out_bias(loader *L, scope *sc, wr_layer *l, yaml_node_t *m,
                         const char *kind) {
  char fw[200];
  int fail = 0, bias = 1;
  int64_t v;
  yaml_node_t *n = FIELD("out");
  if (fail)
    return WR_EINPUT;
  if (n) {
    if (yint(L->d, n, 1, MAX_CHANNELS, SUB("out"), &v, L->e))
      return WR_EINPUT;
    l->out_base = v;
  }
  n = FIELD("bias");
  if (fail || (n && ybool(L->d, n, SUB("bias"), &bias, L->e)))
    return WR_EINPUT;
  l->bias = bias;
  return WR_OK;
}

static int read_conv(loader *L, scope *sc, wr_layer *l, yaml_node_t *m,
                     const char *kind, const char *what) {
  char fw[200];
  int fail = 0;
  int64_t v;
  if (read_out_bias(L, sc, l, m, kind))
    return WR_EINPUT;
  yaml_node_t *n = FIELD("groups");
  if (fail)
    return WR_EINPUT;
  if (n && yscalar(n) && strcmp(yscalar(n), "dw") == 0) {
    l->depthwise = 1;
    if (l->out_base)
      return yerr(L->d, ymap_get(L->d, m, "out"), L->e,
                  "%s: a depthwise conv (groups: dw) has one filter per "
                  "input channel; leave 'out' out",
                  SUB("out"));
  } else if (n) {
    if (yint(L->d, n, 1, MAX_CHANNELS, SUB("groups"), &v, L->e))
      return WR_EINPUT;
    l->groups = (int)v;
  }
  if (!l->depthwise && !l->out_base)
    return yerr(L->d, m, L->e, "%s: missing field 'out'", what);
  n = FIELD("k");
  if (fail)
    return WR_EINPUT;
  if (!n)
    return yerr(L->d, m, L->e, "%s: missing field 'k' (kernel size)", what);
  if (read_pair(L, sc, n, SUB("k"), 1, MAX_KERNEL, &l->kh, &l->kw))
    return WR_EINPUT;
  n = FIELD("stride");
  if (fail ||
      (n && read_pair(L, sc, n, SUB("stride"), 1, MAX_KERNEL, &l->sh, &l->sw)))
    return WR_EINPUT;
  n = FIELD("dilation");
  if (fail || (n && read_pair(L, sc, n, SUB("dilation"), 1, MAX_KERNEL, &l->dh,
                              &l->dw)))
    return WR_EINPUT;
  n = FIELD("pad");
  if (fail || (n && read_pad(L, sc, n, l, SUB("pad"))))
    return WR_EINPUT;
  return WR_OK;
}

static int read_fc(loader *L, scope *sc, wr_layer *l, yaml_node_t *m,
                   const char *kind, const char *what) {
  if (read_out_bias(L, sc, l, m, kind))
    return WR_EINPUT;
  if (!l->out_base)
    return yerr(L->d, m, L->e, "%s: missing field 'out'", what);
  return WR_OK;
}

/* maxpool and avgpool. */
static int read_pool(loader *L, scope *sc, wr_layer *l, yaml_node_t *m,
                     const char *kind, const char *what) {
  char fw[200];
  int fail = 0, b = 0;
  yaml_node_t *n = FIELD("global");
  if (fail || (n && ybool(L->d, n, SUB("global"), &b, L->e)))
    return WR_EINPUT;
  l->global = b;
  n = FIELD("k");
  if (fail)
    return WR_EINPUT;
  if (l->global && ymap_get(L->d, m, "k"))
    return yerr(L->d, n, L->e, "%s: a global pool takes no kernel size",
                SUB("k"));
  if (!l->global && !n)
    return yerr(L->d, m, L->e, "%s: missing field 'k' (or global: true)", what);
  if (l->global)
    return WR_OK;
  if (read_pair(L, sc, n, SUB("k"), 1, MAX_KERNEL, &l->kh, &l->kw))
    return WR_EINPUT;
  l->sh = l->kh;
  l->sw = l->kw;
  n = FIELD("stride");
  if (fail ||
      (n && read_pair(L, sc, n, SUB("stride"), 1, MAX_KERNEL, &l->sh, &l->sw)))
    return WR_EINPUT;
  n = FIELD("pad");
  if (fail || (n && read_pad(L, sc, n, l, SUB("pad"))))
    return WR_EINPUT;
  n = FIELD("ceil");
  if (fail || (n && ybool(L->d, n, SUB("ceil"), &b, L->e)))
    return WR_EINPUT;
  l->ceil_mode = n ? b : 0;
  return WR_OK;
}

static int read_bn(loader *L, scope *sc, wr_layer *l, yaml_node_t *m,
                   const char *kind, const char *what) {
  char fw[200];
  int fail = 0;
  (void)what;
  yaml_node_t *n = FIELD("eps");
  if (fail || (n && yreal(L->d, n, 1e-12, 1.0, SUB("eps"), &l->eps, L->e)))
    return WR_EINPUT;
  return WR_OK;
}

/* add and concat: the 'inputs' list (never taken from `defaults:`). */
static int read_inputs(loader *L, scope *sc, wr_layer *l, yaml_node_t *m,
                       const char *kind, const char *what) {
  (void)kind;
  yaml_node_t *n = ymap_get(L->d, m, "inputs");
  if (!n)
    return yerr(L->d, m, L->e, "%s: missing field 'inputs'", what);
  int cnt = yseq_len(n);
  if (n->type != YAML_SEQUENCE_NODE || cnt < 2)
    return yerr(L->d, n, L->e,
                "%s: 'inputs' must be a list of at least two layer names",
                what);
  l->inputs = malloc((size_t)cnt * sizeof *l->inputs);
  if (!l->inputs)
    return wr_err_set(L->e, WR_ENOMEM, "out of memory");
  for (int i = 0; i < cnt; i++) {
    int idx = lookup_ref(L, sc, yseq_at(L->d, n, i));
    if (idx < -1)
      return WR_EINPUT;
    l->inputs[i] = idx;
  }
  l->n_inputs = cnt;
  return WR_OK;
}
#undef SUB
#undef FIELD

static const char *const conv_fields[] = {"out",      "k",      "stride", "pad",
                                          "dilation", "groups", "bias",   NULL};
static const char *const fc_fields[] = {"out", "bias", NULL};
static const char *const pool_fields[] = {"k",    "stride", "pad",
                                          "ceil", "global", NULL};
static const char *const bn_fields[] = {"eps", NULL};
static const char *const no_fields[] = {NULL};
static const char *const inputs_fields[] = {"inputs", NULL};

/* A layer kind as the loader reads it (its YAML key is wr_kind_name). */
typedef struct kind_def {
  wr_kind kind;
  int reads_inputs;          /* reads an 'inputs' list, not 'input' */
  const char *const *fields; /* the keys its mapping may have */
  kind_reader read;          /* NULL: it has no fields */
} kind_def;

static const kind_def kind_defs[] = {
    {WR_CONV, 0, conv_fields, read_conv},
    {WR_FC, 0, fc_fields, read_fc},
    {WR_MAXPOOL, 0, pool_fields, read_pool},
    {WR_AVGPOOL, 0, pool_fields, read_pool},
    {WR_BN, 0, bn_fields, read_bn},
    {WR_ACT, 0, no_fields, NULL},
    {WR_ADD, 1, inputs_fields, read_inputs},
    {WR_CONCAT, 1, inputs_fields, read_inputs},
    {WR_SOFTMAX, 0, no_fields, NULL},
};
#define N_KIND_DEFS (sizeof kind_defs / sizeof kind_defs[0])

/* The layer kind whose YAML key is `key`, or NULL (also for the block and
 * repeat keys, which are not layer kinds). */
static const kind_def *kind_find(const char *key) {
  for (size_t i = 0; i < N_KIND_DEFS; i++)
    if (strcmp(wr_kind_name(kind_defs[i].kind), key) == 0)
      return &kind_defs[i];
  return NULL;
}

/* Reads the kind mapping `m` of layer l, of kind `k` (YAML key `kind`). */
static int read_kind(loader *L, scope *sc, wr_layer *l, yaml_node_t *m,
                     const kind_def *k, const char *kind) {
  char what[160];
  snprintf(what, sizeof what, "%s '%s'", kind, l->name);
  /* `bn: ~` and `act:` (empty) mean no fields */
  if (m->type == YAML_SCALAR_NODE && yscalar(m)[0] == '\0')
    return k->reads_inputs ? yerr(L->d, m, L->e, "%s: needs 'inputs'", what)
                           : WR_OK;
  if (ymap_check(L->d, m, k->fields, what, L->e))
    return WR_EINPUT;
  return k->read ? k->read(L, sc, l, m, kind, what) : WR_OK;
}

static int load_layers(loader *L, scope *sc, yaml_node_t *list,
                       const char *what);

static block_def *find_block(loader *L, scope *sc, yaml_node_t *n) {
  const char *s = yscalar(n);
  if (!s || !*s) {
    yerr(L->d, n, L->e, "expected a block name, got %s", ytype(n));
    return NULL;
  }
  for (int i = 0; i < L->n_blocks; i++) {
    if (strcmp(L->blocks[i].name, s) != 0)
      continue;
    if (i >= sc->block_limit) {
      yerr(L->d, n, L->e,
           "block '%s' is used inside itself or before it is defined", s);
      return NULL;
    }
    return &L->blocks[i];
  }
  yerr(L->d, n, L->e, "unknown block '%s'", s);
  return NULL;
}

/* Expands one instance of block `b` named `full` (e.g. "layer1.0") reading
 * `in_index`, with `args` (a mapping or NULL) resolved in `parent`.
 * Returns the index of the instance's last layer, or -2 on error. */
static int expand_block(loader *L, scope *parent, block_def *b,
                        yaml_node_t *args, const char *full, const char *sep,
                        int in_index, yaml_node_t *site) {
  scope sc;
  int result = -2;
  memset(&sc, 0, sizeof sc);
  if (L->depth >= MAX_DEPTH) {
    yerr(L->d, site, L->e, "blocks nested more than %d deep", MAX_DEPTH);
    return -2;
  }
  sc.prefix = full;
  sc.sep = sep;
  sc.in_index = in_index;
  sc.last = in_index;
  sc.block_limit = (int)(b - L->blocks);
  if (args && ymap_check(L->d, args, NULL, "args", L->e))
    return -2;
  int np = b->params ? (b->params->type == YAML_SEQUENCE_NODE
                            ? yseq_len(b->params)
                            : (int)(b->params->data.mapping.pairs.top -
                                    b->params->data.mapping.pairs.start))
                     : 0;
  sc.env_names = calloc((size_t)np + 1, sizeof *sc.env_names);
  sc.env_vals = calloc((size_t)np + 1, sizeof *sc.env_vals);
  if (!sc.env_names || !sc.env_vals) {
    wr_err_set(L->e, WR_ENOMEM, "out of memory");
    goto done;
  }
  for (int i = 0; i < np; i++) {
    yaml_node_t *pn, *def = NULL;
    if (b->params->type == YAML_SEQUENCE_NODE) {
      pn = yseq_at(L->d, b->params, i);
    } else {
      yaml_node_pair_t *p = b->params->data.mapping.pairs.start + i;
      pn = ydoc_node(L->d, p->key);
      def = ydoc_node(L->d, p->value);
    }
    const char *pname = yscalar(pn);
    yaml_node_t *val = ymap_get(L->d, args, pname);
    if (val) {
      val = resolve(L, parent, val);
      if (!val)
        goto done;
    } else if (def) {
      val = def;
    } else {
      yerr(L->d, site, L->e, "block '%s' needs argument '%s'", b->name, pname);
      goto done;
    }
    sc.env_names[sc.n_env] = pname;
    sc.env_vals[sc.n_env] = val;
    sc.n_env++;
  }
  if (args) {
    for (yaml_node_pair_t *p = args->data.mapping.pairs.start;
         p < args->data.mapping.pairs.top; p++) {
      yaml_node_t *k = ydoc_node(L->d, p->key);
      int known = 0;
      for (int i = 0; i < sc.n_env && !known; i++)
        known = strcmp(sc.env_names[i], yscalar(k)) == 0;
      if (!known) {
        yerr(L->d, k, L->e, "block '%s' has no parameter '%s'", b->name,
             yscalar(k));
        goto done;
      }
    }
  }
  L->depth++;
  char what[256];
  snprintf(what, sizeof what, "block '%s'", b->name);
  int rc = load_layers(L, &sc, b->layers, what);
  L->depth--;
  if (rc == WR_OK)
    result = sc.last;
done:
  free(sc.env_names);
  free(sc.env_vals);
  free(sc.entries);
  return result;
}

static int read_repeat_segment(loader *L, scope *sc, yaml_node_t *seg,
                               const char *name, int *instance, int *last) {
  static const char *const keys[] = {"block", "times", "args", NULL};
  if (ymap_check(L->d, seg, keys, "repeat", L->e))
    return WR_EINPUT;
  yaml_node_t *bn = ymap_get(L->d, seg, "block");
  if (!bn)
    return yerr(L->d, seg, L->e, "repeat: missing field 'block'");
  block_def *b = find_block(L, sc, resolve(L, sc, bn));
  if (!b)
    return WR_EINPUT;
  int64_t times = 1;
  yaml_node_t *tn = ymap_get(L->d, seg, "times");
  if (tn) {
    tn = resolve(L, sc, tn);
    if (!tn || yint(L->d, tn, 1, 10000, "repeat field 'times'", &times, L->e))
      return WR_EINPUT;
  }
  yaml_node_t *args = ymap_get(L->d, seg, "args");
  for (int64_t t = 0; t < times; t++) {
    char full[512];
    snprintf(full, sizeof full, "%s.%d", name, *instance);
    (*instance)++;
    int idx = expand_block(L, sc, b, args, full, ".", *last, seg);
    if (idx < -1)
      return WR_EINPUT;
    *last = idx;
  }
  return WR_OK;
}

/* Index of the pair whose key is `key` in mapping `map`, or -1. */
static int pair_index(ydoc *d, yaml_node_t *map, const char *key) {
  for (yaml_node_pair_t *q = map->data.mapping.pairs.start;
       q < map->data.mapping.pairs.top; q++) {
    const char *k = yscalar(ydoc_node(d, q->key));
    if (k && strcmp(k, key) == 0)
      return (int)(q - map->data.mapping.pairs.start);
  }
  return -1;
}

/* A duplicate layer name `full`, reported where the duplicate is written:
 * at the alias when item i of `list` (or its name) is an alias (*anchor)
 * of one written earlier, else at its name node nn (or the item). */
static int duplicate_layer(loader *L, yaml_node_t *list, int i,
                           yaml_node_t *item, yaml_node_t *nn,
                           const char *full) {
  int np = pair_index(L->d, item, "name");
  if (yref_is_alias(L->d, list, i))
    return yerr_ref(L->d, list, i, L->e, "duplicate layer name '%s'", full);
  if (np >= 0 && yref_is_alias(L->d, item, 2 * np + 1))
    return yerr_ref(L->d, item, 2 * np + 1, L->e, "duplicate layer name '%s'",
                    full);
  return yerr(L->d, nn ? nn : item, L->e, "duplicate layer name '%s'", full);
}

/* Loads item i of the layers list `list`. */
static int load_layer(loader *L, scope *sc, yaml_node_t *list, int i_item) {
  static const char *const base_keys[] = {"name", "input", "args", "sep", NULL};
  yaml_node_t *item = yseq_at(L->d, list, i_item);
  if (item->type != YAML_MAPPING_NODE)
    return yerr(L->d, item, L->e, "a layer must be a mapping, got %s",
                ytype(item));
  if (ymap_check(L->d, item, NULL, "layer", L->e))
    return WR_EINPUT;
  const char *kind = NULL;
  yaml_node_t *kind_node = NULL, *kind_key = NULL;
  for (yaml_node_pair_t *p = item->data.mapping.pairs.start;
       p < item->data.mapping.pairs.top; p++) {
    yaml_node_t *k = ydoc_node(L->d, p->key);
    const char *key = yscalar(k);
    int is_kind = kind_find(key) || strcmp(key, "block") == 0 ||
                  strcmp(key, "repeat") == 0;
    int is_base = 0;
    for (int i = 0; base_keys[i]; i++)
      is_base |= strcmp(base_keys[i], key) == 0;
    if (!is_kind && !is_base)
      return yerr(L->d, k, L->e,
                  "unknown layer type '%s' (expected one of: conv, fc, "
                  "maxpool, avgpool, bn, act, add, concat, softmax, block, "
                  "repeat)",
                  key);
    if (is_kind) {
      if (kind)
        return yerr(L->d, k, L->e, "a layer has one type, got '%s' and '%s'",
                    kind, key);
      kind = key;
      kind_key = k;
      kind_node = ydoc_node(L->d, p->value);
    }
  }
  if (!kind)
    return yerr(L->d, item, L->e,
                "layer has no type (one of: conv, fc, maxpool, avgpool, bn, "
                "act, add, concat, softmax, block, repeat)");
  int is_block = strcmp(kind, "block") == 0;
  int is_repeat = strcmp(kind, "repeat") == 0;
  yaml_node_t *args = ymap_get(L->d, item, "args");
  if (args && !is_block)
    return yerr(L->d, args, L->e, "'args' belongs to a 'block' layer");
  const char *sep = ".";
  yaml_node_t *sep_node = ymap_get(L->d, item, "sep");
  if (sep_node) {
    if (!is_block)
      return yerr(L->d, sep_node, L->e, "'sep' belongs to a 'block' layer");
    sep = yscalar(sep_node);
    if (!sep || (strcmp(sep, ".") != 0 && strcmp(sep, "_") != 0 &&
                 strcmp(sep, "-") != 0))
      return yerr(L->d, sep_node, L->e,
                  "sep: expected '.', '_' or '-', got %s%s%s", sep ? "'" : "",
                  sep ? sep : ytype(sep_node), sep ? "'" : "");
  }

  /* the name: given, or kind + position */
  char autoname[64];
  const char *local;
  yaml_node_t *nn = ymap_get(L->d, item, "name");
  sc->counter++;
  if (nn) {
    nn = resolve(L, sc, nn);
    if (!nn || ystr(L->d, nn, "name", &local, L->e))
      return WR_EINPUT;
    if (!valid_name(local) || strcmp(local, "input") == 0)
      return yerr(L->d, nn, L->e,
                  "name '%s': use letters, digits, '_', '-' and '.' "
                  "('input' is reserved)",
                  local);
  } else {
    if (is_block || is_repeat)
      return yerr(L->d, item, L->e, "a %s layer needs a name", kind);
    snprintf(autoname, sizeof autoname, "%s%d", kind, sc->counter);
    local = autoname;
  }
  char *full = join_name(sc->prefix, sc->sep, local);
  if (!full)
    return wr_err_set(L->e, WR_ENOMEM, "out of memory");
  if (names_find(L, full) >= 0) {
    int rc = duplicate_layer(L, list, i_item, item, nn, full);
    free(full);
    return rc;
  }
  int in_index = sc->last;
  yaml_node_t *in_node = ymap_get(L->d, item, "input");
  if (in_node) {
    in_index = lookup_ref(L, sc, in_node);
    if (in_index < -1) {
      free(full);
      return WR_EINPUT;
    }
  }

  if (is_block || is_repeat) {
    int last = in_index, instance = 0, rc = WR_OK;
    if (is_block) {
      block_def *b = find_block(L, sc, resolve(L, sc, kind_node));
      last = b ? expand_block(L, sc, b, args, full, sep, in_index, item) : -2;
      rc = last < -1 ? WR_EINPUT : WR_OK;
    } else if (kind_node->type == YAML_SEQUENCE_NODE) {
      if (yseq_len(kind_node) == 0)
        rc = yerr(L->d, kind_node, L->e, "repeat: empty list of segments");
      for (int i = 0; rc == WR_OK && i < yseq_len(kind_node); i++)
        rc = read_repeat_segment(L, sc, yseq_at(L->d, kind_node, i), full,
                                 &instance, &last);
    } else {
      rc = read_repeat_segment(L, sc, kind_node, full, &instance, &last);
    }
    free(full);
    if (rc)
      return rc;
    if (last == in_index)
      return yerr(L->d, kind_key, L->e, "%s adds no layers", kind);
    if (scope_add(L, sc, local, last))
      return WR_ENOMEM;
    sc->last = last;
    return WR_OK;
  }

  wr_layer *l = new_layer(L, kind_key);
  if (!l) {
    free(full);
    return L->e->status;
  }
  l->name = full;
  if (names_add(L, L->net->n_layers - 1))
    return WR_ENOMEM;
  const kind_def *kd = kind_find(kind); /* not block or repeat: a kind */
  l->kind = kd->kind;
  int index = L->net->n_layers - 1;
  if (kd->reads_inputs) {
    if (in_node)
      return yerr(L->d, in_node, L->e,
                  "%s '%s' reads its 'inputs' list, not 'input'", kind,
                  l->name);
  } else {
    l->inputs = malloc(sizeof *l->inputs);
    if (!l->inputs)
      return wr_err_set(L->e, WR_ENOMEM, "out of memory");
    l->inputs[0] = in_index;
    l->n_inputs = 1;
  }
  if (read_kind(L, sc, l, kind_node, kd, kind))
    return WR_EINPUT;
  /* the local name lives in the layer's full name */
  if (scope_add(L, sc, l->name + strlen(l->name) - strlen(local), index))
    return WR_ENOMEM;
  sc->last = index;
  return WR_OK;
}

static int load_layers(loader *L, scope *sc, yaml_node_t *list,
                       const char *what) {
  if (!list || list->type != YAML_SEQUENCE_NODE || yseq_len(list) == 0)
    return yerr(L->d, list, L->e, "%s: 'layers' must be a non-empty list",
                what);
  for (int i = 0; i < yseq_len(list); i++)
    if (load_layer(L, sc, list, i))
      return L->e->status ? L->e->status : WR_EINPUT;
  return WR_OK;
}

static int load_blocks(loader *L, yaml_node_t *blocks) {
  static const char *const keys[] = {"params", "layers", NULL};
  if (ymap_check(L->d, blocks, NULL, "blocks", L->e))
    return WR_EINPUT;
  int n =
      (int)(blocks->data.mapping.pairs.top - blocks->data.mapping.pairs.start);
  L->blocks = calloc((size_t)n + 1, sizeof *L->blocks);
  if (!L->blocks)
    return wr_err_set(L->e, WR_ENOMEM, "out of memory");
  for (int i = 0; i < n; i++) {
    yaml_node_pair_t *p = blocks->data.mapping.pairs.start + i;
    block_def *b = &L->blocks[i];
    b->name = yscalar(ydoc_node(L->d, p->key));
    b->node = ydoc_node(L->d, p->value);
    char what[160];
    snprintf(what, sizeof what, "block '%s'", b->name);
    if (ymap_check(L->d, b->node, keys, what, L->e))
      return WR_EINPUT;
    b->params = ymap_get(L->d, b->node, "params");
    b->layers = ymap_get(L->d, b->node, "layers");
    if (!b->layers)
      return yerr(L->d, b->node, L->e, "%s: missing field 'layers'", what);
    if (b->params && b->params->type == YAML_SEQUENCE_NODE) {
      for (int j = 0; j < yseq_len(b->params); j++) {
        yaml_node_t *pn = yseq_at(L->d, b->params, j);
        const char *s = yscalar(pn);
        if (!s || !valid_name(s) || strcmp(s, "in") == 0)
          return yerr(L->d, pn, L->e,
                      "%s: parameter names are plain names (not 'in')", what);
      }
    } else if (b->params) {
      snprintf(what, sizeof what, "block '%s' params", b->name);
      if (ymap_check(L->d, b->params, NULL, what, L->e))
        return WR_EINPUT;
    }
    L->n_blocks++;
  }
  return WR_OK;
}

static int load_input(loader *L, yaml_node_t *in) {
  static const char *const keys[] = {"shape", "mean", "std", NULL};
  wr_net *net = L->net;
  if (ymap_check(L->d, in, keys, "input", L->e))
    return WR_EINPUT;
  yaml_node_t *shape = ymap_get(L->d, in, "shape");
  if (!shape || shape->type != YAML_SEQUENCE_NODE || yseq_len(shape) != 3)
    return yerr(L->d, shape ? shape : in, L->e,
                "input: 'shape' must be [channels, height, width]");
  int64_t v[3];
  const int64_t hi[3] = {MAX_CHANNELS, MAX_SPATIAL, MAX_SPATIAL};
  for (int i = 0; i < 3; i++)
    if (yint(L->d, yseq_at(L->d, shape, i), 1, hi[i], "input shape", &v[i],
             L->e))
      return WR_EINPUT;
  net->input.c = v[0];
  net->input.h = v[1];
  net->input.w = v[2];
  const char *names[2] = {"mean", "std"};
  double **dst[2] = {&net->mean, &net->std};
  for (int k = 0; k < 2; k++) {
    yaml_node_t *s = ymap_get(L->d, in, names[k]);
    if (!s)
      continue;
    if (s->type != YAML_SEQUENCE_NODE || yseq_len(s) != v[0])
      return yerr(L->d, s, L->e,
                  "input: '%s' must list one number per channel (%lld)",
                  names[k], (long long)v[0]);
    *dst[k] = malloc((size_t)v[0] * sizeof(double));
    if (!*dst[k])
      return wr_err_set(L->e, WR_ENOMEM, "out of memory");
    for (int i = 0; i < v[0]; i++)
      if (yreal(L->d, yseq_at(L->d, s, i), k ? 1e-9 : -1e9, 1e9, names[k],
                &(*dst[k])[i], L->e))
        return WR_EINPUT;
  }
  if (!net->mean != !net->std)
    return yerr(L->d, in, L->e, "input: give both 'mean' and 'std', or none");
  return WR_OK;
}

static int read_prec_node(loader *L, yaml_node_t *n, const char *what,
                          wr_prec *out) {
  const char *s = yscalar(n);
  if (!s)
    return yerr(L->d, n, L->e, "%s: expected A/W, got %s", what, ytype(n));
  wr_err sub;
  if (wr_prec_parse(s, what, out, &sub))
    return yerr(L->d, n, L->e, "%s", sub.msg);
  return WR_OK;
}

static int load_precision(loader *L, yaml_node_t *pn) {
  static const char *const keys[] = {"default", "fp32", "layers", NULL};
  wr_policy *p = &L->net->policy;
  if (ymap_check(L->d, pn, keys, "precision", L->e))
    return WR_EINPUT;
  yaml_node_t *n = ymap_get(L->d, pn, "default");
  if (n && read_prec_node(L, n, "precision default", &p->def))
    return WR_EINPUT;
  n = ymap_get(L->d, pn, "fp32");
  if (n) {
    if (n->type != YAML_SEQUENCE_NODE)
      return yerr(L->d, n, L->e,
                  "precision fp32: expected a list (first, last, or layer "
                  "name patterns), got %s",
                  ytype(n));
    p->fp32_first = p->fp32_last = 0;
    for (int i = 0; i < yseq_len(n); i++) {
      yaml_node_t *x = yseq_at(L->d, n, i);
      const char *s;
      if (ystr(L->d, x, "precision fp32", &s, L->e))
        return WR_EINPUT;
      if (strcmp(s, "first") == 0) {
        p->fp32_first = 1;
      } else if (strcmp(s, "last") == 0) {
        p->fp32_last = 1;
      } else {
        char **np =
            realloc(p->fp32_patterns, (p->n_fp32_patterns + 1) * sizeof *np);
        if (!np)
          return wr_err_set(L->e, WR_ENOMEM, "out of memory");
        p->fp32_patterns = np;
        np[p->n_fp32_patterns] = strdup(s);
        if (!np[p->n_fp32_patterns])
          return wr_err_set(L->e, WR_ENOMEM, "out of memory");
        p->n_fp32_patterns++;
      }
    }
  }
  n = ymap_get(L->d, pn, "layers");
  if (n) {
    if (ymap_check(L->d, n, NULL, "precision layers", L->e))
      return WR_EINPUT;
    for (yaml_node_pair_t *q = n->data.mapping.pairs.start;
         q < n->data.mapping.pairs.top; q++) {
      wr_prec pr = {0, 0};
      const char *pat = yscalar(ydoc_node(L->d, q->key));
      if (read_prec_node(L, ydoc_node(L->d, q->value), "precision layers",
                         &pr) ||
          wr_policy_add_rule(p, pat, pr, L->e))
        return L->e->status;
    }
  }
  return WR_OK;
}

/* Every name pattern of the precision section (node pn) must match a conv
 * or fc layer of the loaded network: a pattern that matches none does
 * nothing, and is most likely a typo. */
static int check_precision_patterns(loader *L, yaml_node_t *pn) {
  yaml_node_t *n = ymap_get(L->d, pn, "fp32");
  for (int i = 0; n && i < yseq_len(n); i++) {
    yaml_node_t *x = yseq_at(L->d, n, i);
    const char *pat = yscalar(x);
    if (pat && strcmp(pat, "first") != 0 && strcmp(pat, "last") != 0 &&
        !wr_net_pattern_matches(L->net, pat))
      return yerr(L->d, x, L->e,
                  "precision fp32: pattern '%s' matches no conv or fc layer",
                  pat);
  }
  n = ymap_get(L->d, pn, "layers");
  for (yaml_node_pair_t *q = n ? n->data.mapping.pairs.start : NULL;
       q && q < n->data.mapping.pairs.top; q++) {
    yaml_node_t *k = ydoc_node(L->d, q->key);
    const char *pat = yscalar(k);
    if (pat && !wr_net_pattern_matches(L->net, pat))
      return yerr(L->d, k, L->e,
                  "precision layers: pattern '%s' matches no conv or fc "
                  "layer",
                  pat);
  }
  return WR_OK;
}

static int load_net(loader *L) {
  static const char *const keys[] = {"name",      "source", "input",
                                     "defaults",  "blocks", "layers",
                                     "precision", NULL};
  ydoc *d = L->d;
  wr_net *net = L->net;
  yaml_node_t *root = ydoc_root(d);
  if (ymap_check(d, root, keys, "workload", L->e))
    return WR_EINPUT;
  const char *s;
  yaml_node_t *n = ymap_get(d, root, "name");
  if (!n)
    return yerr(d, root, L->e, "workload: missing field 'name'");
  if (ystr(d, n, "name", &s, L->e))
    return WR_EINPUT;
  if (!(net->name = strdup(s)))
    return wr_err_set(L->e, WR_ENOMEM, "out of memory");
  n = ymap_get(d, root, "source");
  if (n) {
    if (ystr(d, n, "source", &s, L->e))
      return WR_EINPUT;
    if (!(net->source = strdup(s)))
      return wr_err_set(L->e, WR_ENOMEM, "out of memory");
  }
  n = ymap_get(d, root, "input");
  if (!n)
    return yerr(d, root, L->e, "workload: missing field 'input'");
  if (load_input(L, n))
    return WR_EINPUT;
  n = ymap_get(d, root, "defaults");
  if (n) {
    static const char *const dk[] = {"conv",    "fc", "maxpool",
                                     "avgpool", "bn", NULL};
    if (ymap_check(d, n, dk, "defaults", L->e))
      return WR_EINPUT;
    for (int i = 0; dk[i]; i++) {
      yaml_node_t *m = ymap_get(d, n, dk[i]);
      if (m && ymap_check(d, m, NULL, dk[i], L->e))
        return WR_EINPUT;
    }
    L->defaults = n;
  }
  n = ymap_get(d, root, "blocks");
  if (n && load_blocks(L, n))
    return L->e->status;
  n = ymap_get(d, root, "precision");
  if (n && load_precision(L, n))
    return L->e->status;
  scope top;
  memset(&top, 0, sizeof top);
  top.prefix = "";
  top.sep = ".";
  top.in_index = WR_NET_INPUT;
  top.last = WR_NET_INPUT;
  top.top = 1;
  top.block_limit = L->n_blocks;
  n = ymap_get(d, root, "layers");
  if (!n) {
    return yerr(d, root, L->e, "workload: missing field 'layers'");
  }
  int rc = load_layers(L, &top, n, "workload");
  free(top.entries);
  if (rc)
    return rc;
  n = ymap_get(d, root, "precision");
  if (n && (rc = check_precision_patterns(L, n)))
    return rc;
  /* defaults given for a kind are checked against that kind's fields by
     the first layer that reads them; a default nobody reads is still
     checked here so a typo does not pass silently */
  for (size_t i = 0; L->defaults && i < N_KIND_DEFS; i++) {
    const char *kind = wr_kind_name(kind_defs[i].kind);
    yaml_node_t *m = ymap_get(d, L->defaults, kind);
    char what[64];
    snprintf(what, sizeof what, "defaults %s", kind);
    if (m && ymap_check(d, m, kind_defs[i].fields, what, L->e))
      return WR_EINPUT;
  }
  return WR_OK;
}

wr_net *wr_net_load_string(const char *text, size_t len, const char *file,
                           wr_err *e) {
  ydoc d;
  loader L;
  wr_err local;
  if (!e)
    e = &local;
  wr_err_clear(e);
  wr_net *net = calloc(1, sizeof *net);
  if (!net) {
    wr_err_set(e, WR_ENOMEM, "out of memory");
    return NULL;
  }
  net->policy.def.a_bits = net->policy.def.w_bits = WR_FP32_BITS;
  net->policy.fp32_first = net->policy.fp32_last = 1;
  net->width = 1.0;
  if (!(net->file = strdup(file))) {
    wr_err_set(e, WR_ENOMEM, "out of memory");
    wr_net_free(net);
    return NULL;
  }
  if (ydoc_load(&d, text, len, net->file, e)) {
    wr_net_free(net);
    return NULL;
  }
  memset(&L, 0, sizeof L);
  L.d = &d;
  L.e = e;
  L.net = net;
  int rc = load_net(&L);
  free(L.blocks);
  free(L.names.slots);
  ydoc_free(&d);
  if (rc == WR_OK)
    rc = net_finish(net, e);
  if (rc) {
    if (e->status == WR_OK)
      wr_err_set(e, rc, "%s: cannot load workload", file);
    wr_net_free(net);
    return NULL;
  }
  return net;
}

wr_net *wr_net_load_file(const char *path, wr_err *e) {
  char *text;
  size_t len;
  if (wr_read_file(path, &text, &len, e))
    return NULL;
  wr_net *n = wr_net_load_string(text, len, path, e);
  free(text);
  return n;
}
