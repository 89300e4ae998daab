#include "tools/link_model.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "tools/driver.h"

extern char **environ;

/* Runs argv[0] (looked up in PATH) with `argv`, no shell, standard input from `stdin_path` when
 * given; true when it exits with status 0. */
static bool run_tool(char *const argv[], const char *stdin_path, qcc_diag *diag) {
  pid_t pid;
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  if (stdin_path)
    posix_spawn_file_actions_addopen(&fa, 0, stdin_path, O_RDONLY, 0);
  int err = posix_spawnp(&pid, argv[0], &fa, NULL, argv, environ);
  posix_spawn_file_actions_destroy(&fa);
  if (err != 0) {
    qcc_diag_error(diag, (qcc_loc){0}, "cannot run '%s': %s", argv[0], strerror(err));
    return false;
  }
  int status;
  while (waitpid(pid, &status, 0) < 0)
    if (errno != EINTR) {
      qcc_diag_error(diag, (qcc_loc){0}, "waiting for '%s': %s", argv[0], strerror(errno));
      return false;
    }
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    qcc_diag_error(diag, (qcc_loc){0}, "'%s' failed", argv[0]);
    return false;
  }
  return true;
}

static bool is_aarch64_linux(const char *triple) {
  return strncmp(triple, "aarch64", 7) == 0 && strstr(triple, "linux") &&
         !strstr(triple, "android");
}

static bool is_host(const char *triple) {
#if defined(__x86_64__)
  return strncmp(triple, "x86_64", 6) == 0 && strstr(triple, "linux");
#elif defined(__aarch64__)
  return strncmp(triple, "aarch64", 7) == 0 && strstr(triple, "linux") &&
         !strstr(triple, "android");
#else
  (void)triple;
  return false;
#endif
}

/* The folder holding libqcc_runtime.a and libqcc_exe_main.a for `triple`: $QCC_RUNTIME_DIR,
 * else beside the qcc executable (runtime-aarch64/ for a cross target), else the build folder
 * qcc was configured with. */
static bool runtime_dir(const char *triple, char *buf, size_t cap, qcc_diag *diag) {
  bool cross = !is_host(triple);
  const char *sub = cross ? "/runtime-aarch64" : "";
  const char *env = getenv("QCC_RUNTIME_DIR");
  if (env && *env) {
    return snprintf(buf, cap, "%s%s", env, sub) < (int)cap;
  }
  char self[PATH_MAX];
  ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
  if (n > 0) {
    self[n] = '\0';
    char *slash = strrchr(self, '/');
    if (slash) {
      *slash = '\0';
      char probe[PATH_MAX + 64];
      if (snprintf(buf, cap, "%s%s", self, sub) < (int)cap &&
          snprintf(probe, sizeof probe, "%s/libqcc_runtime.a", buf) < (int)sizeof probe &&
          access(probe, R_OK) == 0)
        return true;
    }
  }
  char probe[PATH_MAX + 64];
  if (snprintf(buf, cap, "%s", cross ? QCC_RUNTIME_AARCH64_DIR : QCC_RUNTIME_HOST_DIR) >=
          (int)cap ||
      snprintf(probe, sizeof probe, "%s/libqcc_runtime.a", buf) >= (int)sizeof probe ||
      access(probe, R_OK) != 0) {
    qcc_diag_error(diag, (qcc_loc){0}, "no qcc runtime for %s (looked for %s; set QCC_RUNTIME_DIR)",
                   triple, probe);
    return false;
  }
  return true;
}

/* The C compiler that links for `triple`, or NULL (reported) when qcc has none for it. */
static const char *linker_for(const char *triple, qcc_diag *diag) {
  if (is_host(triple)) {
    const char *cc = getenv("CC");
    return cc && *cc ? cc : "cc";
  }
  if (is_aarch64_linux(triple))
    return "aarch64-linux-gnu-gcc";
  qcc_diag_error(diag, (qcc_loc){0},
                 "--emit=exe and --emit=lib link only for the host and aarch64-linux-gnu, not %s "
                 "(use --emit=obj and link with that platform's toolchain, see docs/runtime.md)",
                 triple);
  return NULL;
}

/* A temporary file, created empty; false when none can be made. */
static bool temp_path(char *buf, size_t cap) {
  const char *dir = getenv("TMPDIR");
  if (snprintf(buf, cap, "%s/qcc-link-XXXXXX", dir && *dir ? dir : "/tmp") >= (int)cap)
    return false;
  int fd = mkstemp(buf);
  if (fd < 0)
    return false;
  close(fd);
  return true;
}

int qcc_link_exe(const char *object, const char *prefix, const char *triple, bool asan,
                 const char *output, qcc_diag *diag) {
  char dir[PATH_MAX], stub[PATH_MAX + 64], main_lib[PATH_MAX + 32], rt_lib[PATH_MAX + 32];
  const char *cc = linker_for(triple, diag);
  if (!cc || !runtime_dir(triple, dir, sizeof dir, diag))
    return QCC_EXIT_USAGE;
  if (!temp_path(stub, sizeof stub)) {
    qcc_diag_error(diag, (qcc_loc){0}, "cannot create a temporary file");
    return QCC_EXIT_BAD_INPUT;
  }
  FILE *f = fopen(stub, "w");
  bool ok = f && fprintf(f,
                         "/* qcc --emit=exe: the model the exe main runs. */\n"
                         "extern const char %s_model;\n"
                         "const void *const qcc_exe_model = &%s_model;\n",
                         prefix, prefix) > 0;
  if (f && fclose(f) != 0)
    ok = false;
  if (!ok) {
    qcc_diag_error(diag, (qcc_loc){.file = stub}, "cannot write");
    remove(stub);
    return QCC_EXIT_BAD_INPUT;
  }
  if (snprintf(main_lib, sizeof main_lib, "%s/libqcc_exe_main.a", dir) >= (int)sizeof main_lib ||
      snprintf(rt_lib, sizeof rt_lib, "%s/libqcc_runtime.a", dir) >= (int)sizeof rt_lib) {
    qcc_diag_error(diag, (qcc_loc){0}, "runtime path too long");
    remove(stub);
    return QCC_EXIT_BAD_INPUT;
  }
  /* The stub has no .c suffix: -x c names its language. A sanitizer build's host runtime is
   * instrumented, so its executables link the sanitizers; an object built with -fsanitize=address
   * needs ASan's runtime. */
#ifdef QCC_RUNTIME_SANITIZED
  const char *sanitize = is_host(triple) ? "-fsanitize=address,undefined"
                         : asan          ? "-fsanitize=address"
                                         : "-g";
#else
  const char *sanitize = asan ? "-fsanitize=address" : "-g0";
#endif
  char *argv[] = {
      (char *)cc, (char *)sanitize, "-o",     (char *)output, (char *)object, "-x",  "c", stub,
      "-x",       "none",           main_lib, rt_lib,         "-lpthread",    "-lm", NULL};
  ok = run_tool(argv, NULL, diag);
  remove(stub);
  return ok ? QCC_EXIT_OK : QCC_EXIT_BAD_INPUT;
}

int qcc_link_lib(const char *object, const char *triple, const char *output, qcc_diag *diag) {
  char dir[PATH_MAX], script[PATH_MAX + 64];
  if (!linker_for(triple, diag) || !runtime_dir(triple, dir, sizeof dir, diag))
    return QCC_EXIT_USAGE;
  if (!temp_path(script, sizeof script)) {
    qcc_diag_error(diag, (qcc_loc){0}, "cannot create a temporary file");
    return QCC_EXIT_BAD_INPUT;
  }
  remove(output); /* ar's CREATE appends to an existing archive's members otherwise */
  FILE *f = fopen(script, "w");
  bool ok = f && fprintf(f, "CREATE %s\nADDLIB %s/libqcc_runtime.a\nADDMOD %s\nSAVE\nEND\n", output,
                         dir, object) > 0;
  if (f && fclose(f) != 0)
    ok = false;
  if (!ok) {
    qcc_diag_error(diag, (qcc_loc){.file = script}, "cannot write");
    remove(script);
    return QCC_EXIT_BAD_INPUT;
  }
  /* llvm-ar reads the MRI script from standard input and writes archives for any target. */
  char *argv[] = {"llvm-ar-19", "-M", NULL};
  ok = run_tool(argv, script, diag);
  remove(script);
  if (!ok)
    return QCC_EXIT_BAD_INPUT;
  return QCC_EXIT_OK;
}
