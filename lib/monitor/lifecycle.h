/* The runs of one container under its monitor. launch: new stdio, runc
 * create/run/restore. When the init exits: drain, runc delete, then run it
 * again (restart policy, an unhealthy check), restore it at once (a
 * scheduled checkpoint stopped it), or finish: publish the exit, then end. */
#ifndef LRCTL_LIFECYCLE_H
#define LRCTL_LIFECYCLE_H
#include <stdbool.h>
#include "state.h"

/* One run; -1 with `e` set if the container could not be made. */
int launch(const char *restore_from, bool start, bool keep_started_at, struct err *e);
/* Handles a reaped init's exit (main loop, between operations). */
void lifecycle_on_exit(void);
/* Arms the timers of a taken-over run (an upgraded monitor). */
void lifecycle_resume(void);
/* Stops every timer (before the monitor ends or re-executes itself). */
void lifecycle_quiesce(void);
/* The last step: publish the final status and end. */
void lifecycle_finish(enum status status, json_t *record, const char *error);
/* --health-on-unhealthy restart: stop it as docker stop would; its exit runs it again. */
void lifecycle_restart_unhealthy(void);
int op_start(struct err *e);
int op_kill(const char *signal, bool stop, struct err *e);
int op_pause(bool pause, struct err *e);
#endif
