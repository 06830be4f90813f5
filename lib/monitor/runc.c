#define _GNU_SOURCE
#include "runc.h"
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include "children.h"
#include "diag.h"
#include "loop.h"
#include "monitor.h"

extern char **environ;
#define MAX_ARGS 64
#define GROUP_GONE_MS 10000

static void on_exit_of(int status, void *arg) {
  struct call *c = arg;
  c->status = status;
  c->done = true;
}

/* In the child, before exec: stdio from src (-1: /dev/null), no blocked or
 * ignored signals (the monitor blocks SIGCHLD for its signalfd, ignores
 * SIGPIPE), and the OOM score of an ordinary process, not the monitor's. */
void child_setup(const int src[3], bool own_group) {
  if (own_group) setpgid(0, 0);
  sigset_t none;
  sigemptyset(&none);
  sigprocmask(SIG_SETMASK, &none, NULL);
  signal(SIGPIPE, SIG_DFL);
  signal(SIGHUP, SIG_DFL);
  signal(SIGXFSZ, SIG_DFL);
  int oom = open("/proc/self/oom_score_adj", O_WRONLY | O_CLOEXEC);
  if (oom >= 0) {
    if (write(oom, "0", 1) < 0) {
      /* runc still runs; the container's score is then the monitor's */
    }
    close(oom);
  }
  for (int i = 0; i < 3; i++) {
    int fd = src[i] >= 0 ? src[i] : open("/dev/null", i ? O_WRONLY : O_RDONLY);
    if (fd < 0) _exit(126);
    if (fd == i) fcntl(fd, F_SETFD, 0);
    else if (dup2(fd, i) < 0) _exit(126);
  }
}

static long long file_size(const char *path) {
  struct stat st;
  return stat(path, &st) == 0 ? (long long)st.st_size : 0;
}

int call_spawn(struct call *c, bool runc, const char *const *args, const int *fds, struct err *e) {
  return call_spawn_then(c, runc, args, fds, e, on_exit_of, c);
}

static int spawn(struct call *c, bool runc, const char *const *args, const int *fds, struct err *e, void (*done)(int, void *), void *arg,
                 bool own_group) {
  const char *argv[MAX_ARGS];
  int n = 0;
  argv[n++] = runc ? M.cfg.runc : args[0];
  if (runc) {
    const char *g[] = {"--root", M.p.runc_root, "--log", M.p.runc_log, "--log-format", "json"};
    for (size_t i = 0; i < sizeof g / sizeof *g; i++) argv[n++] = g[i];
  }
  for (int i = runc ? 0 : 1; args[i] && n < MAX_ARGS - 1; i++) argv[n++] = args[i];
  argv[n] = NULL;
  memset(c, 0, sizeof *c);
  c->err_fd = -1;
  c->log_offset = runc ? file_size(M.p.runc_log) : 0;
  int errp[2] = {-1, -1};
  if (!fds && pipe2(errp, O_CLOEXEC) < 0) {
    err_set(e, "ERUNTIME", "cannot start %s: %s", argv[0], strerror(errno));
    return -1;
  }
  /* reports the child's exec failure (the pipe closes on a successful exec) */
  int execp[2];
  if (pipe2(execp, O_CLOEXEC) < 0) {
    if (errp[0] >= 0) close(errp[0]), close(errp[1]);
    err_set(e, "ERUNTIME", "cannot start %s: %s", argv[0], strerror(errno));
    return -1;
  }
  pid_t pid = fork();
  if (pid == 0) {
    int src[3] = {fds ? fds[0] : -1, fds ? fds[1] : -1, fds ? fds[2] : errp[1]};
    child_setup(src, own_group);
    execvp(argv[0], (char *const *)argv);
    int err = errno;
    if (write(execp[1], &err, sizeof err) < 0) _exit(127);
    _exit(127);
  }
  int r = pid < 0 ? errno : 0;
  /* also here, so the group exists before anything can be killed through it */
  if (pid > 0 && own_group) setpgid(pid, pid);
  close(execp[1]);
  if (pid > 0) {
    int err;
    ssize_t n;
    while ((n = read(execp[0], &err, sizeof err)) < 0 && errno == EINTR) {
    }
    if (n == sizeof err) {
      r = err;
      waitpid(pid, NULL, 0);
    }
  }
  close(execp[0]);
  if (errp[1] >= 0) close(errp[1]);
  if (r != 0) {
    if (errp[0] >= 0) close(errp[0]);
    if (runc && r == ENOENT) err_set(e, "EDEPS", "runc not found: %s (install it with scripts/setup.sh, or set LRCTL_RUNC)", argv[0]);
    else err_set(e, "ERUNTIME", "cannot start %s: %s", argv[0], strerror(r));
    return -1;
  }
  c->pid = pid;
  c->err_fd = errp[0];
  if (c->err_fd >= 0) fcntl(c->err_fd, F_SETFL, O_NONBLOCK);
  children_track(c->pid, done, arg);
  return 0;
}

int call_spawn_then(struct call *c, bool runc, const char *const *args, const int *fds, struct err *e, void (*done)(int, void *), void *arg) {
  return spawn(c, runc, args, fds, e, done, arg, false);
}

static void read_err(struct call *c) {
  while (c->err_fd >= 0) {
    char buf[1024];
    ssize_t n = read(c->err_fd, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return;
    size_t keep = sizeof c->err - 1 - c->err_len;
    if ((size_t)n < keep) keep = (size_t)n;
    memcpy(c->err + c->err_len, buf, keep);
    c->err_len += keep;
  }
}

static bool call_done(void *arg) {
  struct call *c = arg;
  read_err(c);
  return c->done;
}

/* The message of the last error-level entry appended to runc's JSON log after `offset`. */
static bool last_runc_error(long long offset, char *out, size_t len) {
  FILE *f = fopen(M.p.runc_log, "re");
  if (!f) return false;
  bool found = false;
  if (fseek(f, offset, SEEK_SET) == 0) {
    char *line = NULL;
    size_t cap = 0;
    while (getline(&line, &cap, f) > 0) {
      json_t *j = json_loads(line, 0, NULL);
      const char *level = json_string_value(json_object_get(j, "level"));
      const char *msg = json_string_value(json_object_get(j, "msg"));
      if (level && msg && *msg && (!strcmp(level, "error") || !strcmp(level, "fatal"))) {
        snprintf(out, len, "%s", msg);
        found = true;
      }
      json_decref(j);
    }
    free(line);
  }
  fclose(f);
  return found;
}

/* lib/runc/runc.ts classifyRuncError: the one place that reads meaning into runc's words. */
static const char *classify(const char *t) {
  if (strcasestr(t, "exec: ") && (strcasestr(t, "executable file not found") || strcasestr(t, "no such file or directory"))) return "not-found";
  if (strcasestr(t, "exec: ") && strcasestr(t, "permission denied")) return "permission";
  if (strcasestr(t, "not running") || strcasestr(t, "does not exist") || strcasestr(t, "process already finished") ||
      strcasestr(t, "no such process"))
    return "gone";
  return NULL;
}

int call_wait(struct call *c, const char *what, struct err *e) {
  /* a watch on stderr is not needed: the pipe holds 64 KiB and we keep 2 KiB; read as we wait */
  loop_wait_core(call_done, c, -1);
  read_err(c);
  if (c->err_fd >= 0) close(c->err_fd);
  c->err_fd = -1;
  c->err[c->err_len] = 0;
  if (WIFEXITED(c->status) && WEXITSTATUS(c->status) == 0) return 0;
  char said[1024];
  bool is_runc = strncmp(what, "runc", 4) == 0;
  if (!(is_runc && last_runc_error(c->log_offset, said, sizeof said))) {
    char *nl = strchr(c->err, '\n');
    if (nl) *nl = 0;
    if (c->err[0]) snprintf(said, sizeof said, "%s", c->err);
    else if (WIFEXITED(c->status)) snprintf(said, sizeof said, "exit code %d", WEXITSTATUS(c->status));
    else snprintf(said, sizeof said, "killed by signal %d", WTERMSIG(c->status));
  }
  size_t wl = strlen(what);
  if (strncmp(said, what, wl) == 0) err_set(e, "ERUNTIME", "%s", said);
  else err_set(e, "ERUNTIME", "%s failed: %s", what, said);
  if (is_runc) {
    size_t l = strlen(e->msg);
    snprintf(e->msg + l, sizeof e->msg - l, " (log: %s)", M.p.runc_log);
  }
  e->kind = classify(said);
  return -1;
}

int runc_do(const char *what, const char *const *args, struct err *e) {
  struct call c;
  if (call_spawn(&c, true, args, NULL, e) < 0) return -1;
  return call_wait(&c, what, e);
}

/* True once no process of the group is left, zombies included (the reaper
 * takes orphans: the monitor is their subreaper). */
static bool group_gone(void *arg) { return kill(-*(pid_t *)arg, 0) < 0 && errno == ESRCH; }

int runc_do_grouped(const char *what, const char *const *args, struct err *e) {
  struct call c;
  if (spawn(&c, true, args, NULL, e, on_exit_of, &c, true) < 0) return -1;
  int r = call_wait(&c, what, e);
  pid_t group = c.pid;
  /* a runc killed mid-dump leaves its CRIU running, still seizing the
   * container: the next checkpoint would time out on it. Nothing of this
   * call may outlive it. */
  if (killpg(group, SIGKILL) == 0) {
    diag_warn("%s: killed what it left running (process group %d)", what, (int)group);
    if (!loop_wait_core(group_gone, &group, GROUP_GONE_MS)) diag_warn("%s: process group %d still there after %d ms", what, (int)group, GROUP_GONE_MS);
  }
  return r;
}

void runc_quiet(const char *const *args) {
  struct err e;
  if (runc_do("runc", args, &e) < 0) diag_warn("%s", e.msg);
}

bool err_is_gone(const struct err *e) { return e->kind && !strcmp(e->kind, "gone"); }
