# lit configuration for qcc. Folders mirror the source tree (frontend/, ir/, tools/, ...).
import os
import shutil

import lit.formats

config.name = "qcc"
config.test_format = lit.formats.ShTest(execute_external=False)
config.suffixes = [".qir", ".test", ".onnx-test"]
config.excludes = ["Inputs", "lit.cfg.py", "lit.site.cfg.py.in", "README.md"]
config.test_source_root = os.path.dirname(__file__)
config.test_exec_root = os.path.join(config.qcc_obj_root, "test")

config.environment["PATH"] = os.pathsep.join(
    [config.qcc_tools_dir, config.llvm_tools_dir, config.environment.get("PATH", os.environ.get("PATH", ""))])
for var in ("ASAN_OPTIONS", "UBSAN_OPTIONS", "ORT_NODE_DIR", "HOME"):
    if var in os.environ:
        config.environment[var] = os.environ[var]
# Sanitizer reports exit with 86, so a test expecting qcc's status 1 cannot mistake one for a
# diagnosed error.
config.environment.setdefault(
    "ASAN_OPTIONS", "detect_leaks=1:abort_on_error=0:halt_on_error=1:exitcode=86")
config.environment.setdefault("UBSAN_OPTIONS", "print_stacktrace=1:halt_on_error=1:exitcode=86")
config.environment.setdefault("LSAN_OPTIONS", "exitcode=86")

models_dir = os.path.abspath(os.path.join(config.qcc_src_root, "..", "shared", "models"))
# Listed first: lit substitutes in order and %expect-exit must not be eaten by a shorter name.
config.substitutions.append(("%expect-exit", config.python + " " + os.path.join(config.qcc_src_root, "test", "utils", "expect_exit.py")))
config.substitutions.append(("%python", config.python))
config.substitutions.append(("%qcc", os.path.join(config.qcc_tools_dir, "qcc")))
config.substitutions.append(("%models", models_dir))
config.substitutions.append(("%srcroot", config.qcc_src_root))
config.substitutions.append(("%utils", os.path.join(config.qcc_src_root, "test", "utils")))

if os.path.isdir(models_dir):
    config.available_features.add("models")
if config.sanitize:
    config.available_features.add("asan")
ort_dir = os.environ.get("ORT_NODE_DIR", os.path.join(config.qcc_src_root, ".ort"))
if os.path.isdir(os.path.join(ort_dir, "node_modules", "onnxruntime-node")) and shutil.which("node"):
    config.available_features.add("ort")
    config.environment["ORT_NODE_DIR"] = ort_dir
if os.path.isdir("/usr/share/libonnx-testdata/data/node"):
    config.available_features.add("onnx-testdata")
if shutil.which("clang-format-19"):
    config.available_features.add("clang-format")
