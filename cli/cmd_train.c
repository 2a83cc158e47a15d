/* cmd_train.c — `wrpnsim train`: quantization-aware training from scratch
 * on Fashion-MNIST (sim_train), the weights written as .npz for `wrpnsim
 * exec`, the test accuracy measured by the bit-accurate executor. */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "sim.h"

char *openblas_get_corename(void);

static void on_epoch(void *ctx, const sim_train_epoch *ep) {
  (void)ctx;
  fprintf(stderr,
          "train: epoch %d/%d: loss %.4f, train acc %.2f %%, test acc %.2f %% "
          "(float path), %.0f images/s, %.1f s\n",
          ep->epoch, ep->epochs, ep->loss, 100.0 * ep->train_acc,
          100.0 * ep->test_acc, ep->images_per_s, ep->seconds);
  fflush(stderr);
}

enum {
  T_DATA = N_NET_OPTS,
  T_EPOCHS,
  T_BATCH,
  T_LR,
  T_OPTIM,
  T_MOMENTUM,
  T_SEED,
  T_THREADS,
  T_TRAIN_LIMIT,
  T_TEST_LIMIT,
  T_OUT,
  N_TRAIN_OPTS
};

int cmd_train(int argc, char **argv) {
  cli_opt o[] = {
      NET_OPTS,
      {"data", "SRC", "training data: fashion-mnist (required)", 0, NULL, 0},
      {"epochs", "E", "passes over the training split (default 10)", 0, NULL,
       0},
      {"batch", "B", "images per step (default 128)", 0, NULL, 0},
      {"lr", "X",
       "peak learning rate, cosine-annealed (default 1e-3 adam, "
       "0.05 sgd)",
       0, NULL, 0},
      {"optim", "NAME", "adam (default) or sgd (with momentum)", 0, NULL, 0},
      {"momentum", "M", "sgd momentum (default 0.9)", 0, NULL, 0},
      {"seed", "S", "seed of initial weights and shuffling (default 1)", 0,
       NULL, 0},
      {"threads", "N",
       "threads, 1..64 (default: the cores); results depend "
       "on seed and threads",
       0, NULL, 0},
      {"train-limit", "N", "train on the first N training images only", 0, NULL,
       0},
      {"test-limit", "N", "test on the first N test images only", 0, NULL, 0},
      {"out", "MODEL.npz", "the trained weights (required)", 0, NULL, 0}};
  cli_format fmt;
  int rc = cli_parse_net_cmd(
      "train",
      "--net NAME|FILE --data fashion-mnist [--width K] [--prec A/W] "
      "[--epochs E] [--batch B] [--lr X] [--seed S] [--threads N] "
      "--out MODEL.npz [...]",
      argc, argv, o, N_TRAIN_OPTS, &fmt);
  sim_train_opts opt = sim_train_opts_default();
  unsigned long long v, train_limit = 0, test_limit = 0;
  double x;
  const char *data = cli_val(&o[T_DATA]), *out = cli_val(&o[T_OUT]);
  if (!rc && !data) {
    fprintf(stderr, "wrpnsim train: --data is required (fashion-mnist)\n");
    rc = EXIT_INPUT;
  } else if (!rc && strcmp(data, "fashion-mnist") != 0) {
    fprintf(stderr,
            "wrpnsim train: --data %s: training reads fashion-mnist only\n",
            data);
    rc = EXIT_INPUT;
  }
  if (!rc && !out) {
    fprintf(stderr, "wrpnsim train: --out is required\n");
    rc = EXIT_INPUT;
  }
  if (!rc && cli_val(&o[T_OPTIM])) {
    const char *s = cli_val(&o[T_OPTIM]);
    if (strcmp(s, "sgd") == 0) {
      opt.optim = SIM_OPT_SGD;
      opt.lr = 0.05;
    } else if (strcmp(s, "adam") != 0) {
      fprintf(stderr, "wrpnsim train: --optim: '%s' is not adam or sgd\n", s);
      rc = EXIT_INPUT;
    }
  }
  if (!rc && cli_val(&o[T_EPOCHS]) &&
      !(rc = cli_u64("epochs", cli_val(&o[T_EPOCHS]), 1, 100000, &v)))
    opt.epochs = (int)v;
  if (!rc && cli_val(&o[T_BATCH]) &&
      !(rc = cli_u64("batch", cli_val(&o[T_BATCH]), 2, 4096, &v)))
    opt.batch = (int)v;
  if (!rc && cli_val(&o[T_LR]) &&
      !(rc = cli_real("lr", cli_val(&o[T_LR]), 1e-9, 100, &x)))
    opt.lr = x;
  if (!rc && cli_val(&o[T_MOMENTUM]) &&
      !(rc = cli_real("momentum", cli_val(&o[T_MOMENTUM]), 0, 0.999, &x)))
    opt.momentum = x;
  if (!rc && cli_val(&o[T_SEED]) &&
      !(rc = cli_u64("seed", cli_val(&o[T_SEED]), 0, UINT32_MAX, &v)))
    opt.seed = (unsigned long)v;
  long cores = sysconf(_SC_NPROCESSORS_ONLN);
  opt.threads = cores > 0 && cores <= 64 ? (int)cores : 1;
  if (!rc && cli_val(&o[T_THREADS]) &&
      !(rc = cli_u64("threads", cli_val(&o[T_THREADS]), 1, 64, &v)))
    opt.threads = (int)v;
  if (!rc && cli_val(&o[T_TRAIN_LIMIT]))
    rc = cli_u64("train-limit", cli_val(&o[T_TRAIN_LIMIT]), 2, 1ULL << 40,
                 &train_limit);
  if (!rc && cli_val(&o[T_TEST_LIMIT]))
    rc = cli_u64("test-limit", cli_val(&o[T_TEST_LIMIT]), 1, 1ULL << 40,
                 &test_limit);
  if (!rc)
    cli_blas_rerun("train", argc, argv);
  cli_path in = {"--net", cli_val(&o[O_NET]), CLI_FILE},
           outp = {"--out", out, CLI_FILE};
  if (!rc)
    rc = cli_check_output("train", &outp, &in, 1);
  wr_net *net = rc ? NULL : cli_load_net(o, &rc);
  if (net) {
    wr_err e;
    wr_dataset train, test;
    memset(&train, 0, sizeof train);
    memset(&test, 0, sizeof test);
    wr_npz w = {NULL, 0};
    sim_train_result res;
    rc = wr_dataset_fashion_mnist(WR_FASHION_MNIST_DIR, 1, (int64_t)train_limit,
                                  &train, &e);
    if (rc == WR_OK)
      rc = wr_dataset_fashion_mnist(WR_FASHION_MNIST_DIR, 0,
                                    (int64_t)test_limit, &test, &e);
    if (rc == WR_OK)
      fprintf(stderr,
              "train: %s at width %g, %" PRId64 " training and %" PRId64
              " test image%s, %d epoch%s of batch %d, %s lr %g, seed %lu, %d "
              "thread%s (BLAS core %s)\n",
              net->name, net->width, train.n, test.n, wr_plural(test.n),
              opt.epochs, wr_plural(opt.epochs), opt.batch,
              opt.optim == SIM_OPT_ADAM ? "adam" : "sgd", opt.lr, opt.seed,
              opt.threads, wr_plural(opt.threads), openblas_get_corename());
    if (rc == WR_OK)
      rc = sim_train(net, &train, &test, &opt, on_epoch, NULL, &w, &res, &e);
    if (rc == WR_OK)
      rc = wr_npz_write(out, w.arrays, w.n, &e);
    if (rc == WR_OK) {
      fprintf(stderr,
              "train: wrote %s; test accuracy %.2f %% (bit-accurate executor, "
              "%" PRId64 " of %" PRId64 " image%s, %.1f s)\n",
              out, 100.0 * res.test_acc, res.test_correct, res.test_n,
              wr_plural(res.test_n), res.exec_seconds);
      static const char *const cols[] = {"net",
                                         "#width",
                                         "prec",
                                         "#epochs",
                                         "#batch",
                                         "optim",
                                         "#lr",
                                         "#seed",
                                         "#threads",
                                         "#train_images",
                                         "#loss",
                                         "#train_acc",
                                         "#float_test_acc",
                                         "#test_acc",
                                         "#test_images",
                                         "#images_per_s",
                                         "#train_s",
                                         "#exec_s"};
      const char *prec = cli_val(&o[O_PREC]);
      char pbuf[16];
      if (!prec)
        prec = wr_prec_str(net->policy.def, pbuf, sizeof pbuf);
      cli_table t;
      if (cli_table_init(&t, 18, cols) == 0) {
        cli_table_row(&t,
                      "%s\t%g\t%s\t%d\t%d\t%s\t%g\t%lu\t%d\t%" PRId64
                      "\t%.6f\t%.6f\t%.6f\t%.6f\t%" PRId64 "\t%.1f\t%.1f\t%.1f",
                      net->name, net->width, prec, opt.epochs, opt.batch,
                      opt.optim == SIM_OPT_ADAM ? "adam" : "sgd", opt.lr,
                      opt.seed, opt.threads, train.n, res.loss, res.train_acc,
                      res.float_test_acc, res.test_acc, res.test_n,
                      res.images_per_s, res.train_seconds, res.exec_seconds);
        if (fmt == FMT_TABLE)
          printf("%s: test accuracy %.2f %% (bit-accurate executor)\n\n",
                 net->name, 100.0 * res.test_acc);
        cli_table_print(&t, fmt, stdout);
        cli_table_free(&t);
      }
    } else {
      rc = cli_fail(&e);
    }
    wr_npz_free(&w);
    wr_dataset_free(&train);
    wr_dataset_free(&test);
    wr_net_free(net);
  }
  cli_opts_free(o, N_TRAIN_OPTS);
  return rc < 0 ? EXIT_OK : rc;
}
