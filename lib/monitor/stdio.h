/* The container's stdio: anonymous pipes (runc checkpoint cannot handle
 * files or socketpairs as a container's stdio; shared/PLATFORM.md), or a
 * pty whose master runc sends over the console socket. Output is read in
 * the core set of the loop (always drained) into the log and to attached
 * clients. */
#ifndef LRCTL_STDIO_H
#define LRCTL_STDIO_H
#include <stdbool.h>
#include <stddef.h>
#include "state.h"

struct stdio_fds {
  bool pty;
  int out, err, in; /* our ends; -1 when absent. pty: out is the master */
  int child_in, child_out, child_err; /* the container's ends until runc has them */
  long long pipe_size; /* -1: not pipes */
};
extern struct stdio_fds IO;

/* New pipes for a non-tty container (stdin only with -i). */
int stdio_pipes(struct err *e);
/* Listens on the console socket (-t); then stdio_take_pty once runc is spawned. */
int stdio_console_listen(struct err *e);
/* Waits for runc (pid) to send the pty master; -1 if it exits first or 30 s pass. */
int stdio_take_pty(pid_t runc_pid, struct err *e);
/* Takes over fds an upgraded monitor was handed. */
void stdio_adopt(bool pty, int out, int err, int in, long long pipe_size);
void stdio_close_child_ends(void);
/* Starts draining output into the log. */
void stdio_watch(void);
/* True once every output stream has reached its end. */
bool stdio_drained(void);
/* Closes everything (a failed launch, the end of a run). */
void stdio_close(void);
/* stdin: queued without blocking; false when the queue is over its limit (the caller pauses its client). */
bool stdio_write_stdin(const char *data, size_t len);
bool stdio_stdin_busy(void);
void stdio_close_stdin(void);
void stdio_resize(int rows, int cols);
/* Called when queued stdin has been written (control.c resumes paused clients). */
extern void (*stdio_on_stdin_drained)(void);
#endif
