#define _GNU_SOURCE
#include "lifecycle.h"
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include "checkpoint.h"
#include "children.h"
#include "control.h"
#include "diag.h"
#include "health.h"
#include "log.h"
#include "oom.h"
#include "loop.h"
#include "monitor.h"
#include "proc.h"
#include "runc.h"
#include "stdio.h"

/* After the init exits, wait this long for the last output before publishing the exit. */
#define DRAIN_TIMEOUT_MS 5000
/* --health-on-unhealthy restart: the stop signal, then SIGKILL after --stop-timeout, else this (docker stop's default). */
#define UNHEALTHY_STOP_GRACE_MS 10000
/* lib/supervision/restart-policy.ts: 100 ms doubling to 60 s; reset after a 10 s run */
#define FIRST_BACKOFF_MS 100
#define MAX_BACKOFF_MS 60000
#define BACKOFF_RESET_AFTER_MS 10000

static struct timer restart_timer, stop_timer;
static bool timers_ready;
static int pending_code = -2; /* the init's exit until the status is published (tell_exit) */
static char pending_signal[16];
static bool pending_has_signal;

static void relaunch(void *arg);
static void stop_grace(void *arg);

static void ensure_timers(void) {
  if (timers_ready) return;
  timer_init(&restart_timer, false, relaunch, NULL);
  timer_init(&stop_timer, false, stop_grace, NULL);
  timers_ready = true;
}

static void tell_exit(void) {
  if (pending_code == -2) return;
  control_exit(pending_code, pending_has_signal ? pending_signal : NULL);
  pending_code = -2;
}

static int read_pid_file(pid_t *pid) {
  char buf[32] = "";
  int fd = open(M.p.pid_file, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return -1;
  ssize_t n = read(fd, buf, sizeof buf - 1);
  /* runc writes it 0666 less the umask; every file of ours is 0600 */
  fchmod(fd, 0600);
  close(fd);
  if (n <= 0) return -1;
  buf[n] = 0;
  *pid = (pid_t)atoi(buf);
  return *pid > 0 ? 0 : -1;
}

/* runc restore -d of a checkpoint's images; CRIU's work files (restore.log) are kept for diagnosis. */
static int restore(const char *checkpoint, const int fds[3], struct err *e) {
  char work[PATH_MAX], images[PATH_MAX], log[PATH_MAX + 16];
  path_join(work, M.p.dir, "restore-work");
  path_join(images, checkpoint, "criu");
  remove_tree(work);
  if (mkdir(work, 0700) < 0 || chmod(work, 0700) < 0) {
    err_set(e, "ERUNTIME", "cannot make %s: %s", work, strerror(errno));
    return -1;
  }
  const char *args[16] = {"restore", "--detach", "--bundle", M.p.bundle, "--pid-file", M.p.pid_file, "--image-path", images, "--work-path", work};
  int n = 10;
  /* from a scheduled checkpoint: its connections were dumped with --checkpoint-tcp-established */
  if (M.restore_from ? M.cfg.every_tcp : M.cfg.restore_tcp) args[n++] = "--tcp-established";
  if (M.cfg.restore_locks && !M.restore_from) args[n++] = "--file-locks";
  args[n++] = M.id;
  args[n] = NULL;
  struct call c;
  if (call_spawn(&c, true, args, fds, e) < 0 || call_wait(&c, "runc restore", e) < 0) {
    snprintf(log, sizeof log, "%s/restore.log", work);
    char why[512];
    if (criu_error(log, why, sizeof why)) err_set(e, "ERUNTIME", "runc restore failed: %s (CRIU log: %s)", why, log);
    return -1;
  }
  return 0;
}

int launch(const char *restore_from, bool start, bool keep_started_at, struct err *e) {
  char runc_state[PATH_MAX];
  path_join(runc_state, M.p.runc_root, M.id);
  struct stat st;
  const char *del[] = {"delete", "--force", M.id, NULL};
  /* a run before this one (or another boot) may have left runc's record behind */
  if (stat(runc_state, &st) == 0) runc_quiet(del);
  bool start_now = start && !restore_from;
  if (M.cfg.tty ? stdio_console_listen(e) : stdio_pipes(e)) return -1;
  /* watched from now on, while runc runs: epoll then reports the streams in
   * the order the container first wrote to them (a pty: once runc sends it) */
  if (!M.cfg.tty) stdio_watch();
  int fds[3] = {IO.child_in, IO.child_out, IO.child_err};
  int rc;
  if (restore_from)
    rc = restore(restore_from, fds, e);
  else {
    const char *args[12];
    int n = 0;
    if (start_now) {
      args[n++] = "run";
      args[n++] = "--detach";
    } else
      args[n++] = "create";
    args[n++] = "--bundle";
    args[n++] = M.p.bundle;
    args[n++] = "--pid-file";
    args[n++] = M.p.pid_file;
    if (M.cfg.tty) {
      args[n++] = "--console-socket";
      args[n++] = M.p.console;
    }
    args[n++] = M.id;
    args[n] = NULL;
    struct call c;
    /* a tty container's runc gets no stdio of ours: its output is the pty's */
    int none[3] = {-1, -1, -1};
    rc = call_spawn(&c, true, args, M.cfg.tty ? none : fds, e);
    if (rc == 0 && M.cfg.tty && stdio_take_pty(c.pid, e) < 0) {
      struct err ignored;
      call_wait(&c, "runc create", &ignored);
      rc = -1;
    } else if (rc == 0) {
      if (M.cfg.tty) stdio_watch();
      rc = call_wait(&c, start_now ? "runc run" : "runc create", e);
    }
  }
  pid_t pid = 0;
  if (rc == 0 && read_pid_file(&pid) < 0) {
    err_set(e, "ERUNTIME", "runc left no pid file %s", M.p.pid_file);
    rc = -1;
  }
  if (rc < 0) {
    /* a failed launch closes every fd it made: under --restart always it is tried again and again */
    stdio_close();
    return -1;
  }
  stdio_close_child_ends();
  M.init_pid = pid;
  M.init_exited = false;
  /* the init may have exited already (reaped while runc ran, or now): handled by the main loop */
  children_reap();
  if (!M.init_exited && children_claim(pid, &M.init_status)) M.init_exited = true;
  json_t *patch = json_pack("{s:i, s:o, s:n}", "initPid", (int)pid, "pipeSize", IO.pipe_size < 0 ? json_null() : json_integer(IO.pipe_size),
                            "nextRestartAt");
  /* health starts over (before the status says running, so no reader sees the last run's) */
  if (keep_started_at)
    health_resume(M.run_since_ms);
  else {
    M.run_since_ms = now_ms();
    health_begin(patch);
  }
  if (restore_from || start_now) {
    if (!keep_started_at) json_object_set_new(patch, "startedAt", json_time(now_ms()));
    state_set(ST_RUNNING, patch);
  } else
    state_set(ST_CREATED, patch);
  return 0;
}

static bool drained(void *arg) {
  (void)arg;
  return stdio_drained();
}

/* A run ended (or could not start): restart it, or finish. */
static void after_exit(json_t *record, const char *error) {
  const char *reason = M.restart_reason;
  M.restart_reason = NULL;
  json_t *code = json_object_get(record, "exitCode");
  long long count = json_integer_value(json_object_get(M.state, "restartCount"));
  bool by_user = json_is_true(json_object_get(M.state, "stoppedByUser"));
  bool policy = false;
  switch (M.cfg.restart) {
  case RESTART_NO:
    break;
  case RESTART_ALWAYS:
  case RESTART_UNLESS_STOPPED:
    policy = true;
    break;
  case RESTART_ON_FAILURE:
    policy = !(json_is_integer(code) && json_integer_value(code) == 0) && (M.cfg.restart_max < 0 || count < M.cfg.restart_max);
  }
  if (by_user || (!reason && !policy)) return lifecycle_finish(ST_STOPPED, record, error);
  long long ran_for = now_ms() - M.run_since_ms;
  long long delay = M.last_delay_ms < 0 || ran_for >= BACKOFF_RESET_AFTER_MS ? FIRST_BACKOFF_MS
                    : M.last_delay_ms * 2 > MAX_BACKOFF_MS                   ? MAX_BACKOFF_MS
                                                                             : M.last_delay_ms * 2;
  M.last_delay_ms = delay;
  char how[600], why[64];
  const char *sig = json_string_value(json_object_get(record, "signal"));
  if (!json_is_integer(code)) snprintf(how, sizeof how, error ? "could not start (%s)" : "stopped", error);
  else if (sig) snprintf(how, sizeof how, "was killed by %s", sig);
  else snprintf(how, sizeof how, "exited with code %lld", (long long)json_integer_value(code));
  char policy_text[64];
  snprintf(policy_text, sizeof policy_text, "%s", json_string_value(json_object_get(M.state, "restartPolicy")));
  snprintf(why, sizeof why, "restart policy %s", policy_text);
  log_note("container %s; restart %lld in %lld ms (%s)", how, count + 1, delay, reason ? reason : why);
  json_t *patch = json_deep_copy(record);
  json_object_set(patch, "lastExit", record);
  json_object_set_new(patch, "restartCount", json_integer(count + 1));
  json_object_set_new(patch, "error", json_str_or_null(error));
  json_object_set_new(patch, "nextRestartAt", json_time(now_ms() + delay));
  json_decref(record);
  state_set(ST_RESTARTING, patch);
  tell_exit();
  ensure_timers();
  timer_arm(&restart_timer, delay, 0);
}

/* oomKilled: the kernel's OOM killer killed a process of the container in this run (Docker's OOMKilled) */
static json_t *exit_record(int code, const char *sig, bool oom) {
  return json_pack("{s:o, s:o, s:o, s:b}", "exitCode", code < 0 ? json_null() : json_integer(code), "signal", json_str_or_null(sig), "finishedAt",
                   json_time(now_ms()), "oomKilled", oom);
}

static void relaunch(void *arg) {
  (void)arg;
  /* stop cancelled it meanwhile */
  if (state_status() != ST_RESTARTING) return;
  struct err e;
  if (launch(NULL, true, false, &e) == 0) return;
  diag_warn("restart failed: %s", e.msg);
  const char *del[] = {"delete", "--force", M.id, NULL};
  runc_quiet(del);
  after_exit(exit_record(-1, NULL, false), e.msg);
}

void lifecycle_on_exit(void) {
  if (!M.init_exited) return;
  M.init_exited = false;
  int st = M.init_status;
  int code = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
  char sigbuf[16];
  const char *sig = WIFSIGNALED(st) ? signal_name(WTERMSIG(st), sigbuf) : NULL;
  diag_info("init exited: code %d%s%s", code, sig ? " signal " : "", sig ? sig : "");
  health_end();
  timer_stop(&stop_timer);
  loop_wait_core(drained, NULL, DRAIN_TIMEOUT_MS);
  stdio_close();
  M.init_pid = 0;
  /* read before runc delete removes the cgroup */
  bool oom = oom_killed();
  const char *del[] = {"delete", "--force", M.id, NULL};
  runc_quiet(del);
  /* attached clients hear of the exit once the status says what came of it */
  pending_code = code;
  pending_has_signal = sig != NULL;
  if (sig) snprintf(pending_signal, sizeof pending_signal, "%s", sig);
  json_t *record = exit_record(code, sig, oom);
  bool by_user = json_is_true(json_object_get(M.state, "stoppedByUser"));
  if (M.restore_from && M.checkpointed_as && !by_user) {
    /* a scheduled checkpoint stopped it: back at once, from that checkpoint */
    char *from = M.restore_from;
    free(M.checkpointed_as);
    M.checkpointed_as = NULL;
    state_set(ST_CHECKPOINTED, json_pack("{s:n, s:n, s:o}", "exitCode", "signal", "finishedAt", json_time(now_ms())));
    tell_exit();
    state_set(ST_RESTORING, NULL);
    struct err e;
    int rc = launch(from, true, true, &e);
    M.restore_from = NULL;
    free(from);
    json_decref(record);
    if (rc == 0) return;
    log_note("restoring from the scheduled checkpoint failed: %s", e.msg);
    return after_exit(exit_record(-1, NULL, false), e.msg);
  }
  free(M.restore_from);
  M.restore_from = NULL;
  if (M.checkpointed_as) return lifecycle_finish(ST_CHECKPOINTED, record, NULL);
  after_exit(record, NULL);
}

static void stop_grace(void *arg) {
  (void)arg;
  const char *k[] = {"kill", M.id, "SIGKILL", NULL};
  runc_quiet(k);
}

void lifecycle_restart_unhealthy(void) {
  if (state_status() != ST_RUNNING || json_is_true(json_object_get(M.state, "stoppedByUser"))) return;
  M.restart_reason = "the health check failed";
  const char *k[] = {"kill", M.id, M.cfg.stop_signal ? M.cfg.stop_signal : "SIGTERM", NULL};
  runc_quiet(k);
  ensure_timers();
  timer_arm(&stop_timer, M.cfg.stop_timeout >= 0 ? M.cfg.stop_timeout * 1000 : UNHEALTHY_STOP_GRACE_MS, 0);
}

void lifecycle_resume(void) {
  ensure_timers();
  health_resume(M.run_since_ms);
  if (state_status() == ST_RESTARTING) {
    const char *at = json_string_value(json_object_get(M.state, "nextRestartAt"));
    long long when = at ? parse_iso_ms(at) : 0;
    long long left = when > 0 ? when - now_ms() : 0;
    timer_arm(&restart_timer, left > 0 ? left : 0, 0);
  }
}

void lifecycle_quiesce(void) {
  health_end();
  schedule_stop();
  if (timers_ready) {
    timer_stop(&restart_timer);
    timer_stop(&stop_timer);
  }
}

void lifecycle_finish(enum status status, json_t *record, const char *error) {
  lifecycle_quiesce();
  json_t *last = record ? record : json_incref(json_object_get(M.state, "lastExit"));
  if (!json_is_object(last)) {
    json_decref(last);
    last = NULL;
  }
  json_t *finished = last ? json_object_get(last, "finishedAt") : NULL;
  json_t *patch = json_pack("{s:O, s:n, s:I}", "finishedAt", finished ? finished : json_time(now_ms()), "nextRestartAt", "logDroppedBytes",
                            (json_int_t)log_dropped());
  if (!finished) json_decref(json_object_get(patch, "finishedAt"));
  if (status == ST_CHECKPOINTED) {
    /* stopped by a checkpoint: restorable, not a failure (no exit code to report) */
    json_object_set_new(patch, "exitCode", json_null());
    json_object_set_new(patch, "signal", json_null());
    json_object_set_new(patch, "checkpoint", json_str_or_null(M.checkpointed_as));
  } else {
    json_object_set(patch, "exitCode", last ? json_object_get(last, "exitCode") : json_null());
    json_object_set(patch, "signal", last ? json_object_get(last, "signal") : json_null());
    json_object_set(patch, "lastExit", last ? last : json_null());
    if (error) json_object_set_new(patch, "error", json_string(error));
  }
  json_decref(last);
  state_set(status, patch);
  tell_exit();
  /* connections open now get their answers (main.c flushes them before the monitor ends) */
  control_stop_listening();
  unlink(M.p.socket);
  unlink(M.p.pid_file);
  /* the log is complete when the status says so; fsynced after the status, so that wait and a foreground run do not wait for the disk */
  log_close();
  M.finishing = true;
}

int op_start(struct err *e) {
  if (!state_accepts(OP_START, e)) return -1;
  const char *a[] = {"start", M.id, NULL};
  if (runc_do("runc start", a, e) < 0) return -1;
  /* the init may already have exited; its exit is handled after this and moves on to stopped */
  state_set(ST_RUNNING, json_pack("{s:o}", "startedAt", json_time(now_ms())));
  return 0;
}

int op_pause(bool pause, struct err *e) {
  if (!state_accepts(pause ? OP_PAUSE : OP_RESUME, e)) return -1;
  const char *a[] = {pause ? "pause" : "resume", M.id, NULL};
  if (runc_do(pause ? "runc pause" : "runc resume", a, e) < 0) return -1;
  state_set(pause ? ST_PAUSED : ST_RUNNING, NULL);
  return 0;
}

int op_kill(const char *signal, bool stop, struct err *e) {
  if (stop) {
    if (!json_is_true(json_object_get(M.state, "stoppedByUser"))) state_patch(json_pack("{s:b}", "stoppedByUser", 1));
    enum status s = state_status();
    if (s == ST_RESTARTING) {
      lifecycle_finish(ST_STOPPED, NULL, NULL);
      return 0;
    }
    /* a checkpoint has stopped it and its exit is queued: that exit now ends the container */
    if (s == ST_CHECKPOINTING && M.checkpointed_as) return 0;
  }
  if (!state_accepts(OP_KILL, e)) return -1;
  /* stop and rm -f of a paused container thaw it first, as docker stop does: a frozen process takes no signal */
  if (stop && state_status() == ST_PAUSED) {
    const char *r[] = {"resume", M.id, NULL};
    if (runc_do("runc resume", r, e) < 0) return -1;
    state_set(ST_RUNNING, NULL);
  }
  const char *a[] = {"kill", M.id, signal, NULL};
  if (runc_do("runc kill", a, e) < 0 && !err_is_gone(e)) return -1;
  return 0;
}
