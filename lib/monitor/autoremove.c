#define _GNU_SOURCE
#include "autoremove.h"
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "diag.h"
#include "monitor.h"
#include "runc.h"
#include "state.h"

void autoremove_cancel(void) {
  if (M.cfg.auto_remove_argc) diag_info("--rm: kept at this exit (lrctl restart)");
  M.cfg.auto_remove_argc = 0;
}

bool autoremove_wanted(void) { return M.cfg.auto_remove_argc > 0 && state_status() == ST_STOPPED; }

/* In the child: wait for the monitor's end (EOF on `hold`), then become lrctl rm. Never returns. */
static void run_rm(int hold) {
  char c;
  ssize_t n;
  while ((n = read(hold, &c, 1)) < 0 && errno == EINTR) {
  }
  close(hold);
  if (setsid() < 0) {
    /* already a group leader: it runs on in the monitor's session */
  }
  /* stdio: /dev/null (the shim log goes with the folder); a failed rm leaves the container stopped, for lrctl rm */
  const int devnull[3] = {-1, -1, -1};
  child_setup(devnull, false);
  const char *argv[9];
  int k = 0;
  for (int i = 0; i < M.cfg.auto_remove_argc; i++) argv[k++] = M.cfg.auto_remove[i];
  argv[k++] = "--root";
  argv[k++] = M.root;
  argv[k++] = "rm";
  /* as Docker's --rm: the container's anonymous volumes go with it */
  argv[k++] = "-v";
  argv[k++] = M.id;
  argv[k] = NULL;
  execv(argv[0], (char *const *)argv);
  _exit(127);
}

void autoremove_spawn(void) {
  if (access(M.cfg.auto_remove[0], X_OK) < 0) {
    diag_error("--rm: cannot run %s: %s; the container is kept", M.cfg.auto_remove[0], strerror(errno));
    return;
  }
  /* the write end stays open in this process alone: the child's read ends when the monitor does */
  int hold[2];
  if (pipe2(hold, O_CLOEXEC) < 0) {
    diag_error("--rm: pipe: %s; the container is kept", strerror(errno));
    return;
  }
  pid_t pid = fork();
  if (pid == 0) {
    close(hold[1]);
    run_rm(hold[0]);
  }
  close(hold[0]);
  if (pid < 0) {
    diag_error("--rm: fork: %s; the container is kept", strerror(errno));
    close(hold[1]);
    return;
  }
  diag_info("--rm: lrctl rm %s runs as %d once this shim has exited", M.id, (int)pid);
  /* hold[1] is closed by the exit */
}
