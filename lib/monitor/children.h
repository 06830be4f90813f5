/* Reaping. The monitor is a child subreaper, so the container's init (and
 * any orphan of the container) becomes its child once runc exits. SIGCHLD
 * arrives on a signalfd in the core set; every child is reaped with
 * waitpid(-1): the init's exit is recorded for the main loop, a child the
 * monitor started (runc, tar, a health check) goes to its callback, an
 * orphan is just reaped. */
#ifndef LRCTL_CHILDREN_H
#define LRCTL_CHILDREN_H
#include <stdbool.h>
#include <sys/types.h>

int children_init(void);
/* Calls done(status, arg) when `pid` exits (status as waitpid's). */
void children_track(pid_t pid, void (*done)(int status, void *arg), void *arg);
/* Reaps whatever has exited now (also called after an adopt, for exits missed meanwhile). */
void children_reap(void);
/* True (with its status) when `pid` was reaped before anyone claimed it. */
bool children_claim(pid_t pid, int *status);
/* "SIGKILL" for 9. */
const char *signal_name(int sig, char buf[16]);
#endif
