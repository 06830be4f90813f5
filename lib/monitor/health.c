#define _GNU_SOURCE
#include "health.h"
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/wait.h>
#include <unistd.h>
#include "children.h"
#include "diag.h"
#include "lifecycle.h"
#include "log.h"
#include "loop.h"
#include "monitor.h"
#include "runc.h"
#include "state.h"

/* lib/supervision/health.ts: Docker keeps 5 results, each with at most 4096 bytes of output */
#define LOG_ENTRIES 5
#define OUTPUT_BYTES 4096
/* after the timeout runc exec gets SIGTERM (passed on to the check), then SIGKILL */
#define KILL_GRACE_MS 1000

static struct timer tick, deadline;
static bool ready, busy, timed_out, killed;
static long long run_since, started_at;
static struct call check;
static struct watch w_out;
static char output[OUTPUT_BYTES + 1];
static size_t out_len;
static bool exited, out_done;

static void finish_check(void);

static void on_output(struct watch *w, uint32_t events) {
  (void)events;
  char buf[1024];
  ssize_t n = read(w->fd, buf, sizeof buf);
  if (n < 0 && (errno == EAGAIN || errno == EINTR)) return;
  if (n <= 0) {
    loop_del(w);
    close(w->fd);
    w->fd = -1;
    out_done = true;
    if (exited) finish_check();
    return;
  }
  size_t keep = OUTPUT_BYTES - out_len < (size_t)n ? OUTPUT_BYTES - out_len : (size_t)n;
  memcpy(output + out_len, buf, keep);
  out_len += keep;
}

static void on_exit_of(int status, void *arg) {
  (void)arg;
  check.status = status;
  exited = true;
  if (out_done) finish_check();
}

static void on_deadline(void *arg) {
  (void)arg;
  if (!busy) return;
  if (!timed_out) {
    timed_out = true;
    kill(check.pid, SIGTERM);
    timer_arm(&deadline, KILL_GRACE_MS, 0);
  } else if (!killed) {
    killed = true;
    kill(check.pid, SIGKILL);
  }
}

static const char *health_status(void) {
  json_t *h = json_object_get(M.state, "healthCheck");
  const char *s = json_string_value(json_object_get(h, "status"));
  return s ? s : "starting";
}

/* recordHealthResult of lib/supervision/health.ts: failures within the start period do not count. */
static void record(json_t *result, bool ok, bool in_start_period) {
  json_t *before = json_object_get(M.state, "healthCheck");
  json_t *h = json_is_object(before) ? json_deep_copy(before) : json_pack("{s:s, s:i, s:[]}", "status", "starting", "failingStreak", 0, "log");
  json_t *log = json_object_get(h, "log");
  if (!json_is_array(log)) json_object_set_new(h, "log", log = json_array());
  json_array_append_new(log, result);
  while (json_array_size(log) > LOG_ENTRIES) json_array_remove(log, 0);
  char was[16];
  snprintf(was, sizeof was, "%s", health_status());
  long long streak = json_integer_value(json_object_get(h, "failingStreak"));
  if (ok) {
    json_object_set_new(h, "status", json_string("healthy"));
    json_object_set_new(h, "failingStreak", json_integer(0));
  } else if (!(in_start_period && !strcmp(was, "starting"))) {
    streak++;
    json_object_set_new(h, "failingStreak", json_integer(streak));
    if (streak >= M.cfg.health_retries) json_object_set_new(h, "status", json_string("unhealthy"));
  }
  const char *now = json_string_value(json_object_get(h, "status"));
  bool changed = strcmp(now, was) != 0;
  bool unhealthy = changed && !strcmp(now, "unhealthy");
  if (changed) {
    diag_info("health: %s", now);
    if (unhealthy) log_note("health check: unhealthy after %lld failed checks", streak);
    else log_note("health check: %s", now);
  }
  state_set(ST_RUNNING, json_pack("{s:o}", "healthCheck", h));
  if (unhealthy && M.cfg.health_restart) lifecycle_restart_unhealthy();
}

static void finish_check(void) {
  busy = false;
  timer_stop(&deadline);
  output[out_len] = 0;
  int code = WIFEXITED(check.status) ? WEXITSTATUS(check.status) : -1;
  char text[OUTPUT_BYTES + 128];
  if (timed_out) snprintf(text, sizeof text, "%scheck timed out after %lld ms", output, M.cfg.health_timeout);
  else snprintf(text, sizeof text, "%s", output);
  /* the run it checked has ended meanwhile: its result says nothing of the next one */
  if (state_status() != ST_RUNNING || started_at < run_since) return;
  json_t *r = json_pack("{s:o, s:o, s:o, s:s%}", "start", json_time(started_at), "end", json_time(now_ms()), "exitCode",
                        timed_out || code < 0 ? json_null() : json_integer(code), "output", text, strnlen(text, sizeof text));
  if (!r) r = json_pack("{s:o, s:o, s:n, s:s}", "start", json_time(started_at), "end", json_time(now_ms()), "exitCode", "output", "");
  record(r, !timed_out && code == 0, now_ms() - run_since < M.cfg.health_start_period);
}

static void on_tick(void *arg) {
  (void)arg;
  /* paused, checkpointing, restarting: nothing to check */
  if (busy || state_status() != ST_RUNNING) return;
  int p[2];
  if (pipe2(p, O_CLOEXEC) < 0) return diag_warn("health check: %s", strerror(errno));
  const char *args[] = {"exec", M.id, "sh", "-c", M.cfg.health_cmd, NULL};
  int fds[3] = {-1, p[1], p[1]};
  struct err e;
  started_at = now_ms();
  out_len = 0;
  exited = out_done = timed_out = killed = false;
  int rc = call_spawn_then(&check, true, args, fds, &e, on_exit_of, NULL);
  close(p[1]);
  if (rc < 0) {
    close(p[0]);
    json_t *r = json_pack("{s:o, s:o, s:n, s:s+}", "start", json_time(started_at), "end", json_time(now_ms()), "exitCode", "output",
                          "cannot run the check: ", e.msg);
    return record(r, false, now_ms() - run_since < M.cfg.health_start_period);
  }
  busy = true;
  fcntl(p[0], F_SETFL, O_NONBLOCK);
  w_out = (struct watch){.fd = p[0], .fn = on_output, .core = false};
  loop_add(&w_out, EPOLLIN);
  timer_arm(&deadline, M.cfg.health_timeout, 0);
}

void health_resume(long long since) {
  if (!M.cfg.health_cmd) return;
  if (!ready) {
    timer_init(&tick, false, on_tick, NULL);
    timer_init(&deadline, false, on_deadline, NULL);
    ready = true;
  }
  run_since = since;
  timer_arm(&tick, M.cfg.health_interval, M.cfg.health_interval);
}

void health_begin(json_t *patch) {
  if (!M.cfg.health_cmd) return;
  json_object_set_new(patch, "healthCheck", json_pack("{s:s, s:i, s:[]}", "status", "starting", "failingStreak", 0, "log"));
  health_resume(now_ms());
}

void health_end(void) {
  if (ready) timer_stop(&tick);
}
