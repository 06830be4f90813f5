/* Checkpoints taken by the monitor (the authority on its container):
 * freeze it, save its writable layer, let CRIU dump it through runc, write
 * meta.json, and only then rename .tmp-<name>-<id>-<nonce> to <name>. Any
 * failure leaves no listed checkpoint and a container that runs, thawed, as
 * before, except a process CRIU already dumped and killed: its images are
 * the only copy and are kept, marked failed. Also `run --checkpoint-every`. */
#ifndef LRCTL_CHECKPOINT_H
#define LRCTL_CHECKPOINT_H
#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include "state.h"

/* A `checkpoint` request; on success *result is the CheckpointResult. */
int checkpoint_request(json_t *req, json_t **result, struct err *e);
/* The first Error line of a CRIU log, for a one-line message. */
bool criu_error(const char *log, char *out, size_t len);
/* rm -rf, without following symlinks. */
void remove_tree(const char *path);
/* Starts and stops the scheduled checkpoints. */
void schedule_start(void);
void schedule_stop(void);
#endif
