/* zoo.c — the networks of workloads/zoo/, compiled into the library
 * (zoo_data.c is generated from the YAML files by CMake), and opening a
 * network by zoo name or file path. */
#include <stdio.h>
#include <string.h>

#include "workloads.h"

/* generated from the zoo YAML files by workloads/embed_files.cmake */
extern const wr_embedded wr_zoo_entries[];
extern const size_t wr_zoo_n;

size_t wr_zoo_count(void) { return wr_zoo_n; }

const char *wr_zoo_name(size_t i) {
  return i < wr_zoo_n ? wr_zoo_entries[i].name : NULL;
}

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

const char *wr_zoo_text(const char *name, size_t *len) {
  return wr_embedded_text(wr_zoo_entries, wr_zoo_n, name, len);
}

wr_net *wr_net_open(const char *name_or_path, wr_err *e) {
  size_t len;
  const char *text = wr_zoo_text(name_or_path, &len);
  if (text) {
    char file[256];
    snprintf(file, sizeof file, "workloads/zoo/%s.yaml", name_or_path);
    return wr_net_load_string(text, len, file, e);
  }
  if (!strchr(name_or_path, '/') && !strchr(name_or_path, '.')) {
    wr_err_set(e, WR_EINPUT,
               "'%s' is not a zoo network (see 'wrpnsim zoo') nor a "
               "workload file path",
               name_or_path);
    return NULL;
  }
  return wr_net_load_file(name_or_path, e);
}
