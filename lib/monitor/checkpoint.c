#define _GNU_SOURCE
#include "checkpoint.h"
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>
#include "diag.h"
#include "log.h"
#include "loop.h"
#include "monitor.h"
#include "proc.h"
#include "runc.h"

#define CHECKPOINT_FORMAT 1
#define MAX_NAME 128

struct opts {
  const char *name, *dir;
  bool shared, leave_running, tcp, locks, pinned;
  long long keep;
};

static bool valid_name(const char *n) {
  size_t len = strlen(n);
  if (!len || len > MAX_NAME || !strcmp(n, "latest")) return false;
  for (size_t i = 0; i < len; i++) {
    char c = n[i];
    bool alnum = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
    if (!alnum && (i == 0 || (c != '_' && c != '.' && c != '-'))) return false;
  }
  return true;
}

bool criu_error(const char *log, char *out, size_t len) {
  FILE *f = fopen(log, "re");
  if (!f) return false;
  char *line = NULL;
  size_t cap = 0;
  bool found = false;
  while (!found && getline(&line, &cap, f) > 0) {
    /* "rlimit: Can't setup RLIMIT_NOFILE" appears in every log here and is harmless (PLATFORM.md) */
    if (!strstr(line, "Error") || strstr(line, "RLIMIT_NOFILE")) continue;
    char *p = line;
    if (*p == '(') {
      char *q = strchr(p, ')');
      if (q) p = q + 1;
    }
    while (*p == ' ' || *p == '\t') p++;
    p[strcspn(p, "\n")] = 0;
    snprintf(out, len, "%s", p);
    found = true;
  }
  free(line);
  fclose(f);
  return found;
}

static int rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw) {
  (void)st;
  (void)ftw;
  if ((flag == FTW_DP ? rmdir(path) : unlink(path)) < 0 && errno != ENOENT) diag_warn("removing %s: %s", path, strerror(errno));
  return 0;
}

void remove_tree(const char *path) { nftw(path, rm_one, 16, FTW_DEPTH | FTW_PHYS); }

static long long du_total;
static int du_one(const char *path, const struct stat *st, int flag, struct FTW *ftw) {
  (void)path;
  (void)ftw;
  if (flag == FTW_F && S_ISREG(st->st_mode)) du_total += st->st_size;
  return 0;
}
/* Every folder 0700 and every file 0600 (memory images are secrets). */
static int private_one(const char *path, const struct stat *st, int flag, struct FTW *ftw) {
  (void)ftw;
  if (flag == FTW_D || flag == FTW_DP) chmod(path, 0700);
  else if (flag == FTW_F && S_ISREG(st->st_mode)) chmod(path, 0600);
  return 0;
}

static int copy_file(const char *from, const char *to) {
  int in = open(from, O_RDONLY | O_CLOEXEC), out = -1, rc = -1;
  if (in < 0) return -1;
  out = open(to, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  char buf[16384];
  ssize_t n;
  if (out >= 0) {
    rc = 0;
    while ((n = read(in, buf, sizeof buf)) > 0)
      if (write(out, buf, (size_t)n) != n) rc = -1;
    if (n < 0) rc = -1;
  }
  int saved = errno;
  close(in);
  if (out >= 0) close(out);
  errno = saved;
  return rc;
}

/* meta.json last, so a folder with one is complete. */
static json_t *write_meta(const char *tmp, const struct opts *o, long long t0, long long diff, long long dump, const char *failed, struct err *e) {
  char path[PATH_MAX], created[32];
  path_join(path, tmp, "request.json");
  if (copy_file(M.p.request, path) < 0) {
    err_set(e, "ERUNTIME", "checkpoint failed: copying the request: %s", strerror(errno));
    return NULL;
  }
  du_total = 0;
  nftw(tmp, du_one, 16, FTW_PHYS);
  iso_time(t0, created);
  path_join(path, tmp, "rootfs-diff.tar");
  struct stat st;
  json_t *m = json_pack("{s:i, s:s, s:s, s:s, s:b, s:b, s:I, s:{s:I, s:I, s:I}}", "format", CHECKPOINT_FORMAT, "name", o->name, "id", M.id,
                        "createdAt", created, "leaveRunning", failed ? 0 : o->leave_running, "rootfsDiff", stat(path, &st) == 0, "sizeBytes",
                        (json_int_t)du_total, "durationsMs", "diff", (json_int_t)diff, "dump", (json_int_t)dump, "total",
                        (json_int_t)(now_ms() - t0));
  if (o->pinned) json_object_set_new(m, "pinned", json_true());
  /* a restore of it needs --tcp-established too (lrctl boot reads this) */
  if (o->tcp) json_object_set_new(m, "tcpEstablished", json_true());
  if (failed) json_object_set_new(m, "failed", json_string(failed));
  char *text = json_dumps(m, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
  path_join(path, tmp, "meta.json");
  int rc = text ? write_file_atomic(path, text, strlen(text)) : -1;
  free(text);
  if (rc < 0) {
    err_set(e, "ERUNTIME", "checkpoint failed: writing meta.json: %s", strerror(errno));
    json_decref(m);
    return NULL;
  }
  nftw(tmp, private_one, 16, FTW_PHYS);
  return m;
}

static int publish(const char *tmp, const char *final, const char *name, struct err *e) {
  if (rename(tmp, final) == 0) return 0;
  if (errno == ENOTEMPTY || errno == EEXIST) err_set(e, "EEXIST", "checkpoint %s of container %s already exists", name, M.id);
  else err_set(e, "ERUNTIME", "checkpoint failed: %s", strerror(errno));
  return -1;
}

struct listed {
  char name[MAX_NAME + 1];
  char created[40];
};
static int by_time(const void *a, const void *b) {
  const struct listed *x = a, *y = b;
  int c = strcmp(x->created, y->created);
  return c ? c : strcmp(x->name, y->name);
}

/* --keep: removes all but the newest `keep` complete checkpoints (of this container only, in a shared folder);
 * pinned ones (named by the user) are neither removed nor counted. */
static json_t *prune(const char *dir, long long keep, bool shared) {
  json_t *pruned = json_array();
  DIR *d = opendir(dir);
  if (!d) return pruned;
  struct listed *all = NULL;
  size_t n = 0, cap = 0;
  struct dirent *de;
  while ((de = readdir(d))) {
    if (de->d_name[0] == '.' || !valid_name(de->d_name)) continue;
    char meta[PATH_MAX];
    snprintf(meta, sizeof meta, "%s/%s/meta.json", dir, de->d_name);
    json_t *m = json_load_file(meta, 0, NULL);
    const char *id = json_string_value(json_object_get(m, "id")), *created = json_string_value(json_object_get(m, "createdAt"));
    bool mine = json_integer_value(json_object_get(m, "format")) == CHECKPOINT_FORMAT && created && id && (!shared || !strcmp(id, M.id)) &&
                !json_is_true(json_object_get(m, "pinned"));
    if (mine && n == cap) {
      struct listed *p = realloc(all, (cap = cap ? cap * 2 : 16) * sizeof *all);
      if (p) all = p;
      else mine = false;
    }
    if (mine) {
      snprintf(all[n].name, sizeof all[n].name, "%s", de->d_name);
      snprintf(all[n].created, sizeof all[n].created, "%s", created);
      n++;
    }
    json_decref(m);
  }
  closedir(d);
  if (n) qsort(all, n, sizeof *all, by_time);
  for (size_t i = 0; n > (size_t)keep && i < n - (size_t)keep; i++) {
    char path[PATH_MAX];
    /* out of the listing first (a folder without meta.json is never listed), then from disk */
    snprintf(path, sizeof path, "%s/%s/meta.json", dir, all[i].name);
    unlink(path);
    snprintf(path, sizeof path, "%s/%s", dir, all[i].name);
    remove_tree(path);
    json_array_append_new(pruned, json_string(all[i].name));
  }
  free(all);
  return pruned;
}

/* Where the CRIU log of this container's failed dump is kept: only its latest. */
static void keep_failed_log(const char *dir, const char *tmp, const char *name, char *kept, size_t len) {
  char log[PATH_MAX], prefix[PATH_MAX];
  snprintf(log, sizeof log, "%s/criu/dump.log", tmp);
  if (access(log, F_OK) < 0) return;
  snprintf(prefix, sizeof prefix, "%s.", M.id);
  DIR *d = opendir(dir);
  struct dirent *de;
  while (d && (de = readdir(d))) {
    size_t l = strlen(de->d_name), s = strlen(".failed-dump.log");
    if (!strncmp(de->d_name, prefix, strlen(prefix)) && l > s && !strcmp(de->d_name + l - s, ".failed-dump.log")) {
      char p[PATH_MAX];
      snprintf(p, sizeof p, "%s/%s", dir, de->d_name);
      unlink(p);
    }
  }
  if (d) closedir(d);
  snprintf(kept, len, "%s/%s.%s.failed-dump.log", dir, M.id, name);
  if (copy_file(log, kept) < 0) {
    diag_warn("after a failed checkpoint, keeping CRIU's log failed: %s", strerror(errno));
    kept[0] = 0;
  }
}

static void resume_quiet(void) {
  const char *a[] = {"resume", M.id, NULL};
  runc_quiet(a);
}

/* CRIU's network unlock (criu/net.c, iptables method), for a lock nobody else will take out; nothing when there is none. */
static const char UNLOCK_SCRIPT[] = "PATH=$PATH:/usr/local/sbin:/usr/sbin:/sbin\n"
                                    "for t in iptables ip6tables; do\n"
                                    "  $t -w -n -L CRIU >/dev/null 2>&1 || continue\n"
                                    "  while $t -w -D INPUT -j CRIU 2>/dev/null; do :; done\n"
                                    "  while $t -w -D OUTPUT -j CRIU 2>/dev/null; do :; done\n"
                                    "  $t -w -F CRIU && $t -w -X CRIU || exit 1\n"
                                    "done\n";

/* CRIU locks the container's network namespace while it dumps and unlocks it at the end; a CRIU killed in
 * between leaves the lock, and the container, running on, unreachable (its published ports dead): take it out. */
static void unlock_network(void) {
  const char *netns = json_string_value(json_object_get(M.cfg.network, "netns"));
  if (!netns || netns[0] != '/') return;
  char opt[PATH_MAX + 8];
  if (snprintf(opt, sizeof opt, "--net=%s", netns) >= (int)sizeof opt) return;
  const char *args[] = {"nsenter", opt, "sh", "-c", UNLOCK_SCRIPT, NULL};
  struct call c;
  struct err e;
  if (call_spawn(&c, false, args, NULL, &e) < 0 || call_wait(&c, "removing CRIU's network lock", &e) < 0)
    diag_warn("after a failed checkpoint, removing CRIU's network lock from %s failed: %s", netns, e.msg);
}

/* A checkpoint failed (ENOSPC, a killed runc or CRIU, tar): thaw the container and give its status back, whatever else fails. */
static void failed(struct err *e, const struct opts *o, const char *tmp, const char *final, bool was_paused, enum status before, long long t0,
                   bool dumping) {
  char msg[sizeof e->msg];
  snprintf(msg, sizeof msg, "%s", e->msg);
  /* a runc or CRIU killed mid-dump can leave the container frozen: thaw it first */
  if (!was_paused) resume_quiet();
  /* and reachable again: a process that lives on gets its network back */
  if (proc_alive(M.init_pid)) unlock_network();
  bool lost = !o->leave_running && !proc_alive(M.init_pid);
  bool kept = false;
  char kept_log[PATH_MAX] = "";
  if (lost) {
    struct err e2;
    json_t *m = write_meta(tmp, o, t0, 0, 0, msg, &e2);
    if (m && publish(tmp, final, o->name, &e2) == 0) {
      kept = true;
      free(M.checkpointed_as);
      M.checkpointed_as = strdup(o->name);
    } else
      diag_warn("after a failed checkpoint, keeping the images failed: %s", e2.msg);
    json_decref(m);
  } else {
    if (dumping) keep_failed_log(o->dir, tmp, o->name, kept_log, sizeof kept_log);
    /* never the only copy of a process: images not published stay where they are */
    remove_tree(tmp);
  }
  /* a process CRIU killed: its exit moves the status on from checkpointing to checkpointed */
  if (!kept) state_set(before, NULL);
  diag_warn("checkpoint %s failed: %s", o->name, msg);
  size_t l = strlen(e->msg);
  if (kept)
    snprintf(e->msg + l, sizeof e->msg - l, " (the process was dumped and is gone: its images are kept as checkpoint %s, marked failed)", o->name);
  else if (lost)
    snprintf(e->msg + l, sizeof e->msg - l, " (the process is gone: what CRIU wrote is kept in %s)", tmp);
  else if (kept_log[0])
    snprintf(e->msg + l, sizeof e->msg - l, " (CRIU log: %s)", kept_log);
}

static int take(const struct opts *o, json_t **result, struct err *e) {
  if (!state_accepts(OP_CHECKPOINT, e)) return -1;
  if (M.cfg.tty) {
    err_set(e, "ESTATE",
            "cannot checkpoint container %s: it has a terminal (-t), and a restored container could not get its pty back; run it without -t to checkpoint it",
            M.id);
    return -1;
  }
  if (!valid_name(o->name)) {
    err_set(e, "EUSAGE", "invalid checkpoint name \"%s\": must match [a-zA-Z0-9][a-zA-Z0-9_.-]{0,127} and not be \"latest\"", o->name);
    return -1;
  }
  struct stat st;
  /* the request names a folder: never work in one that is not a real directory */
  if (o->dir[0] != '/' || stat(o->dir, &st) < 0 || !S_ISDIR(st.st_mode)) {
    err_set(e, "EUSAGE", "invalid checkpoint folder %s: not a directory", o->dir);
    return -1;
  }
  char final[PATH_MAX], tmp[PATH_MAX], sub[PATH_MAX];
  unsigned nonce = 0;
  if (getrandom(&nonce, sizeof nonce, 0) < 0) nonce = (unsigned)now_ms();
  if (snprintf(final, sizeof final, "%s/%s", o->dir, o->name) >= (int)sizeof final ||
      snprintf(tmp, sizeof tmp, "%s/.tmp-%s-%s-%08x", o->dir, o->name, M.id, nonce) >= (int)sizeof tmp) {
    err_set(e, "EUSAGE", "invalid checkpoint folder %s: path too long", o->dir);
    return -1;
  }
  if (lstat(final, &st) == 0) {
    err_set(e, "EEXIST", "checkpoint %s of container %s already exists", o->name, M.id);
    return -1;
  }
  /* one level at a time (not recursive): a folder that vanished or is not ours fails here at once */
  path_join(sub, tmp, "criu");
  if (mkdir(tmp, 0700) < 0 || chmod(tmp, 0700) < 0 || mkdir(sub, 0700) < 0 || chmod(sub, 0700) < 0) {
    err_set(e, "ERUNTIME", "checkpoint failed: %s: %s", tmp, strerror(errno));
    remove_tree(tmp);
    return -1;
  }
  bool was_paused = state_status() == ST_PAUSED;
  enum status before = state_status();
  state_set(ST_CHECKPOINTING, NULL);
  long long t0 = now_ms(), diff = 0;
  if (M.cfg.has_upper) {
    /* frozen while the writable layer is saved, so files and memory are of one moment */
    const char *pause[] = {"pause", M.id, NULL};
    char tar[PATH_MAX];
    path_join(tar, tmp, "rootfs-diff.tar");
    const char *targs[] = {"tar", "-C", M.p.upper, "--xattrs", "--numeric-owner", "-cf", tar, ".", NULL};
    struct call c;
    if ((!was_paused && runc_do("runc pause", pause, e) < 0) || call_spawn(&c, false, targs, NULL, e) < 0 || call_wait(&c, "tar", e) < 0) {
      if (strncmp(e->msg, "runc", 4)) {
        char m[sizeof e->msg];
        snprintf(m, sizeof m, "checkpoint failed: %s", e->msg);
        snprintf(e->msg, sizeof e->msg, "%s", m);
      }
      failed(e, o, tmp, final, was_paused, before, t0, false);
      return -1;
    }
    diff = now_ms() - t0;
  }
  long long t1 = now_ms();
  const char *args[16] = {"checkpoint", "--image-path", sub, "--work-path", sub};
  int n = 5;
  if (o->leave_running) args[n++] = "--leave-running";
  if (o->tcp) args[n++] = "--tcp-established";
  if (o->locks) args[n++] = "--file-locks";
  args[n++] = M.id;
  args[n] = NULL;
  if (runc_do_grouped("runc checkpoint", args, e) < 0) {
    char log[PATH_MAX + 16], why[512];
    snprintf(log, sizeof log, "%s/dump.log", sub);
    if (criu_error(log, why, sizeof why)) err_set(e, "ERUNTIME", "runc checkpoint failed: %s", why);
    failed(e, o, tmp, final, was_paused, before, t0, true);
    return -1;
  }
  long long dump = now_ms() - t1;
  if (M.cfg.has_upper && !was_paused && o->leave_running) {
    const char *resume[] = {"resume", M.id, NULL};
    if (runc_do("runc resume", resume, e) < 0) {
      failed(e, o, tmp, final, was_paused, before, t0, false);
      return -1;
    }
  }
  json_t *meta = write_meta(tmp, o, t0, diff, dump, NULL, e);
  if (!meta || publish(tmp, final, o->name, e) < 0) {
    json_decref(meta);
    failed(e, o, tmp, final, was_paused, before, t0, false);
    return -1;
  }
  json_t *pruned = o->keep > 0 ? prune(o->dir, o->keep, o->shared) : json_array();
  if (o->leave_running) state_set(was_paused ? ST_PAUSED : ST_RUNNING, NULL);
  else {
    /* CRIU has killed the init: its exit is recorded as checkpointed */
    free(M.checkpointed_as);
    M.checkpointed_as = strdup(o->name);
  }
  diag_info("checkpoint %s: %lld bytes in %lld ms", o->name, (long long)json_integer_value(json_object_get(meta, "sizeBytes")), now_ms() - t0);
  json_object_set_new(meta, "path", json_string(final));
  json_object_set_new(meta, "pruned", pruned);
  *result = meta;
  return 0;
}

int checkpoint_request(json_t *r, json_t **result, struct err *e) {
  json_t *keep = json_object_get(r, "keep");
  struct opts o = {
      .name = json_string_value(json_object_get(r, "name")),
      .dir = json_string_value(json_object_get(r, "dir")),
      .shared = json_is_true(json_object_get(r, "sharedDir")),
      .leave_running = json_is_true(json_object_get(r, "leaveRunning")),
      .tcp = json_is_true(json_object_get(r, "tcpEstablished")),
      .locks = json_is_true(json_object_get(r, "fileLocks")),
      .pinned = json_is_true(json_object_get(r, "pinned")),
      .keep = json_is_integer(keep) ? json_integer_value(keep) : 0,
  };
  return take(&o, result, e);
}

/* --checkpoint-every: rolling checkpoints taken by the monitor itself. */
static struct timer every;
static bool every_ready;
/* the error of the last turn, empty when it worked (the log's note is written when this changes) */
static char failing[sizeof(((struct err *)0)->msg)];

static void scheduled(void *arg) {
  (void)arg;
  /* paused, restarting, already checkpointing: skip this turn */
  if (state_status() != ST_RUNNING) return;
  char name[64], created[32];
  iso_time(now_ms(), created);
  /* cp-20261121T113543123Z, as lib/checkpoint/store.ts defaultCheckpointName */
  int k = snprintf(name, sizeof name, "cp-");
  for (const char *c = created; *c && k < (int)sizeof name - 1; c++)
    if (*c != '-' && *c != ':' && *c != '.') name[k++] = *c;
  name[k] = 0;
  if (mkdir(M.p.checkpoints, 0700) == 0) chmod(M.p.checkpoints, 0700);
  struct opts o = {
      .name = name, .dir = M.p.checkpoints, .leave_running = M.cfg.every_leave_running, .tcp = M.cfg.every_tcp, .keep = M.cfg.every_keep};
  json_t *result = NULL;
  struct err e;
  if (take(&o, &result, &e) == 0) {
    json_decref(result);
    if (!o.leave_running) {
      char full[PATH_MAX];
      path_join(full, M.p.checkpoints, name);
      free(M.restore_from);
      M.restore_from = strdup(full);
    }
    state_patch(json_pack("{s:{s:s, s:o, s:n}}", "lastScheduledCheckpoint", "name", name, "at", json_time(now_ms()), "error"));
    if (failing[0]) log_note("scheduled checkpoints work again (%s)", name);
    failing[0] = 0;
  } else {
    /* the container runs on as before; the next turn tries again */
    state_patch(json_pack("{s:{s:n, s:o, s:s}}", "lastScheduledCheckpoint", "name", "at", json_time(now_ms()), "error", e.msg));
    /* in the log once, not every turn: when it starts failing, or fails otherwise (the kept CRIU
     * log's path, named for each turn's checkpoint, is not a change) */
    char why[sizeof failing];
    snprintf(why, sizeof why, "%s", e.msg);
    char *kept = strstr(why, " (CRIU log: ");
    if (kept) *kept = 0;
    if (strcmp(failing, why)) {
      bool tcp = !M.cfg.every_tcp && strstr(why, "--tcp-established");
      log_note("scheduled checkpoint failed, the container runs on and the next turn tries again: %s%s", e.msg,
               tcp ? " (run it with --checkpoint-tcp-established to checkpoint its connections)" : "");
      snprintf(failing, sizeof failing, "%s", why);
    }
  }
}

void schedule_start(void) {
  if (M.cfg.every_interval <= 0) return;
  if (!every_ready && timer_init(&every, false, scheduled, NULL) == 0) every_ready = true;
  if (every_ready && !timer_armed(&every)) timer_arm(&every, M.cfg.every_interval, M.cfg.every_interval);
}

void schedule_stop(void) {
  if (every_ready) timer_stop(&every);
}
