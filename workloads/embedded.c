/* embedded.c — the YAML files compiled into the library
 * (workloads/embed_files.cmake) and the one rule for an argument that is
 * "a built-in name, else a file path". */
#include <stdio.h>
#include <string.h>

#include "workloads.h"

const char *wr_embedded_text(const wr_embedded *files, size_t n,
                             const char *name, size_t *len) {
  for (size_t i = 0; i < n; i++)
    if (strcmp(files[i].name, name) == 0) {
      if (len)
        *len = files[i].len;
      return files[i].text;
    }
  return NULL;
}

int wr_builtin_name(const char *s) {
  return !strchr(s, '/') && !strchr(s, '.');
}

int wr_named_find(const wr_builtins *b, const char *name_or_path, wr_named *out,
                  wr_err *e) {
  out->text = wr_embedded_text(b->files, b->n, name_or_path, &out->len);
  out->file[0] = '\0';
  if (out->text) {
    snprintf(out->file, sizeof out->file, "%s/%s.yaml", b->dir, name_or_path);
    return WR_OK;
  }
  out->len = 0;
  if (wr_builtin_name(name_or_path))
    return wr_err_set(e, WR_EINPUT, "'%s' is not %s nor %s", name_or_path,
                      b->builtin, b->file_kind);
  return WR_OK;
}
