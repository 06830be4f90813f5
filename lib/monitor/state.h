/* state.json: the monitor is its only writer. Every change is checked
 * against the state machine (status-table.h, generated from
 * lib/state/status.ts) and written atomically: temp file, fsync, rename,
 * fsync of the folder. */
#ifndef LRCTL_STATE_H
#define LRCTL_STATE_H
#include <jansson.h>
#include <stdbool.h>
#include "status-table.h"

/* An error answered on the wire: {code, message, kind?}. */
struct err {
  const char *code;
  const char *kind;
  char msg[1024];
};
void err_set(struct err *e, const char *code, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* The first record of a new run of this monitor (keeps createdAt, restartCount and lastExit of an earlier record). */
void state_init(void);
/* The record an upgraded monitor takes over; -1 if unreadable. */
int state_load(void);
enum status state_status(void);
const char *status_name(enum status s);
/* Moves to `to` with the fields of `patch` (a JSON object, taken over; NULL for none) and writes the file.
 * Never fails: an invalid change is recorded as an internal error, a failed write in shim.log. */
void state_set(enum status to, json_t *patch);
/* Sets fields without a status change. */
void state_patch(json_t *patch);
/* Refuses `op` (ESTATE, in the CLI's words) unless the table allows it now. */
bool state_accepts(enum op op, struct err *e);
/* Writes `data` to `path` atomically (0600). */
int write_file_atomic(const char *path, const char *data, size_t len);
/* Helpers for patches. */
json_t *json_str_or_null(const char *s);
json_t *json_time(long long ms);
#endif
