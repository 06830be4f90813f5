/* lrctl-shim: one per container, started by the CLI (lib/cli/shim-launcher.ts)
 *   lrctl-shim --socket S --console-socket C ROOT ID            a new run
 *   lrctl-shim --socket S --console-socket C ROOT ID --adopt F  taking over after `lrctl shim upgrade`
 * Top to bottom: detach, become subreaper, read request.json, serve the
 * control socket, launch the container (the CLI has prepared its bundle),
 * report to the launching CLI on fd 3, then supervise until the last run
 * ends. Mechanism only: what to run and how is in request.json. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <unistd.h>
#include "autoremove.h"
#include "checkpoint.h"
#include "children.h"
#include "control.h"
#include "diag.h"
#include "lifecycle.h"
#include "log.h"
#include "loop.h"
#include "monitor.h"
#include "request.h"
#include "runc.h"
#include "state.h"
#include "stdio.h"
#include "upgrade.h"

/* The OOM killer takes the container's processes before the monitor: a
 * monitor killed first takes the container's stdio with it. -998, as
 * containerd gives its shims (one above dockerd's -999); its children
 * (runc, the container) are set back to 0 as they start (runc.c). */
#define OOM_SCORE_ADJ "-998"

/* fd 3: the launching CLI's end, for the handshake line. */
#define LAUNCHER_FD 3

static void handshake(json_t *msg) {
  if (fcntl(LAUNCHER_FD, F_GETFD) < 0) return json_decref(msg);
  char *text = json_dumps(msg, JSON_COMPACT);
  json_decref(msg);
  if (text) {
    size_t len = strlen(text);
    text[len] = '\n';
    /* the launcher killed meanwhile: nobody is told, the state file says it all */
    if (write(LAUNCHER_FD, text, len + 1) < 0) diag_warn("handshake: %s", strerror(errno));
    free(text);
  }
  close(LAUNCHER_FD);
}

static void handshake_error(const struct err *e) {
  handshake(json_pack("{s:i, s:b, s:{s:s, s:s}}", "v", PROTOCOL_VERSION, "ok", 0, "error", "code", e->code, "message", e->msg));
}

static void usage(void) {
  fprintf(stderr, "usage: lrctl-shim --socket PATH --console-socket PATH ROOT ID [--adopt FILE]\n");
  exit(2);
}

static void set_paths(const char *socket, const char *console) {
  char containers[PATH_MAX];
  struct paths *p = &M.p;
  path_join(containers, M.root, "containers");
  path_join(p->dir, containers, M.id);
  path_join(p->state, p->dir, "state.json");
  path_join(p->request, p->dir, "request.json");
  path_join(p->bundle, p->dir, "bundle");
  path_join(p->pid_file, p->dir, "init.pid");
  path_join(p->log, p->dir, "container.log");
  path_join(p->shim_log, p->dir, "shim.log");
  path_join(p->runc_log, p->dir, "runc.log.json");
  path_join(p->runc_root, M.root, "runc");
  path_join(p->checkpoints, p->dir, "checkpoints");
  path_join(p->upper, p->dir, "upper");
  path_join(p->handover, p->dir, "upgrade.json");
  snprintf(p->socket, sizeof p->socket, "%s", socket);
  snprintf(p->console, sizeof p->console, "%s", console);
}

static void set_oom_score_adj(void) {
  int fd = open("/proc/self/oom_score_adj", O_WRONLY | O_CLOEXEC);
  /* lowering it needs CAP_SYS_RESOURCE, which a confined root (a container) may lack: then the monitor runs on at 0 */
  if (fd < 0 || write(fd, OOM_SCORE_ADJ, strlen(OOM_SCORE_ADJ)) < 0) diag_info("oom_score_adj %s not set: %s", OOM_SCORE_ADJ, strerror(errno));
  if (fd >= 0) close(fd);
}

/* A new run: the first record, the log, the socket, the launch. */
static void start(void) {
  struct err e = {0};
  if (request_read(&e) < 0) {
    diag_error("starting failed: %s", e.msg);
    handshake_error(&e);
    exit(1);
  }
  state_init();
  state_set(state_status(), NULL);
  diag_info("shim %d for %s", (int)getpid(), M.id);
  /* a log from an earlier run (lrctl start of a stopped container, boot): this run's output follows a note */
  bool again = !M.cfg.restore_checkpoint && access(M.p.log, F_OK) == 0;
  if (log_open(-1, 0) < 0) err_set(&e, "ERUNTIME", "cannot open the container log %s", M.p.log);
  else {
    if (again) log_note("container started again: a new run of %s", M.id);
    if (control_listen(-1, &e) == 0 && launch(M.cfg.restore_checkpoint, M.cfg.start || M.cfg.restore_checkpoint, false, &e) == 0) {
      schedule_start();
      handshake(json_pack("{s:i, s:b, s:s, s:O, s:i}", "v", PROTOCOL_VERSION, "ok", 1, "status", status_name(state_status()), "initPid",
                          json_object_get(M.state, "initPid"), "shimPid", (int)getpid()));
      return;
    }
  }
  diag_error("create failed: %s", e.msg);
  const char *del[] = {"delete", "--force", M.id, NULL};
  runc_quiet(del);
  unlink(M.p.socket);
  state_set(ST_STOPPED, json_pack("{s:s, s:o, s:n}", "error", e.msg, "finishedAt", json_time(now_ms()), "exitCode"));
  handshake_error(&e);
  /* --rm: a container that could not start is gone too, as with docker run --rm */
  if (autoremove_wanted()) autoremove_spawn();
  exit(1);
}

/* After `lrctl shim upgrade`: the same process, new code. */
static void adopt(const char *file) {
  struct err e;
  if (state_load() < 0 || request_read(&e) < 0 || upgrade_adopt(file) < 0) {
    diag_error("taking over after the upgrade failed: the container runs on unsupervised");
    exit(1);
  }
  long long gen = json_integer_value(json_object_get(M.state, "shimGeneration")) + 1;
  state_patch(json_pack("{s:I, s:s, s:i}", "shimGeneration", (json_int_t)gen, "shimVersion", LRCTL_VERSION, "protocolVersion", PROTOCOL_VERSION));
  lifecycle_resume();
  schedule_start();
  diag_info("shim %d for %s: took over as generation %lld (version %s)", (int)getpid(), M.id, gen, LRCTL_VERSION);
}

/* `ps` shows "lrctl-shim ROOT ID" (what `lrctl boot` and isShimOf look for):
 * written over argv's own memory, which /proc/PID/cmdline reads. */
static void title(int argc, char **argv) {
  char *start = argv[0], *end = argv[argc - 1] + strlen(argv[argc - 1]);
  size_t room = (size_t)(end - start);
  char t[PATH_MAX + 300];
  int n = snprintf(t, sizeof t, "lrctl-shim %s %s", M.root, M.id);
  if (n < 0 || (size_t)n > room) return;
  memset(start, 0, room);
  memcpy(start, t, (size_t)n);
  /* words separated by NULs, as a fresh argv would be */
  for (char *p = start + strlen("lrctl-shim"); p < start + n; p++)
    if (*p == ' ' && (p == start + strlen("lrctl-shim") || p == start + strlen("lrctl-shim") + 1 + strlen(M.root))) *p = 0;
}

int main(int argc, char **argv) {
  const char *socket = NULL, *console = NULL, *adopt_file = NULL, *pos[2];
  int npos = 0;
  for (int i = 1; i < argc; i++) {
    if (!strcmp(argv[i], "--socket") && i + 1 < argc) socket = argv[++i];
    else if (!strcmp(argv[i], "--console-socket") && i + 1 < argc) console = argv[++i];
    else if (!strcmp(argv[i], "--adopt") && i + 1 < argc) adopt_file = argv[++i];
    else if (argv[i][0] != '-' && npos < 2) pos[npos++] = argv[i];
    else usage();
  }
  if (!socket || !console || npos != 2 || argv[0][0] != '/') usage();
  /* 0-2 on /dev/null whatever the starter left (a Node shim's are close-on-exec):
   * else the first files opened would become stdio, and children would write into them */
  for (int fd = 0; fd < 3; fd++)
    if (fcntl(fd, F_GETFD) < 0 && open("/dev/null", fd ? O_WRONLY : O_RDONLY) != fd) return 1;
  M.self = strdup(argv[0]);
  M.root = strdup(pos[0]);
  M.id = strdup(pos[1]);
  if (adopt_file) adopt_file = strdup(adopt_file);
  if (!M.self || !M.root || !M.id) return 1;
  set_paths(socket, console);
  title(argc, argv);
  if (fcntl(LAUNCHER_FD, F_GETFD) >= 0) fcntl(LAUNCHER_FD, F_SETFD, FD_CLOEXEC);
  setsid();
  if (chdir("/") < 0) return 1;
  signal(SIGPIPE, SIG_IGN);
  signal(SIGHUP, SIG_IGN);
  /* a log past RLIMIT_FSIZE is a failed write (EFBIG, output dropped and counted), not the monitor's end */
  signal(SIGXFSZ, SIG_IGN);
  diag_open(M.p.shim_log);
  set_oom_score_adj();
  if (prctl(PR_SET_CHILD_SUBREAPER, 1) < 0 || loop_init() < 0 || children_init() < 0) {
    diag_error("setting up failed: %s", strerror(errno));
    return 1;
  }
  if (adopt_file) adopt(adopt_file);
  else start();
  free((char *)adopt_file);
  while (!M.finishing) {
    loop_once(-1);
    if (M.init_exited) lifecycle_on_exit();
    control_sweep();
  }
  control_close();
  if (autoremove_wanted()) autoremove_spawn();
  return 0;
}
