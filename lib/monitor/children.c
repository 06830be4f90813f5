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
    for (int i = 0; i < MAX_TRACKED; i++)
      if (tracked[i].pid == pid) {
        tracked[i].pid = 0;
        tracked[i].done(status, tracked[i].arg);
        break;
      }
  }
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
