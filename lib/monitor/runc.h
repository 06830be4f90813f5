/* Runs runc (and tar) as children, without blocking the container's
 * output: while one runs, the loop serves the core set only. The only code
 * here that knows runc's command line is the argv each caller builds; the
 * global options (--root, --log, --log-format json) are added here. */
#ifndef LRCTL_RUNC_H
#define LRCTL_RUNC_H
#include <stdbool.h>
#include <sys/types.h>
#include "state.h"

struct call {
  pid_t pid;
  bool done;
  int status;
  int err_fd; /* stderr, kept up to ERR_KEEP bytes */
  char err[2048];
  size_t err_len;
  long long log_offset;
};

/* In a forked child, before exec: stdio from src (-1: /dev/null), no blocked or
 * ignored signals, an ordinary OOM score; own_group: a process group of its own. */
void child_setup(const int src[3], bool own_group);
/* Starts `bin args...` (for runc: with its global options) with stdin, stdout and
 * stderr from `fds` (-1: /dev/null; NULL: stdout to /dev/null and stderr captured). */
int call_spawn(struct call *c, bool runc, const char *const *args, const int *fds, struct err *e);
/* call_spawn, with `done` called at its exit instead (nobody waits for it). */
int call_spawn_then(struct call *c, bool runc, const char *const *args, const int *fds, struct err *e, void (*done)(int, void *), void *arg);
/* Waits for it, serving the core set; -1 with `e` set (runc's own last error) when it failed. */
int call_wait(struct call *c, const char *what, struct err *e);
/* call_spawn + call_wait. */
int runc_do(const char *what, const char *const *args, struct err *e);
/* runc_do in a process group of its own, killed once runc has exited: for
 * calls whose helpers (CRIU) would outlive a killed runc. */
int runc_do_grouped(const char *what, const char *const *args, struct err *e);
/* Like runc_do but the error is only logged. */
void runc_quiet(const char *const *args);
/* runc's message for a failed call: already gone (kill's intent met). */
bool err_is_gone(const struct err *e);
#endif
