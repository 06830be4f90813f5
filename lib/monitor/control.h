/* The control socket: newline-delimited JSON requests (protocol versions
 * 1-3, lib/protocol/messages.ts), one answer each, and output events to
 * attached clients. Hostile input is expected: lines are capped at 1 MiB,
 * connections at MAX_CLIENTS, and a client that does not read is dropped
 * (or, attached, told to read on from the log) instead of holding memory. */
#ifndef LRCTL_CONTROL_H
#define LRCTL_CONTROL_H
#include <stdbool.h>
#include <stddef.h>
#include "log.h"
#include "state.h"

/* Listens on M.p.socket (or takes over the listening fd of an upgraded monitor). */
int control_listen(int fd, struct err *e);
int control_fd(void);
bool control_attached(void);
void control_output(const char *stream, const char *data, size_t len, const struct log_pos *before);
/* Tells attached clients the init's exit, then closes them (also when the container restarts after it). */
void control_exit(int exit_code, const char *signal);
/* Frees clients that ended; called by the main loop between operations. */
void control_sweep(void);
/* Stops accepting connections (the monitor is ending); those open are answered still. */
void control_stop_listening(void);
/* Stops listening and flushes what clients still have queued (for up to 1 s). */
void control_close(void);
#endif
