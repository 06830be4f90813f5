#define _GNU_SOURCE
#include "state.h"
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>
#include "diag.h"
#include "monitor.h"
#include "proc.h"

#define SCHEMA_VERSION 1

void err_set(struct err *e, const char *code, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  e->code = code;
  e->kind = NULL;
  vsnprintf(e->msg, sizeof e->msg, fmt, ap);
  va_end(ap);
}

json_t *json_str_or_null(const char *s) { return s ? json_string(s) : json_null(); }

json_t *json_time(long long ms) {
  char t[32];
  iso_time(ms, t);
  return json_string(t);
}

const char *status_name(enum status s) { return s < ST_COUNT ? STATUS_NAMES[s] : "unknown"; }

enum status state_status(void) {
  const char *s = json_string_value(json_object_get(M.state, "status"));
  for (int i = 0; s && i < ST_COUNT; i++)
    if (!strcmp(s, STATUS_NAMES[i])) return (enum status)i;
  return ST_COUNT;
}

int write_file_atomic(const char *path, const char *data, size_t len) {
  char tmp[PATH_MAX], dir[PATH_MAX];
  unsigned r = 0;
  if (getrandom(&r, sizeof r, 0) < 0) r = (unsigned)now_ms();
  snprintf(dir, sizeof dir, "%s", path);
  char *slash = strrchr(dir, '/');
  if (!slash) return -1;
  *slash = 0;
  if (snprintf(tmp, sizeof tmp, "%s/.%d.%08x.tmp", dir, getpid(), r) >= (int)sizeof tmp) return -1;
  int fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0) return -1;
  int err = fchmod(fd, 0600);
  for (size_t done = 0; !err && done < len;) {
    ssize_t w = write(fd, data + done, len - done);
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) err = -1;
    else done += (size_t)w;
  }
  if (!err) err = fsync(fd);
  int saved = errno;
  close(fd);
  if (!err) err = rename(tmp, path);
  if (err) {
    saved = errno;
    /* a full disk: the old file stays whole, and no temp file is left */
    unlink(tmp);
    errno = saved;
    return -1;
  }
  int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dfd >= 0) {
    fsync(dfd);
    close(dfd);
  }
  return 0;
}

static void write_state(void) {
  char *text = json_dumps(M.state, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
  if (!text) return diag_error("encoding state.json failed");
  size_t len = strlen(text);
  char *with_nl = realloc(text, len + 2);
  if (!with_nl) {
    free(text);
    return diag_error("encoding state.json failed: out of memory");
  }
  with_nl[len] = '\n';
  with_nl[len + 1] = 0;
  if (write_file_atomic(M.p.state, with_nl, len + 1) < 0) diag_error("writing state.json failed: %s", strerror(errno));
  free(with_nl);
}

void state_patch(json_t *patch) {
  if (patch) {
    json_object_update(M.state, patch);
    json_decref(patch);
  }
  write_state();
}

void state_set(enum status to, json_t *patch) {
  enum status from = state_status();
  if (to != from && (from >= ST_COUNT || !(STATUS_NEXT[from] & (1u << to)))) {
    diag_error("internal error: invalid status change from %s to %s", status_name(from), status_name(to));
    json_decref(patch);
    return;
  }
  if (patch) {
    json_object_update(M.state, patch);
    json_decref(patch);
  }
  json_object_set_new(M.state, "status", json_string(STATUS_NAMES[to]));
  write_state();
  diag_info("status %s", STATUS_NAMES[to]);
}

bool state_accepts(enum op op, struct err *e) {
  enum status s = state_status();
  if (s < ST_COUNT && (OP_ACCEPTS[op] & (1u << s))) return true;
  char list[256] = "";
  int n = 0, count = 0;
  for (int i = 0; i < ST_COUNT; i++) count += !!(OP_ACCEPTS[op] & (1u << i));
  for (int i = 0, k = 0; i < ST_COUNT; i++) {
    if (!(OP_ACCEPTS[op] & (1u << i))) continue;
    k++;
    const char *sep = k == 1 ? "" : k == count ? " or " : ", ";
    n += snprintf(list + n, sizeof list - n, "%s%s", sep, STATUS_NAMES[i]);
    if (n >= (int)sizeof list) break;
  }
  err_set(e, "ESTATE", "cannot %s container %s: it is %s; %s needs %s", OP_NAMES[op], M.id, status_name(s), OP_NAMES[op], list);
  return false;
}

static const char *restart_text(char *buf, size_t len) {
  static const char *names[] = {"no", "on-failure", "always", "unless-stopped"};
  if (M.cfg.restart == RESTART_ON_FAILURE && M.cfg.restart_max >= 0)
    snprintf(buf, len, "on-failure:%lld", M.cfg.restart_max);
  else
    snprintf(buf, len, "%s", names[M.cfg.restart]);
  return buf;
}

/* The earlier record of this id (an in-place restore, lrctl boot), if it is one. */
static json_t *previous_state(void) {
  json_t *prev = json_load_file(M.p.state, 0, NULL);
  if (prev && (!json_is_object(prev) || !json_is_string(json_object_get(prev, "id")) ||
               strcmp(json_string_value(json_object_get(prev, "id")), M.id))) {
    json_decref(prev);
    return NULL;
  }
  return prev;
}

void state_init(void) {
  json_t *prev = previous_state();
  json_t *created = prev ? json_object_get(prev, "createdAt") : NULL;
  json_t *count = prev ? json_object_get(prev, "restartCount") : NULL;
  json_t *last = prev ? json_object_get(prev, "lastExit") : NULL;
  char policy[64], boot[64];
  const char *cp = M.cfg.restore_checkpoint ? strrchr(M.cfg.restore_checkpoint, '/') : NULL;
  long long st = proc_start_time(getpid());
  read_boot_id(boot, sizeof boot);
  json_t *s = json_object();
  /* the order of lib/state/state-file.ts, which readers and people see */
  json_object_set_new(s, "schemaVersion", json_integer(SCHEMA_VERSION));
  json_object_set_new(s, "id", json_string(M.id));
  json_object_set_new(s, "status", json_string(M.cfg.restore_checkpoint ? "restoring" : "creating"));
  json_object_set(s, "command", M.cfg.args);
  json_object_set_new(s, "tty", json_boolean(M.cfg.tty));
  json_object_set_new(s, "createdAt", json_is_string(created) ? json_incref(created) : json_time(now_ms()));
  json_object_set_new(s, "startedAt", json_null());
  json_object_set_new(s, "finishedAt", json_null());
  json_object_set_new(s, "initPid", json_null());
  json_object_set_new(s, "shimPid", json_integer(getpid()));
  json_object_set_new(s, "shimStartTime", json_integer(st < 0 ? 0 : st));
  json_object_set_new(s, "bootId", json_string(boot));
  json_object_set_new(s, "protocolVersion", json_integer(PROTOCOL_VERSION));
  json_object_set_new(s, "socket", json_string(M.p.socket));
  json_object_set_new(s, "exitCode", json_null());
  json_object_set_new(s, "signal", json_null());
  json_object_set_new(s, "restartCount", json_is_integer(count) ? json_incref(count) : json_integer(0));
  json_object_set_new(s, "error", json_null());
  json_object_set_new(s, "pipeSize", json_null());
  json_object_set_new(s, "logDroppedBytes", json_integer(0));
  json_object_set_new(s, "checkpoint", json_str_or_null(cp ? cp + 1 : NULL));
  json_object_set_new(s, "restartPolicy", json_string(restart_text(policy, sizeof policy)));
  json_object_set_new(s, "lastExit", json_is_object(last) ? json_incref(last) : json_null());
  json_object_set_new(s, "stoppedByUser", json_false());
  json_object_set_new(s, "nextRestartAt", json_null());
  json_object_set_new(s, "healthCheck", json_null());
  json_object_set_new(s, "shimGeneration", json_integer(0));
  json_object_set_new(s, "shimVersion", json_string(LRCTL_VERSION));
  json_object_set_new(s, "network", M.cfg.network ? json_incref(M.cfg.network) : json_null());
  json_object_set_new(s, "image", M.cfg.image ? json_incref(M.cfg.image) : json_null());
  json_decref(prev);
  M.state = s;
}

int state_load(void) {
  json_t *s = previous_state();
  if (!s || !json_is_integer(json_object_get(s, "schemaVersion"))) {
    json_decref(s);
    return -1;
  }
  M.state = s;
  return 0;
}
