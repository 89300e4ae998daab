# lit configuration for qcc. Folders mirror the source tree (frontend/, ir/, tools/, ...).
import hashlib
import os
import shutil
import subprocess

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
# The generated code checked against `qcc run` (test/utils/codegen_check.py); %t.cg is its work dir.
config.substitutions.append(("%codegen-check", " ".join([
    config.python, os.path.join(config.qcc_src_root, "test", "utils", "codegen_check.py"),
    "--qcc", os.path.join(config.qcc_tools_dir, "qcc"),
    "--harness", os.path.join(config.qcc_src_root, "test", "codegen", "Inputs", "harness.c"),
    "--runtime", os.path.join(config.qcc_src_root, "runtime"), "--work", "%t.cg"])))
config.substitutions.append(("%harness", os.path.join(config.qcc_src_root, "test", "codegen", "Inputs", "harness.c")))
config.substitutions.append(("%runtime", os.path.join(config.qcc_src_root, "runtime")))
config.substitutions.append(("%python", config.python))
config.substitutions.append(("%qcc", os.path.join(config.qcc_tools_dir, "qcc")))
config.substitutions.append(("%models", models_dir))
config.substitutions.append(("%srcroot", config.qcc_src_root))
config.substitutions.append(("%utils", os.path.join(config.qcc_src_root, "test", "utils")))

if os.path.isdir(models_dir):
    config.available_features.add("models")
if config.sanitize:
    config.available_features.add("asan")
# ---- the machine ---------------------------------------------------------------------------------
# CPU features of the host that runs qcc and, later, the code it generates.
def cpu_flags():
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("flags"):
                    return set(line.split(":", 1)[1].split())
    except OSError:
        pass
    return set()


host_flags = cpu_flags()
for feature, flag in [("avx2", "avx2"), ("fma", "fma"), ("avx512vnni", "avx512_vnni"), ("avx512vbmi", "avx512vbmi"),
                      ("avxvnni", "avx_vnni"), ("avx512f", "avx512f")]:
    if flag in host_flags:
        config.available_features.add(feature)
if shutil.which("qemu-x86_64"):
    config.available_features.add("qemu-x86_64")
if shutil.which("qemu-aarch64") and shutil.which("aarch64-linux-gnu-gcc"):
    config.available_features.add("qemu-aarch64")
if shutil.which("aarch64-linux-gnu-gcc"):
    config.available_features.add("aarch64-cross")

# ---- the runtime (runtime/): compiling and linking apps against it, as docs/runtime.md says ----
# %rt-cc compiles and links C against the host libqcc_runtime.a (with the sanitizers of this
# build); %rt-exe-libs are the libraries of an --emit=exe executable, in link order.
rt_cc = "%s -std=c17 -O2 -Wall -Wextra -Werror -ffp-contract=off -I%s" % (
    config.host_cc, config.runtime_include_dir)
if config.sanitize:
    rt_cc += " -fsanitize=address,undefined -fno-sanitize-recover=all"
config.substitutions.append(("%rt-cc", rt_cc))
config.substitutions.append(("%rt-exe-libs", "%s %s -lpthread" % (
    os.path.join(config.runtime_lib_dir, "libqcc_exe_main.a"),
    os.path.join(config.runtime_lib_dir, "libqcc_runtime.a"))))
config.substitutions.append(("%rt-lib-dir", config.runtime_lib_dir))
config.substitutions.append(("%size-tool", config.size_tool))
# The runtime built for aarch64 by the cross build (QCC_RUNTIME_AARCH64), and QEMU to run it.
if config.runtime_aarch64_dir and os.path.isdir(config.runtime_aarch64_dir):
    config.available_features.add("runtime-aarch64")
    config.substitutions.append(("%rt-a64-cc", "aarch64-linux-gnu-gcc -std=c17 -O2 -Wall -Wextra "
                                 "-Werror -ffp-contract=off -I%s" % config.runtime_include_dir))
    config.substitutions.append(("%rt-a64-exe-libs", "%s %s -lpthread" % (
        os.path.join(config.runtime_aarch64_dir, "libqcc_exe_main.a"),
        os.path.join(config.runtime_aarch64_dir, "libqcc_runtime.a"))))
    config.substitutions.append(("%rt-a64-dir", config.runtime_aarch64_dir))
config.substitutions.append(("%qemu-aarch64", "qemu-aarch64 -L /usr/aarch64-linux-gnu"))

# ---- ONNX Runtime, the reference engine -------------------------------------------------------------
# `--param ort_cpu=zen3` runs every ONNX Runtime invocation under QEMU as an AMD Zen 3 (AVX2, no
# VNNI), so the suite sees what it sees on such a machine; only the tests that need ONNX Runtime
# run then. Whether ONNX Runtime's u8 x s8 products are exact (they saturate to int16 pairs on x86
# without VNNI) is not guessed from CPU flags: a probe model asks it (test/utils/ort_probe.py).
utils_dir = os.path.join(config.qcc_src_root, "test", "utils")
ort_cpu = lit_config.params.get("ort_cpu", "native")
if ort_cpu not in ("native", "zen3"):
    lit_config.fatal("ort_cpu must be native or zen3, not %r" % ort_cpu)
ort_dir = os.environ.get("ORT_NODE_DIR", os.path.join(config.qcc_src_root, ".ort"))
ort_run_js = os.path.abspath(os.path.join(config.qcc_src_root, "..", "shared", "tools", "ort-run.js"))
node = shutil.which("node")
ort_run_cmd = None
if os.path.isdir(os.path.join(ort_dir, "node_modules", "onnxruntime-node")) and node:
    ort_run_cmd = "%s %s" % (node, ort_run_js)
    if ort_cpu == "zen3":
        if not shutil.which("qemu-x86_64"):
            lit_config.fatal("ort_cpu=zen3 needs qemu-x86_64 (Debian's qemu-user)")
        ort_run_cmd = "%s %s" % (os.path.join(utils_dir, "as-zen3.sh"), ort_run_cmd)
if ort_cpu == "zen3":
    config.limit_to_features = {"ort"}


def probe_ort_u8s8():
    """'exact' or 'saturating', cached in the build tree per CPU, ONNX Runtime and probe."""
    key = hashlib.sha256()
    for part in (ort_cpu, " ".join(sorted(host_flags))):
        key.update(part.encode())
    for path in (os.path.join(ort_dir, "node_modules", "onnxruntime-node", "package.json"),
                 os.path.join(utils_dir, "ort_probe.py"), os.path.join(utils_dir, "qref.py")):
        with open(path, "rb") as f:
            key.update(f.read())
    cache = os.path.join(config.qcc_obj_root, "test", "ort-probe-%s.txt" % key.hexdigest()[:16])
    if os.path.exists(cache):
        with open(cache) as f:
            return f.read().strip()
    env = dict(os.environ, ORT_NODE_DIR=ort_dir)
    p = subprocess.run([config.python, os.path.join(utils_dir, "ort_probe.py"), "--word",
                        "--ort-run-cmd", ort_run_cmd], capture_output=True, text=True, env=env)
    word = p.stdout.strip()
    if p.returncode != 0 or word not in ("exact", "saturating"):
        lit_config.fatal("ONNX Runtime probe failed:\n" + p.stdout + p.stderr)
    os.makedirs(os.path.dirname(cache), exist_ok=True)
    with open(cache + ".tmp", "w") as f:
        f.write(word + "\n")
    os.replace(cache + ".tmp", cache)
    return word


if ort_run_cmd:
    config.available_features.add("ort")
    config.environment["ORT_NODE_DIR"] = ort_dir
    ort_u8s8 = probe_ort_u8s8()
    if ort_u8s8 == "exact":
        config.available_features.add("ort-exact-u8s8")
    config.substitutions.append(("%ort-u8s8", ort_u8s8))
    config.substitutions.append(("%ort-run", ort_run_cmd))
    lit_config.note("ONNX Runtime (%s): u8 x s8 products %s" % (
        "native" if ort_cpu == "native" else "emulated AMD Zen 3",
        "exact" if ort_u8s8 == "exact" else "saturate to int16 pairs"))
if os.path.isdir("/usr/share/libonnx-testdata/data/node"):
    config.available_features.add("onnx-testdata")
if shutil.which("clang-format-19"):
    config.available_features.add("clang-format")
# valgrind's memcheck runs the generated code uninstrumented (test/codegen/sanitize/valgrind.test).
if shutil.which("valgrind"):
    config.available_features.add("valgrind")
# util-linux `script` gives a command a pseudo-terminal (test/tools/quantize/progress.test).
if shutil.which("script"):
    config.available_features.add("script")

lit_config.note("machine features: " + " ".join(sorted(
    f for f in config.available_features if f in ("avx2", "fma", "avx512vnni", "avx512vbmi", "avxvnni", "qemu-x86_64",
                                                    "qemu-aarch64", "aarch64-cross", "runtime-aarch64",
                                                    "ort", "ort-exact-u8s8"))))
