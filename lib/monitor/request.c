#define _GNU_SOURCE
#include "request.h"
#include <stdlib.h>
#include <string.h>
#include "monitor.h"

static long long num(json_t *o, const char *k, long long dflt) {
  json_t *v = json_object_get(o, k);
  return json_is_integer(v) ? json_integer_value(v) : dflt;
}
static bool flag(json_t *o, const char *k) { return json_is_true(json_object_get(o, k)); }
static char *str(json_t *o, const char *k) {
  const char *s = json_string_value(json_object_get(o, k));
  return s ? strdup(s) : NULL;
}

int request_read(struct err *e) {
  json_error_t je;
  json_t *r = json_load_file(M.p.request, 0, &je);
  if (!r || !json_is_object(r)) {
    err_set(e, "ECORRUPT", "corrupt request %s: %s", M.p.request, r ? "not an object" : je.text);
    json_decref(r);
    return -1;
  }
  struct config *c = &M.cfg;
  c->runc = str(r, "runc");
  c->args = json_incref(json_object_get(r, "args"));
  if (!c->runc || !json_is_array(c->args)) {
    err_set(e, "ECORRUPT", "corrupt request %s: missing or invalid field %s", M.p.request, c->runc ? "args" : "runc");
    json_decref(r);
    return -1;
  }
  json_t *net = json_object_get(r, "network");
  c->network = json_is_object(net) ? json_incref(net) : NULL;
  c->tty = flag(r, "tty");
  c->stdin_open = flag(r, "stdin");
  c->start = flag(r, "start");
  /* an overlay of ours (a --rootfs or an image's layers): a checkpoint saves its writable layer */
  c->has_upper = json_is_string(json_object_get(r, "rootfs")) || json_is_object(json_object_get(r, "image"));
  json_t *img = json_object_get(r, "image");
  c->image = json_is_object(img) ? json_incref(img) : NULL;
  c->log_max_size = num(r, "logMaxSize", 10 * 1024 * 1024);
  c->log_max_files = num(r, "logMaxFiles", 5);
  c->log_buffer_size = num(r, "logBufferSize", 0);
  json_t *restore = json_object_get(r, "restore");
  if (json_is_object(restore)) {
    c->restore_checkpoint = str(restore, "checkpoint");
    c->restore_tcp = flag(restore, "tcpEstablished");
    c->restore_locks = flag(restore, "fileLocks");
  }
  json_t *restart = json_object_get(r, "restart");
  const char *name = json_string_value(json_object_get(restart, "name"));
  c->restart = !name                          ? RESTART_NO
               : !strcmp(name, "always")         ? RESTART_ALWAYS
               : !strcmp(name, "unless-stopped") ? RESTART_UNLESS_STOPPED
               : !strcmp(name, "on-failure")     ? RESTART_ON_FAILURE
                                                 : RESTART_NO;
  c->restart_max = num(restart, "maxRetries", -1);
  json_t *h = json_object_get(r, "health");
  if (json_is_object(h)) {
    c->health_cmd = str(h, "cmd");
    c->health_interval = num(h, "intervalMs", 30000);
    c->health_timeout = num(h, "timeoutMs", 5000);
    c->health_retries = num(h, "retries", 3);
    c->health_start_period = num(h, "startPeriodMs", 0);
    const char *on = json_string_value(json_object_get(h, "onUnhealthy"));
    c->health_restart = on && !strcmp(on, "restart");
    if (c->health_interval < 1) c->health_interval = 1;
  }
  json_t *every = json_object_get(r, "checkpointEvery");
  if (json_is_object(every)) {
    c->every_interval = num(every, "intervalMs", 0);
    c->every_keep = num(every, "keep", 0);
    c->every_leave_running = flag(every, "leaveRunning");
    c->every_tcp = flag(every, "tcpEstablished");
  }
  /* a signal as runc kill takes it: a name (TERM, SIGTERM) or a number; else the default */
  c->stop_signal = str(r, "stopSignal");
  if (c->stop_signal && (strlen(c->stop_signal) > 20 || !c->stop_signal[0] || strspn(c->stop_signal, "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789+-") != strlen(c->stop_signal))) {
    free(c->stop_signal);
    c->stop_signal = NULL;
  }
  c->stop_timeout = num(r, "stopTimeout", -1);
  if (c->stop_timeout < 0 || c->stop_timeout > 365LL * 24 * 3600) c->stop_timeout = -1;
  json_t *rm = json_object_get(r, "autoRemove");
  if (json_is_array(rm) && json_array_size(rm) >= 1 && json_array_size(rm) <= 2) {
    for (size_t i = 0; i < json_array_size(rm); i++) {
      const char *a = json_string_value(json_array_get(rm, i));
      if (!a || a[0] != '/') {
        err_set(e, "ECORRUPT", "corrupt request %s: autoRemove[%zu] is not an absolute path", M.p.request, i);
        json_decref(r);
        return -1;
      }
      c->auto_remove[i] = strdup(a);
      if (!c->auto_remove[i]) {
        err_set(e, "ERUNTIME", "out of memory reading %s", M.p.request);
        json_decref(r);
        return -1;
      }
    }
    c->auto_remove_argc = (int)json_array_size(rm);
  } else if (rm && !json_is_null(rm)) {
    err_set(e, "ECORRUPT", "corrupt request %s: autoRemove is not a list of one or two paths", M.p.request);
    json_decref(r);
    return -1;
  }
  if (c->log_max_size < 1) c->log_max_size = 1;
  if (c->log_max_files < 1) c->log_max_files = 1;
  json_decref(r);
  return 0;
}
