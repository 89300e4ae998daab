/* `qcc run`: evaluates a model with the reference interpreter on tensor files. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "frontend/tensor_io.h"
#include "ir/interp.h"
#include "tools/driver.h"

typedef struct run_input {
  const char *name; /* NULL for a bare FILE */
  const char *file;
} run_input;

/* Output names become file names: anything outside [A-Za-z0-9_.-] turns into '_'. */
static void sanitize(const char *name, char *buf, size_t cap) {
  size_t i = 0;
  for (; name[i] && i + 1 < cap; ++i) {
    char c = name[i];
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '_' || c == '.' || c == '-';
    buf[i] = ok ? c : '_';
  }
  buf[i] = '\0';
}

static int run_graph(const qcc_graph *g, const run_input *ins, int n_ins, const char *out_dir,
                     qcc_diag *diag) {
  int rc = QCC_EXIT_BAD_INPUT;
  qcc_tensor **inputs = calloc(g->num_inputs + 1, sizeof(*inputs));
  qcc_tensor **outputs = calloc(g->num_outputs + 1, sizeof(*outputs));
  if (!inputs || !outputs)
    goto done;
  if (n_ins == 1 && !ins[0].name && g->num_inputs != 1) {
    qcc_diag_error(diag, (qcc_loc){0},
                   "a bare input file needs a model with exactly one input (this one has %u)",
                   g->num_inputs);
    goto done;
  }
  for (int k = 0; k < n_ins; ++k) {
    uint32_t slot = 0;
    if (ins[k].name) {
      while (slot < g->num_inputs && strcmp(g->inputs[slot]->name, ins[k].name) != 0)
        ++slot;
      if (slot == g->num_inputs) {
        qcc_diag_error(diag, (qcc_loc){0}, "the model has no input named '%s'", ins[k].name);
        goto done;
      }
    }
    if (inputs[slot]) {
      qcc_diag_error(diag, (qcc_loc){0}, "input '%s' given twice", g->inputs[slot]->name);
      goto done;
    }
    if (qcc_read_tensor_file(ins[k].file, diag, &inputs[slot]) != QCC_OK)
      goto done;
  }
  for (uint32_t i = 0; i < g->num_inputs; ++i) {
    if (!inputs[i]) {
      qcc_diag_error(diag, (qcc_loc){0}, "no --input given for model input '%s'",
                     g->inputs[i]->name);
      goto done;
    }
  }
  if (qcc_interp_run(g, diag, (const qcc_tensor *const *)inputs, outputs) != QCC_OK)
    goto done;
  if (mkdir(out_dir, 0777) != 0 && errno != EEXIST) {
    qcc_diag_error(diag, (qcc_loc){.file = out_dir}, "cannot create output directory: %s",
                   strerror(errno));
    goto done;
  }
  rc = QCC_EXIT_OK;
  for (uint32_t i = 0; i < g->num_outputs; ++i) {
    char name[256], path[4096];
    sanitize(g->outputs[i]->name, name, sizeof name);
    snprintf(path, sizeof path, "%s/%s.npy", out_dir, name);
    if (qcc_write_npy(path, outputs[i], diag) != QCC_OK)
      rc = QCC_EXIT_BAD_INPUT;
  }
done:
  if (inputs)
    for (uint32_t i = 0; i < g->num_inputs; ++i)
      qcc_tensor_free(inputs[i]);
  if (outputs)
    for (uint32_t i = 0; i < g->num_outputs; ++i)
      qcc_tensor_free(outputs[i]);
  free(inputs);
  free(outputs);
  return rc;
}

int qcc_cmd_run(int argc, char **argv) {
  const char *model = NULL, *out_dir = NULL;
  qcc_model_options opts = {0};
  qcc_pass_flags passes = {.opt_level = -1};
  bool no_fusion = false;
  run_input *ins = calloc((size_t)argc, sizeof(*ins));
  int n_ins = 0, rc;
  if (!ins)
    return QCC_EXIT_BAD_INPUT;
  for (int i = 1; i < argc; ++i) {
    const char *a = argv[i];
    if (strcmp(a, "--input") == 0 || strcmp(a, "--output-dir") == 0 || strcmp(a, "--shape") == 0) {
      if (i + 1 == argc) {
        rc = qcc_driver_usage_error("%s needs an argument", a);
        goto done;
      }
      const char *v = argv[++i];
      if (a[2] == 'o') {
        out_dir = v;
      } else if (a[2] == 's') {
        if (!qcc_driver_add_shape(&opts, v)) {
          rc = qcc_driver_usage_error("bad --shape '%s' (expected NAME=AxBxC)", v);
          goto done;
        }
      } else {
        const char *eq = strrchr(v, '=');
        if (eq) {
          char *name = strndup(v, (size_t)(eq - v));
          ins[n_ins].name = name;
          ins[n_ins++].file = eq + 1;
        } else {
          ins[n_ins++].file = v;
        }
      }
    } else if (strcmp(a, "--no-fusion") == 0) {
      no_fusion = true;
    } else if ((rc = qcc_pass_flags_parse(&passes, argc, argv, &i)) != 0) {
      if (rc < 0) {
        rc = QCC_EXIT_USAGE;
        goto done;
      }
    } else if (a[0] == '-' && a[1] != '\0') {
      rc = qcc_driver_usage_error("unknown option '%s' for 'qcc run'", a);
      goto done;
    } else if (!model) {
      model = a;
    } else {
      ins[n_ins++].file = a; /* bare FILE */
    }
  }
  if (!model) {
    rc = qcc_driver_usage_error("qcc run: no model given");
    goto done;
  }
  if (!out_dir) {
    rc = qcc_driver_usage_error("qcc run: --output-dir DIR is required");
    goto done;
  }
  for (int k = 0; k < n_ins; ++k)
    if (!ins[k].name && n_ins > 1) {
      rc = qcc_driver_usage_error("bare input files are only allowed for a single input; use "
                                  "--input NAME=FILE");
      goto done;
    }
  if (no_fusion && passes.pipeline_set) {
    rc = qcc_driver_usage_error("--no-fusion cannot be combined with -O, --passes or --qdq-fusion");
    goto done;
  }
  /* Without a pipeline flag, run what ONNX Runtime runs, so results match it. */
  const char *spec = no_fusion ? "" : qcc_pipeline_spec_ort;
  char err[256];
  if (!passes.pipeline_set && !qcc_pipeline_parse(spec, &passes.pipeline, err, sizeof err)) {
    rc = qcc_driver_usage_error("%s", err);
    goto done;
  }
  qcc_diag *diag = qcc_diag_create(stderr);
  qcc_graph *g = NULL;
  qcc_status st = diag ? qcc_driver_load_model(model, &opts, diag, &g) : QCC_ERR_NOMEM;
  if (st == QCC_OK)
    st = qcc_pass_flags_run(g, &passes, diag);
  if (st == QCC_OK)
    rc = run_graph(g, ins, n_ins, out_dir, diag);
  else
    rc = st == QCC_ERR_USAGE ? QCC_EXIT_USAGE : QCC_EXIT_BAD_INPUT;
  qcc_graph_destroy(g);
  qcc_diag_destroy(diag);
done:
  for (int k = 0; k < n_ins; ++k)
    free((char *)ins[k].name);
  free(ins);
  return rc;
}
