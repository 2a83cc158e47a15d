/* test_loader.c — the YAML workload loader: blocks, repeats, references,
 * parameters, defaults, the precision section, and errors with positions. */
#include "testutil.h"

static const char resnet_like[] =
    "name: tiny-resnet\n"
    "input: {shape: [3, 32, 32]}\n"
    "defaults: {conv: {bias: false}}\n"
    "blocks:\n"
    "  basic:\n"
    "    params: {c: 16, stride: 1}\n"
    "    layers:\n"
    "      - {name: conv1, conv: {out: $c, k: 3, stride: $stride, pad: 1}}\n"
    "      - {name: bn1, bn: {}}\n"
    "      - {name: relu1, act: {}}\n"
    "      - {name: conv2, conv: {out: $c, k: 3, pad: 1}}\n"
    "      - {name: bn2, bn: {}}\n"
    "      - {name: add, add: {inputs: [bn2, $in]}}\n"
    "      - {name: relu2, act: {}}\n"
    "  down:\n"
    "    params: [c]\n"
    "    layers:\n"
    "      - {name: conv1, conv: {out: $c, k: 3, stride: 2, pad: 1}}\n"
    "      - {name: bn1, bn: {}}\n"
    "      - {name: relu1, act: {}}\n"
    "      - {name: conv2, conv: {out: $c, k: 3, pad: 1}}\n"
    "      - {name: bn2, bn: {}}\n"
    "      - {name: downsample.0, conv: {out: $c, k: 1, stride: 2}, input: "
    "$in}\n"
    "      - {name: downsample.1, bn: {}}\n"
    "      - {name: add, add: {inputs: [bn2, downsample.1]}}\n"
    "      - {name: relu2, act: {}}\n"
    "layers:\n"
    "  - {name: conv1, conv: {out: 16, k: 3, pad: 1}}\n"
    "  - {name: bn1, bn: {}}\n"
    "  - {name: relu, act: {}}\n"
    "  - {name: layer1, repeat: {block: basic, times: 2}}\n"
    "  - {name: layer2, repeat: [{block: down, args: {c: 32}},\n"
    "                            {block: basic, times: 2, args: {c: 32}}]}\n"
    "  - {name: avgpool, avgpool: {global: true}}\n"
    "  - {name: fc, fc: {out: 10}}\n"
    "  - {name: prob, softmax: {}}\n";

static void expands_blocks_and_repeats(void **state) {
  (void)state;
  wr_net *n = load(resnet_like);
  assert_string_equal(n->name, "tiny-resnet");
  /* 3 stem + 2*7 + (9 + 2*7) + pool, fc, softmax */
  assert_int_equal(n->n_layers, 3 + 14 + 23 + 3);
  const wr_layer *c = layer(n, "layer2.0.downsample.0");
  assert_int_equal(c->inputs[0], wr_net_find(n, "layer1.1.relu2"));
  assert_int_equal(c->out.c, 32);
  assert_int_equal(c->out.h, 16);
  assert_false(c->bias); /* from defaults */
  const wr_layer *add = layer(n, "layer1.0.add");
  assert_int_equal(add->n_inputs, 2);
  assert_int_equal(add->inputs[0], wr_net_find(n, "layer1.0.bn2"));
  assert_int_equal(add->inputs[1], wr_net_find(n, "relu"));
  /* numbering continues across repeat segments */
  assert_true(wr_net_find(n, "layer2.2.conv2") >= 0);
  assert_true(wr_net_find(n, "layer2.3.conv2") < 0);
  const wr_layer *fc = layer(n, "fc");
  assert_int_equal(fc->in.c, 32);
  assert_int_equal(fc->in.h, 1);
  assert_true(fc->classifier);
  assert_int_equal(fc->macs, 320);
  assert_int_equal(fc->weights + fc->extra_params, 330);
  /* conv 3x3, 16->16 at 32x32 */
  const wr_layer *l = layer(n, "layer1.0.conv1");
  assert_int_equal(l->macs, 32ULL * 32 * 16 * 16 * 9);
  wr_net_free(n);
}

static void references_and_names(void **state) {
  (void)state;
  wr_net *n = load("name: branches\n"
                   "input: {shape: [4, 8, 8]}\n"
                   "blocks:\n"
                   "  two:\n"
                   "    layers:\n"
                   "      - {name: a, conv: {out: 4, k: 1}}\n"
                   "      - {name: b, conv: {out: 6, k: 3, pad: same}, "
                   "input: $in}\n"
                   "      - {name: cat, concat: {inputs: [a, b]}}\n"
                   "layers:\n"
                   "  - {conv: {out: 8, k: 3, pad: 1}}\n"
                   "  - {act: {}}\n"
                   "  - {name: m1, block: two, sep: _}\n"
                   "  - {name: m2, block: two}\n"
                   "  - {name: sum, add: {inputs: [m1, m2]}}\n"
                   "  - {fc: {out: 3}}\n");
  wr_net_free(n);
  load_err("name: x\ninput: {shape: [4, 8, 8]}\nlayers:\n"
           "  - {conv: {out: 8, k: 1}}\n"
           "  - {name: s, add: {inputs: [conv1, input]}, input: conv1}\n"
           "  - {fc: {out: 3}}\n",
           "t.yaml:5:53: add 's' reads its 'inputs' list, not 'input'");
  n = load("name: auto\n"
           "input: {shape: [4, 8, 8]}\n"
           "blocks:\n"
           "  two:\n"
           "    layers:\n"
           "      - {name: a, conv: {out: 4, k: 1}}\n"
           "      - {name: b, conv: {out: 6, k: 3, pad: same}, input: $in}\n"
           "      - {name: cat, concat: {inputs: [a, b]}}\n"
           "layers:\n"
           "  - {conv: {out: 8, k: 3, pad: 1}}\n"
           "  - {act: {}}\n"
           "  - {name: m1, block: two, sep: _}\n"
           "  - {name: m2, block: two, input: act2}\n"
           "  - {name: cat2, concat: {inputs: [m1, m2, m1_a]}}\n"
           "  - {fc: {out: 3}}\n");
  assert_true(wr_net_find(n, "conv1") == 0);
  assert_true(wr_net_find(n, "act2") == 1);
  assert_true(wr_net_find(n, "m1_cat") >= 0);
  assert_true(wr_net_find(n, "m2.cat") >= 0);
  const wr_layer *cat = layer(n, "cat2");
  assert_int_equal(cat->out.c, 10 + 10 + 4);
  assert_int_equal(layer(n, "m2.a")->inputs[0], 1);
  assert_int_equal(layer(n, "m1_b")->out.h, 8); /* SAME keeps 8x8 */
  wr_net_free(n);
}

static void precision_section(void **state) {
  (void)state;
  wr_net *n = load("name: p\n"
                   "input: {shape: [1, 28, 28]}\n"
                   "layers:\n"
                   "  - {name: fc1, fc: {out: 64}}\n"
                   "  - {name: fc2, fc: {out: 64}}\n"
                   "  - {name: fc3, fc: {out: 64}}\n"
                   "  - {name: fc4, fc: {out: 10}}\n"
                   "precision:\n"
                   "  default: 4/2\n"
                   "  fp32: [first, fc3]\n"
                   "  layers: {'fc[34]': 8/8}\n");
  assert_int_equal(layer(n, "fc1")->prec.a_bits, 32);
  assert_int_equal(layer(n, "fc2")->prec.a_bits, 4);
  assert_int_equal(layer(n, "fc2")->prec.w_bits, 2);
  assert_int_equal(layer(n, "fc3")->prec.a_bits, 8); /* rule beats fp32 */
  assert_int_equal(layer(n, "fc4")->prec.w_bits, 8); /* last not listed */
  wr_net_free(n);
  /* no precision section: 32/32 with first and last FP32 */
  n = load("name: q\ninput: {shape: [1, 4, 4]}\nlayers:\n"
           "  - {fc: {out: 4}}\n  - {fc: {out: 2}}\n");
  assert_int_equal(n->policy.def.a_bits, 32);
  assert_true(n->policy.fp32_first && n->policy.fp32_last);
  wr_net_free(n);
}

static void errors_name_positions(void **state) {
  (void)state;
  load_err("name: x\ninput: {shape: [1, 8, 8]}\nlayers:\n"
           "  - {conv: {out: 4, k: [3, 3, 3]}}\n  - {fc: {out: 2}}\n",
           "t.yaml:4:24: conv 'conv1' field 'k': expected a number or a pair");
  load_err("name: x\ninput: {shape: [1, 8, 8]}\nlayers:\n"
           "  - {conv: {out: 4, k: 3, groups: dw}}\n  - {fc: {out: 2}}\n",
           "t.yaml:4:18: conv 'conv1' field 'out': a depthwise conv");
  load_err("name: x\ninput: {shape: [1, 8, 8]}\nlayers:\n"
           "  - {maxpool: {global: true, k: 2}}\n  - {fc: {out: 2}}\n",
           "t.yaml:4:33: maxpool 'maxpool1' field 'k': a global pool");
  load_err("name: x\ninput: {shape: [1, 8, 8]}\nlayers:\n"
           "  - {conv: {out: 4, k: 3, bias: maybe}}\n  - {fc: {out: 2}}\n",
           "t.yaml:4:33: conv 'conv1' field 'bias': expected true or false");
  load_err("name: x\ninput: {shape: [1, 8, 8]}\nlayers:\n"
           "  - {act: {}}\n",
           "t.yaml: the network has no conv or fc layer");
  load_err("name: x\ninput: {shape: [1, 8, 8]}\nlayers:\n"
           "  - {name: r, repeat: {block: nope}}\n  - {fc: {out: 2}}\n",
           "t.yaml:4:31: unknown block 'nope'");
  load_err("name: x\ninput: {shape: [1, 8, 8]}\nlayers: []\n",
           "t.yaml:3:9: workload: 'layers' must be a non-empty list");
  load_err("name: x\ninput: {shape: [1, 8, 8], mean: [0.5]}\nlayers:\n"
           "  - {fc: {out: 2}}\n",
           "t.yaml:2:8: input: give both 'mean' and 'std', or none");
  load_err("name: x\ninput: {shape: [1, 8, 8]}\ndefaults: {conv: {bais: "
           "false}}\nlayers:\n  - {fc: {out: 2}}\n",
           "t.yaml:3:19: defaults conv: unknown field 'bais'");
  load_err("name: x\ninput: {shape: [1, 8, 8]}\nlayers:\n"
           "  - {name: input, fc: {out: 2}}\n",
           "t.yaml:4:12: name 'input'");
  load_err("name: x\ninput: {shape: [1, 8, 8]}\nlayers:\n"
           "  - {fc: {out: 2}, input: $in}\n",
           "t.yaml:4:27: '$in' is only defined inside a block");
  load_err("name: x\ninput: {shape: [1, 8, 8]}\nblocks:\n  b:\n    params: "
           "[c]\n    layers: [{fc: {out: $c}}]\nlayers:\n"
           "  - {name: i, block: b, args: {c: 2, d: 3}}\n",
           "t.yaml:8:38: block 'b' has no parameter 'd'");
  /* an alias bomb stays bounded: every expansion counts against the layer
     limit or fails on names, never explodes */
  load_err("name: x\ninput: {shape: [1, 8, 8]}\nlayers:\n"
           "  - &a {name: f, fc: {out: 2}}\n  - *a\n",
           "duplicate layer name 'f'");
}

static void file_errors(void **state) {
  (void)state;
  wr_err e;
  assert_null(wr_net_load_file("/nonexistent/x.yaml", &e));
  assert_int_equal(e.status, WR_EINPUT);
  assert_non_null(strstr(e.msg, "/nonexistent/x.yaml: cannot open"));
  assert_null(wr_net_open("no-such-net", &e));
  assert_non_null(strstr(e.msg, "not a zoo network"));
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(expands_blocks_and_repeats),
      cmocka_unit_test(references_and_names),
      cmocka_unit_test(precision_section),
      cmocka_unit_test(errors_name_positions),
      cmocka_unit_test(file_errors),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
