/* zoo.c — the networks of workloads/zoo/, compiled into the library
 * (zoo_data.c is generated from the YAML files by CMake), and opening a
 * network by zoo name or file path. */
#include "workloads.h"

/* generated from the zoo YAML files by workloads/embed_files.cmake */
extern const wr_embedded wr_zoo_entries[];
extern const size_t wr_zoo_n;

size_t wr_zoo_count(void) { return wr_zoo_n; }

const char *wr_zoo_name(size_t i) {
  return i < wr_zoo_n ? wr_zoo_entries[i].name : NULL;
}

const char *wr_zoo_text(const char *name, size_t *len) {
  return wr_embedded_text(wr_zoo_entries, wr_zoo_n, name, len);
}

int wr_zoo_find(const char *name_or_path, wr_named *out, wr_err *e) {
  const wr_builtins zoo = {wr_zoo_entries, wr_zoo_n, "workloads/zoo",
                           "a zoo network (see 'wrpnsim zoo')",
                           "a workload file path"};
  return wr_named_find(&zoo, name_or_path, out, e);
}

wr_net *wr_net_open(const char *name_or_path, wr_err *e) {
  wr_named f;
  if (wr_zoo_find(name_or_path, &f, e))
    return NULL;
  return f.text ? wr_net_load_string(f.text, f.len, f.file, e)
                : wr_net_load_file(name_or_path, e);
}
