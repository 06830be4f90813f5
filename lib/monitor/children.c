#define _GNU_SOURCE
#include "children.h"
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <sys/wait.h>
#include <unistd.h>
#include "diag.h"
#include "loop.h"
#include "monitor.h"

#define MAX_TRACKED 16

static struct {
  pid_t pid;
  void (*done)(int, void *);
  void *arg;
} tracked[MAX_TRACKED];
static struct watch w_sig;
/* exits of children nobody claimed yet: an init that exits before runc has
 * returned its pid is reaped first and claimed by launch() (children_claim) */
#define MAX_UNCLAIMED 8
static struct {
  pid_t pid;
  int status;
} unclaimed[MAX_UNCLAIMED];
static int next_unclaimed;

void children_track(pid_t pid, void (*done)(int, void *), void *arg) {
  for (int i = 0; i < MAX_TRACKED; i++)
    if (!tracked[i].pid) {
      tracked[i].pid = pid;
      tracked[i].done = done;
      tracked[i].arg = arg;
      return;
    }
  diag_error("internal error: more than %d children at once", MAX_TRACKED);
}

void children_reap(void) {
  for (;;) {
    int status;
    pid_t pid = waitpid(-1, &status, WNOHANG);
    if (pid <= 0) return;
    if (pid == M.init_pid && !M.init_exited) {
      M.init_exited = true;
      M.init_status = status;
      continue;
    }
    bool known = false;
    for (int i = 0; i < MAX_TRACKED && !known; i++)
      if (tracked[i].pid == pid) {
        tracked[i].pid = 0;
        known = true;
        tracked[i].done(status, tracked[i].arg);
      }
    if (!known) {
      unclaimed[next_unclaimed].pid = pid;
      unclaimed[next_unclaimed].status = status;
      next_unclaimed = (next_unclaimed + 1) % MAX_UNCLAIMED;
    }
  }
}

bool children_claim(pid_t pid, int *status) {
  for (int i = 0; i < MAX_UNCLAIMED; i++)
    if (unclaimed[i].pid == pid) {
      unclaimed[i].pid = 0;
      *status = unclaimed[i].status;
      return true;
    }
  return false;
}

static void on_signal(struct watch *w, uint32_t events) {
  (void)events;
  struct signalfd_siginfo si;
  while (read(w->fd, &si, sizeof si) == sizeof si) {
  }
  children_reap();
}

int children_init(void) {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGCHLD);
  if (sigprocmask(SIG_BLOCK, &set, NULL) < 0) return -1;
  w_sig = (struct watch){.fd = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC), .fn = on_signal, .core = true};
  if (w_sig.fd < 0) return -1;
  return loop_add(&w_sig, EPOLLIN);
}

const char *signal_name(int sig, char buf[16]) {
  const char *abbrev = sigabbrev_np(sig);
  if (abbrev) snprintf(buf, 16, "SIG%s", abbrev);
  else snprintf(buf, 16, "SIG%d", sig);
  return buf;
}
