/* zoo.c — the networks of workloads/zoo/, compiled into the library
 * (zoo_data.c is generated from the YAML files by CMake), and opening a
 * network by zoo name or file path. */
#include <stdio.h>
#include <string.h>

#include "workloads.h"

typedef struct embedded_file {
  const char *name;
  const char *text;
  size_t len;
} embedded_file;

/* generated from the zoo YAML files by workloads/embed_files.cmake */
extern const embedded_file wr_zoo_entries[];
extern const size_t wr_zoo_n;

size_t wr_zoo_count(void) { return wr_zoo_n; }

const char *wr_zoo_name(size_t i) {
  return i < wr_zoo_n ? wr_zoo_entries[i].name : NULL;
}

const char *wr_zoo_text(const char *name, size_t *len) {
  for (size_t i = 0; i < wr_zoo_n; i++)
    if (strcmp(wr_zoo_entries[i].name, name) == 0) {
      if (len)
        *len = wr_zoo_entries[i].len;
      return wr_zoo_entries[i].text;
    }
  return NULL;
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
