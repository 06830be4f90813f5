/* This process and its children: child subreaper, waitpid on one pid,
 * malloc_trim, close-on-exec, and execve for a shim that upgrades itself
 * in place. */
#define _GNU_SOURCE
#include <node_api.h>
#include <errno.h>
#include <fcntl.h>
#include <malloc.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>
#include "napi-args.h"
#include "process.h"

/* setChildSubreaper(): orphans of our children (the container init after
 * `runc create` exits) are re-parented to us instead of PID 1. */
napi_value set_child_subreaper(napi_env env, napi_callback_info info) {
  (void)info;
  if (prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) != 0) return throw_errno(env, "prctl(PR_SET_CHILD_SUBREAPER)", errno);
  return NULL;
}

/* malloc_trim(0): hands the C heap's free pages back to the kernel. An idle
 * shim calls it once its start-up is over: glibc keeps them otherwise. */
napi_value trim_malloc(napi_env env, napi_callback_info info) {
  (void)env;
  (void)info;
  malloc_trim(0);
  return NULL;
}

/* waitpid(pid) -> null while running, else {pid, exitCode, signal}; WNOHANG
 * always, so the event loop never blocks. Never called with -1: libuv reaps
 * its own children by pid and must keep them. */
napi_value wait_pid(napi_env env, napi_callback_info info) {
  int32_t pid;
  if (arg_int(env, info, 0, &pid) != 0 || pid <= 0) { napi_throw_type_error(env, NULL, "waitpid: pid must be a positive integer"); return NULL; }
  int status = 0;
  pid_t r;
  do { r = waitpid(pid, &status, WNOHANG); } while (r < 0 && errno == EINTR);
  if (r < 0) return throw_errno(env, "waitpid", errno);
  napi_value out;
  if (r == 0) { napi_get_null(env, &out); return out; }
  napi_value nul;
  napi_get_null(env, &nul);
  napi_create_object(env, &out);
  napi_set_named_property(env, out, "pid", make_int(env, r));
  napi_set_named_property(env, out, "exitCode", WIFEXITED(status) ? make_int(env, WEXITSTATUS(status)) : nul);
  napi_set_named_property(env, out, "signal", WIFSIGNALED(status) ? make_int(env, WTERMSIG(status)) : nul);
  return out;
}

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

/* setCloexec(fd): sets FD_CLOEXEC. The fds an upgraded shim takes over
 * came through execve inheritable; left so, they would go to every child it
 * starts (runc, health checks), and a pipe held open there would keep the
 * container from seeing its stdin close. */
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
 * by throwing, with keepFds' flags as they were. Used by `lrctl shim
 * upgrade`: the shim re-executes the installed code in place. */
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
  /* the shim runs on after a failed exec: a kept fd left inheritable would
   * leak into every child it starts later (runc exec, health checks) */
  if (restore_fd_flags(fds, was, cleared) != 0) what = "execve failed, and a kept fd's flags could not be put back";
  free_strings(args, n);
  free(path);
  return throw_errno(env, what, err);
}
