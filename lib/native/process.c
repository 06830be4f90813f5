/* execve in place, keeping chosen fds open, and close-on-exec: for the
 * bridge (bin/lrctl-shim.js) that a previous release's Node shim runs when
 * it is upgraded, and which becomes the native monitor with the same pid. */
#define _GNU_SOURCE
#include <node_api.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <unistd.h>
#include "napi-args.h"
#include "process.h"

/* Puts back the fd flags saved in `was` on the first `n` fds of `fds` (an
 * exec that failed): close-on-exec again where it was set, and only there
 * (an fd inherited without it stays inheritable). 0, or the first errno. */
static int restore_fd_flags(const int32_t *fds, const int *was, uint32_t n) {
  int err = 0;
  /* last first: an fd listed twice ends with the flags it had before the first */
  for (uint32_t i = n; i-- > 0;)
    if (fcntl(fds[i], F_SETFD, was[i]) != 0 && err == 0) err = errno;
  return err;
}

/* setCloexec(fd): sets FD_CLOEXEC, undoing what execve did to its keepFds.
 * The fds a shim takes over come through execve inheritable; left so, they
 * would go to every child its process starts, and a pipe held open there
 * would keep the container from seeing its stdin close. */
napi_value set_cloexec(napi_env env, napi_callback_info info) {
  int32_t fd;
  if (arg_fd(env, info, 0, &fd) != 0) { napi_throw_type_error(env, NULL, "setCloexec: fd must be a non-negative integer"); return NULL; }
  int flags = fcntl(fd, F_GETFD);
  if (flags < 0 || fcntl(fd, F_SETFD, flags | FD_CLOEXEC) != 0) return throw_errno(env, "fcntl(F_SETFD, FD_CLOEXEC)", errno);
  return NULL;
}

#define EXEC_MAX_ARGS 64
#define EXEC_MAX_FDS 64

/* execve(path, argv, keepFds): replace this process (same pid, same children)
 * with `path`, keeping the fds in keepFds open across the exec (Node opens
 * everything close-on-exec). Strings are copied whole, however long (a long
 * --root must not be cut), within ARG_MAX (E2BIG). Returns only on failure,
 * by throwing, with keepFds' flags as they were. Used by bin/lrctl-shim.js,
 * the bridge a previous release's Node shim re-executes on `lrctl shim
 * upgrade`: it becomes the native monitor in place, the container still its
 * child. */
extern char **environ;
napi_value exec_ve(napi_env env, napi_callback_info info) {
  size_t argc = 3;
  napi_value a[3];
  uint32_t n = 0, nfds = 0;
  if (napi_get_cb_info(env, info, &argc, a, NULL, NULL) != napi_ok || argc < 3 || napi_get_array_length(env, a[1], &n) != napi_ok || n == 0
      || n > EXEC_MAX_ARGS || napi_get_array_length(env, a[2], &nfds) != napi_ok || nfds > EXEC_MAX_FDS) {
    napi_throw_type_error(env, NULL, "execve: path, argv (1-64 strings) and keepFds (at most 64 fds)");
    return NULL;
  }
  long arg_max = sysconf(_SC_ARG_MAX);
  size_t budget = arg_max > 0 ? (size_t)arg_max : 131072;
  int32_t fds[EXEC_MAX_FDS];
  for (uint32_t i = 0; i < nfds; i++) {
    napi_value v;
    if (napi_get_element(env, a[2], i, &v) != napi_ok || value_int(env, v, &fds[i]) != 0 || fds[i] < 0) {
      napi_throw_type_error(env, NULL, "execve: keepFds must hold non-negative integers");
      return NULL;
    }
  }
  char *path = NULL;
  int serr = arg_heap_string(env, a[0], &budget, &path);
  if (serr == EINVAL) { napi_throw_type_error(env, NULL, "execve: the path must be a string without NUL bytes"); return NULL; }
  if (serr != 0) return throw_errno(env, "execve: the path", serr);
  char *args[EXEC_MAX_ARGS + 1];
  for (uint32_t i = 0; i < n; i++) {
    napi_value v;
    serr = napi_get_element(env, a[1], i, &v) == napi_ok ? arg_heap_string(env, v, &budget, &args[i]) : EINVAL;
    if (serr != 0) {
      free_strings(args, i);
      free(path);
      if (serr == EINVAL) { napi_throw_type_error(env, NULL, "execve: argv must hold strings without NUL bytes"); return NULL; }
      return throw_errno(env, "execve: the path and arguments together", serr);
    }
  }
  args[n] = NULL;
  int err = 0;
  const char *what = "fcntl(F_SETFD) on a kept fd";
  int was[EXEC_MAX_FDS];
  uint32_t cleared = 0;
  for (; cleared < nfds; cleared++) {
    was[cleared] = fcntl(fds[cleared], F_GETFD);
    if (was[cleared] < 0) {
      err = errno;
      break;
    }
    if (fcntl(fds[cleared], F_SETFD, was[cleared] & ~FD_CLOEXEC) != 0) {
      err = errno;
      break;
    }
  }
  if (err == 0) {
    /* a blocked signal would stay blocked in the new program */
    sigset_t none, old;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, &old);
    execve(path, args, environ);
    err = errno;
    what = "execve";
    sigprocmask(SIG_SETMASK, &old, NULL);
  }
  /* the caller runs on after a failed exec: a kept fd left inheritable would
   * leak into every child it starts later */
  if (restore_fd_flags(fds, was, cleared) != 0) what = "execve failed, and a kept fd's flags could not be put back";
  free_strings(args, n);
  free(path);
  return throw_errno(env, what, err);
}
