/* main.c — the wrpnsim binary: dispatches subcommands.  Results go to
 * stdout, diagnostics to stderr; exit 0 ok, 1 runtime failure, 2 bad
 * input. */
#include <stdio.h>
#include <string.h>

#include "cli.h"

typedef struct command {
  const char *name;
  int (*run)(int argc, char **argv);
  const char *summary;
} command;

static const command commands[] = {
    {"zoo", cmd_zoo, "list the built-in networks with parameters and MACs"},
    {"net", cmd_net, "show a network layer by layer (shapes, MACs, precision)"},
    {"cost", cmd_cost,
     "WRPN compute-cost grid (FMAs x bits, relative to 1x FP32)"},
    {"footprint", cmd_footprint,
     "memory footprint of weights and activations (inference, training)"},
    {"exec", cmd_exec,
     "run a network bit-accurately on real data: accuracy, layer statistics"},
    {"weights", cmd_weights, "write seeded synthetic weights as .npz"},
    {"train", cmd_train,
     "quantization-aware training on Fashion-MNIST, weights as .npz"},
    {"presets", cmd_presets, "list the built-in architectures"},
    {"run", cmd_run,
     "one network (or SCALE-Sim inputs) on one architecture: cycles"},
    {"sweep", cmd_sweep,
     "design points (workload x width x precision x arch) into SQLite"},
    {"merge", cmd_merge, "join sweep databases (shards) into one"},
    {"report", cmd_report,
     "Pareto fronts, best designs, baselines of a sweep database"},
};

static void usage(FILE *f) {
  fprintf(f,
          "wrpnsim %s — simulator and design-space explorer for wide "
          "reduced-precision networks\n\n"
          "usage: wrpnsim <command> [options]   (wrpnsim <command> --help, or "
          "wrpnsim help <command>)\n"
          "       wrpnsim --help | --version\n\n"
          "commands:\n",
          WRPNSIM_VERSION);
  for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
    fprintf(f, "  %-10s %s\n", commands[i].name, commands[i].summary);
  fprintf(f, "\noptions:\n  %-10s %s\n  %-10s %s\n", "--help", "show this help",
          "--version", "print the version");
  fprintf(f, "\nResults go to stdout (--format table|csv|json), diagnostics "
             "to stderr.\nExit status: 0 ok, 1 runtime failure, 2 bad "
             "input.\n");
}

int main(int argc, char **argv) {
  if (argc < 2) {
    usage(stderr);
    return EXIT_INPUT;
  }
  /* `wrpnsim help CMD` is `wrpnsim CMD --help` */
  char *help_argv[] = {argv[0], argc > 2 ? argv[2] : NULL, "--help", NULL};
  if (strcmp(argv[1], "help") == 0 && argc == 3) {
    argv = help_argv;
    argc = 3;
  } else if (strcmp(argv[1], "help") == 0 && argc > 3) {
    fprintf(stderr, "wrpnsim help: takes one command (see 'wrpnsim --help')\n");
    return EXIT_INPUT;
  }
  if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 ||
      strcmp(argv[1], "help") == 0) {
    usage(stdout);
    return EXIT_OK;
  }
  if (strcmp(argv[1], "--version") == 0) {
    printf("wrpnsim %s\n", WRPNSIM_VERSION);
    return EXIT_OK;
  }
  for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++) {
    if (strcmp(argv[1], commands[i].name) != 0)
      continue;
    int rc = commands[i].run(argc - 2, argv + 2);
    if (fflush(stdout) != 0 || ferror(stdout)) {
      fprintf(stderr, "wrpnsim: error writing the results to stdout\n");
      return EXIT_RUNTIME;
    }
    return rc;
  }
  fprintf(stderr, "wrpnsim: unknown command '%s' (see 'wrpnsim --help')\n",
          argv[1]);
  return EXIT_INPUT;
}
