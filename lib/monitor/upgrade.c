#define _GNU_SOURCE
#include "upgrade.h"
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "checkpoint.h"
#include "children.h"
#include "control.h"
#include "diag.h"
#include "lifecycle.h"
#include "log.h"
#include "monitor.h"
#include "stdio.h"

extern char **environ;

static void set_cloexec(int fd, bool on) {
  int f = fcntl(fd, F_GETFD);
  if (f >= 0) fcntl(fd, F_SETFD, on ? f | FD_CLOEXEC : f & ~FD_CLOEXEC);
}

int upgrade_reexec(struct err *e) {
  enum status s = state_status();
  /* statuses with a container to hand over and no runc call in flight */
  if (s != ST_CREATED && s != ST_RUNNING && s != ST_PAUSED && s != ST_RESTARTING) {
    err_set(e, "ESTATE", "cannot upgrade the shim of %s: the container is %s; try again once it is running", M.id, status_name(s));
    return -1;
  }
  bool restarting = s == ST_RESTARTING;
  if ((!restarting && IO.out < 0) || control_fd() < 0 || log_fd() < 0) {
    err_set(e, "EINTERNAL", "the shim of %s cannot hand over its files", M.id);
    return -1;
  }
  json_t *stdio = restarting ? json_null()
                  : IO.pty   ? json_pack("{s:s, s:i}", "kind", "pty", "master", IO.out)
                             : json_pack("{s:s, s:i, s:i, s:o}", "kind", "pipes", "out", IO.out, "err", IO.err, "stdin",
                                         IO.in >= 0 ? json_integer(IO.in) : json_null());
  json_t *h = json_pack("{s:i, s:o, s:o, s:i, s:i, s:{s:o, s:I, s:o}}", "format", 1, "initPid",
                        restarting || !M.init_pid ? json_null() : json_integer(M.init_pid), "stdio", stdio, "log", log_fd(), "server",
                        control_fd(), "continuation", "lastDelayMs", M.last_delay_ms < 0 ? json_null() : json_integer(M.last_delay_ms),
                        "runSince", (json_int_t)M.run_since_ms, "restoreFrom", json_str_or_null(M.restore_from));
  char *text = json_dumps(h, JSON_COMPACT);
  json_decref(h);
  if (!text || write_file_atomic(M.p.handover, text, strlen(text)) < 0) {
    free(text);
    err_set(e, "ERUNTIME", "the shim of %s could not write its handover: %s", M.id, strerror(errno));
    return -1;
  }
  free(text);
  int keep[] = {log_fd(), control_fd(), restarting ? -1 : IO.out, restarting || IO.pty ? -1 : IO.err, restarting || IO.pty ? -1 : IO.in};
  lifecycle_quiesce();
  /* the new code counts on from state.json: a count not told yet goes there first */
  log_flush_dropped();
  long long gen = json_integer_value(json_object_get(M.state, "shimGeneration"));
  diag_info("re-executing for an upgrade (generation %lld)", gen + 1);
  for (size_t i = 0; i < sizeof keep / sizeof *keep; i++)
    if (keep[i] >= 0) set_cloexec(keep[i], false);
  const char *argv[] = {M.self, "--socket", M.p.socket, "--console-socket", M.p.console, M.root, M.id, "--adopt", M.p.handover, NULL};
  /* the signal mask crosses exec: the new image blocks SIGCHLD itself */
  execve(M.self, (char *const *)argv, environ);
  int saved = errno;
  for (size_t i = 0; i < sizeof keep / sizeof *keep; i++)
    if (keep[i] >= 0) set_cloexec(keep[i], true);
  unlink(M.p.handover);
  lifecycle_resume();
  schedule_start();
  err_set(e, "ERUNTIME", "the shim of %s could not re-execute: %s", M.id, strerror(saved));
  return -1;
}

static int fd_of(json_t *o, const char *k) {
  json_t *v = json_object_get(o, k);
  if (!json_is_integer(v)) return -1;
  int fd = (int)json_integer_value(v);
  /* an fd named in the file must be open here: it came through the exec */
  if (fd < 0 || fcntl(fd, F_GETFD) < 0) return -1;
  set_cloexec(fd, true);
  return fd;
}

int upgrade_adopt(const char *path) {
  json_error_t je;
  json_t *h = json_load_file(path, 0, &je);
  unlink(path);
  if (!h || json_integer_value(json_object_get(h, "format")) != 1) {
    diag_error("taking over after the upgrade failed: unreadable handover %s", path);
    json_decref(h);
    return -1;
  }
  int logfd = fd_of(h, "log"), server = fd_of(h, "server");
  json_t *stdio = json_object_get(h, "stdio"), *cont = json_object_get(h, "continuation");
  json_t *init = json_object_get(h, "initPid");
  struct err e;
  if (logfd < 0 || server < 0) {
    diag_error("taking over after the upgrade failed: the handover names no open log or socket");
    json_decref(h);
    return -1;
  }
  if (log_open(logfd, json_integer_value(json_object_get(M.state, "logDroppedBytes"))) < 0 || control_listen(server, &e) < 0) {
    diag_error("taking over after the upgrade failed: %s", e.msg);
    json_decref(h);
    return -1;
  }
  if (json_is_object(stdio) && json_is_integer(init)) {
    const char *kind = json_string_value(json_object_get(stdio, "kind"));
    bool pty = kind && !strcmp(kind, "pty");
    json_t *ps = json_object_get(M.state, "pipeSize");
    stdio_adopt(pty, fd_of(stdio, pty ? "master" : "out"), pty ? -1 : fd_of(stdio, "err"), pty ? -1 : fd_of(stdio, "stdin"),
                json_is_integer(ps) ? json_integer_value(ps) : -1);
    M.init_pid = (pid_t)json_integer_value(init);
    stdio_watch();
  }
  json_t *delay = json_object_get(cont, "lastDelayMs"), *since = json_object_get(cont, "runSince");
  const char *from = json_string_value(json_object_get(cont, "restoreFrom"));
  M.last_delay_ms = json_is_integer(delay) ? json_integer_value(delay) : -1;
  M.run_since_ms = json_is_number(since) ? (long long)json_number_value(since) : now_ms();
  M.restore_from = from ? strdup(from) : NULL;
  json_decref(h);
  /* an exit while no code watched: the zombie is reaped now */
  children_reap();
  return 0;
}
