/* The monitor's shared state: one container, one process. Every module
 * reads and changes the single `struct monitor M`; what each module owns is
 * said by its own header. */
#ifndef LRCTL_MONITOR_H
#define LRCTL_MONITOR_H
#include <jansson.h>
#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#define PROTOCOL_VERSION 3

enum restart_name { RESTART_NO, RESTART_ON_FAILURE, RESTART_ALWAYS, RESTART_UNLESS_STOPPED };

/* What request.json asks for (request.c reads and checks it). */
struct config {
  char *runc;
  bool tty, stdin_open, start, has_upper;
  long long log_max_size, log_max_files, log_buffer_size; /* buffer 0: default */
  char *restore_checkpoint;                               /* NULL: create, not restore */
  bool restore_tcp, restore_locks;
  enum restart_name restart;
  long long restart_max; /* -1: no limit */
  char *health_cmd;      /* NULL: no health check */
  long long health_interval, health_timeout, health_retries, health_start_period;
  bool health_restart;
  long long every_interval; /* 0: no scheduled checkpoints */
  long long every_keep;
  bool every_leave_running;
  char *stop_signal;       /* what a stop of the shim's own sends first (runc kill's name or number); NULL: SIGTERM */
  long long stop_timeout;  /* seconds before SIGKILL; -1: the default */
  char *auto_remove[2];    /* --rm: node and the CLI script that runs `rm` (request.json autoRemove) */
  int auto_remove_argc;    /* 0: no --rm */
  bool every_tcp; /* --checkpoint-tcp-established: dump and restore established connections */
  json_t *args;
  json_t *network; /* the CLI's CNI attachment (lib/network), shown in state.json as given */
  json_t *image;   /* `run IMAGE`: {id, name}, shown in state.json as given */
};

struct paths {
  char dir[PATH_MAX], state[PATH_MAX], request[PATH_MAX], bundle[PATH_MAX], pid_file[PATH_MAX], log[PATH_MAX],
      shim_log[PATH_MAX], runc_log[PATH_MAX], runc_root[PATH_MAX], checkpoints[PATH_MAX], upper[PATH_MAX],
      socket[PATH_MAX], console[PATH_MAX], handover[PATH_MAX];
};

struct monitor {
  const char *root, *id, *self; /* self: the path this binary was started as (upgrade re-executes it) */
  struct config cfg;
  struct paths p;
  json_t *state; /* state.json as written last */
  pid_t init_pid; /* 0: no run */
  /* the init's exit, once reaped and until handled */
  bool init_exited;
  int init_status;
  /* set by a checkpoint that stopped the container: its exit is recorded as checkpointed */
  char *checkpointed_as;
  /* a scheduled stop-and-restore checkpoint: the next exit restores from here */
  char *restore_from;
  /* the unhealthy check asked for a restart */
  const char *restart_reason;
  long long last_delay_ms; /* -1: none */
  long long run_since_ms;
  bool finishing;
};

extern struct monitor M;

/* Milliseconds since the epoch and on the monotonic clock. */
long long now_ms(void);
long long mono_ms(void);
/* RFC3339 UTC with milliseconds, as JavaScript's toISOString(). */
void iso_time(long long ms, char out[32]);
/* snprintf into a PATH_MAX buffer; aborts the launch on truncation (a path too long). */
void path_join(char *out, const char *a, const char *b);
/* Milliseconds since the epoch of an ISO time such as 2026-11-29T02:00:00.000Z; 0 if malformed. */
long long parse_iso_ms(const char *t);
#endif
