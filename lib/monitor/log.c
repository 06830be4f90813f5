#define _GNU_SOURCE
#include "log.h"
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include "diag.h"
#include "loop.h"
#include "monitor.h"
#include "state.h"

/* Entries longer than this are split into partial (P) entries (lib/logs/cri-format.ts MAX_ENTRY). */
#define MAX_ENTRY (16 * 1024)
/* While output is dropped, the count goes to state.json at most this often. */
#define DROP_REPORT_MS 1000
#define OUT_SIZE (512 * 1024)

static int fd = -1;
static unsigned long long ino;
static long long size;
static char last_time[40] = "";
static long long dropped, gap, told;
static char gap_reason[64];
static long long told_at;
static struct timer report;
static bool report_ready;
/* entries waiting to be written: always whole entries */
static char out[OUT_SIZE] __attribute__((aligned(4096)));
static size_t out_len;

static void open_log(void) {
  fd = open(M.p.log, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
  if (fd < 0) return diag_warn("opening the log failed: %s", strerror(errno));
  struct stat st;
  if (fchmod(fd, 0600) < 0 || fstat(fd, &st) < 0) diag_warn("the log: %s", strerror(errno));
  else {
    size = st.st_size;
    ino = st.st_ino;
  }
}

static void tell_dropped(void *arg) {
  (void)arg;
  timer_stop(&report);
  told_at = mono_ms();
  told = dropped;
  if (M.state) state_patch(json_pack("{s:I}", "logDroppedBytes", (json_int_t)dropped));
}

int log_open(int adopt, long long dropped_before) {
  dropped = told = dropped_before;
  if (!report_ready && timer_init(&report, true, tell_dropped, NULL) == 0) report_ready = true;
  if (adopt >= 0) {
    struct stat st;
    fd = adopt;
    if (fstat(fd, &st) == 0) {
      size = st.st_size;
      ino = st.st_ino;
    }
  } else
    open_log();
  return fd < 0 ? -1 : 0;
}

/* Strictly increasing within this process, with the clock's nanoseconds. */
static void timestamp(char t[40]) {
  static struct timespec last;
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  if (ts.tv_sec < last.tv_sec || (ts.tv_sec == last.tv_sec && ts.tv_nsec <= last.tv_nsec)) {
    ts = last;
    if (++ts.tv_nsec >= 1000000000) {
      ts.tv_sec++;
      ts.tv_nsec = 0;
    }
  }
  last = ts;
  struct tm tm;
  gmtime_r(&ts.tv_sec, &tm);
  snprintf(t, 40, "%04d-%02d-%02dT%02d:%02d:%02d.%09ldZ", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min,
           tm.tm_sec, ts.tv_nsec);
}

/* Writes all of buf or nothing (a torn tail is cut back); 0, or an errno. */
static int append(const char *buf, size_t len) {
  if (fd < 0) open_log();
  if (fd < 0) return ENOENT;
  size_t done = 0;
  while (done < len) {
    ssize_t w = write(fd, buf + done, len - done);
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) {
      int e = w < 0 ? errno : ENOSPC;
      if (done > 0 && ftruncate(fd, size) < 0) {
        /* the torn entry stays; readers skip a malformed line */
      }
      return e;
    }
    done += (size_t)w;
  }
  size += (long long)len;
  return 0;
}

static void rotate(void) {
  if (fd >= 0) {
    fsync(fd);
    close(fd);
    fd = -1;
  }
  char from[PATH_MAX + 16], to[PATH_MAX + 16];
  if (M.cfg.log_max_files <= 1) {
    unlink(M.p.log);
  } else {
    snprintf(to, sizeof to, "%s.%lld", M.p.log, M.cfg.log_max_files - 1);
    unlink(to);
    for (long long i = M.cfg.log_max_files - 2; i >= 1; i--) {
      snprintf(from, sizeof from, "%s.%lld", M.p.log, i);
      snprintf(to, sizeof to, "%s.%lld", M.p.log, i + 1);
      rename(from, to); /* a missing file: the log has not rotated that often yet */
    }
    snprintf(to, sizeof to, "%s.1", M.p.log);
    if (rename(M.p.log, to) < 0) diag_warn("log rotation failed: %s", strerror(errno));
  }
  size = 0;
  open_log();
}

static void drop(long long bytes, int why) {
  bool first = gap == 0;
  if (first) diag_warn("log write failed (%s): dropping output until it succeeds again", strerror(why));
  gap += bytes;
  dropped += bytes;
  snprintf(gap_reason, sizeof gap_reason, "%s", strerrorname_np(why) ? strerrorname_np(why) : strerror(why));
  if (first) return tell_dropped(NULL);
  if (timer_armed(&report)) return;
  long long wait = told_at + DROP_REPORT_MS - mono_ms();
  if (wait <= 0) return tell_dropped(NULL);
  /* told when the second is up, even if no output comes after it */
  timer_arm(&report, wait, 0);
}

/* Writes the pending entries, stamped `t`; 0, or the errno of the failed write (they are then gone:
 * the caller drops them, with the rest of its chunk, in one drop(), so that the count told when
 * dropping starts is the whole chunk's). Fixed: a failing flush used to drop its own entries and the
 * caller the rest separately, so a chunk cut short was told in two reports a second apart; and a
 * successful flush before it did not move last_time, so log_where() gave the end of the entries
 * written with the time of an older write. */
static int flush(const char *t) {
  if (!out_len) return 0;
  int e = append(out, out_len);
  out_len = 0;
  if (!e) snprintf(last_time, sizeof last_time, "%s", t);
  return e;
}

static int note_gap(void);

void log_write(const char *stream, const char *data, size_t len) {
  int err;
  /* Fixed: dropped as ENOSPC whatever failed (the note then named the wrong error); now the note's own error. */
  if (gap > 0 && (err = note_gap())) return drop((long long)len, err);
  char t[40], header[64];
  timestamp(t);
  int hlen = snprintf(header, sizeof header, "%s %s F ", t, stream);
  long long pending_content = 0; /* content bytes in out[] */
  for (size_t start = 0; start < len;) {
    const char *nl = memchr(data + start, '\n', len - start);
    size_t end = nl ? (size_t)(nl - data) : len;
    size_t s = start;
    do {
      size_t e = end - s > MAX_ENTRY ? s + MAX_ENTRY : end;
      size_t elen = (size_t)hlen + (e - s) + 1;
      /* rotation between entries, when this one would pass the limit */
      if (size + (long long)(out_len + elen) > M.cfg.log_max_size && size + (long long)out_len > 0) {
        if ((err = flush(t))) return drop(pending_content + (long long)(len - s), err);
        pending_content = 0;
        if (size > 0) rotate();
      }
      if (out_len + elen > sizeof out) {
        if ((err = flush(t))) return drop(pending_content + (long long)(len - s), err);
        pending_content = 0;
      }
      memcpy(out + out_len, header, (size_t)hlen);
      out[out_len + (size_t)hlen - 2] = nl && e == end ? 'F' : 'P';
      memcpy(out + out_len + hlen, data + s, e - s);
      out[out_len + elen - 1] = '\n';
      out_len += elen;
      pending_content += (long long)(e - s) + (nl && e == end);
      s = e;
    } while (s < end);
    start = nl ? end + 1 : len;
  }
  if ((err = flush(t))) drop(pending_content, err);
}

/* An lrctl entry: one F line, newlines made spaces. */
static int event(const char *msg) {
  char t[40], line[1200];
  timestamp(t);
  int n = snprintf(line, sizeof line - 1, "%s lrctl F %s", t, msg);
  if (n < 0) return EINVAL;
  if (n > (int)sizeof line - 2) n = sizeof line - 2;
  for (int i = (int)strlen(t) + 9; i < n; i++)
    if (line[i] == '\n') line[i] = ' ';
  line[n++] = '\n';
  if (size + n > M.cfg.log_max_size && size > 0) rotate();
  int e = append(line, (size_t)n);
  if (!e) snprintf(last_time, sizeof last_time, "%s", t);
  return e;
}

void log_note(const char *fmt, ...) {
  char msg[1024];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  event(msg);
}

/* Notes the gap once the log is writable again; 0, or the errno of the failed note. */
static int note_gap(void) {
  char msg[200];
  snprintf(msg, sizeof msg, "%lld bytes of output dropped here: the log could not be written (%s)", gap, gap_reason);
  int e = event(msg);
  if (e) return e;
  diag_info("log writable again after dropping %lld bytes", gap);
  gap = 0;
  tell_dropped(NULL);
  return 0;
}

void log_where(struct log_pos *p) {
  p->ino = ino;
  p->pos = size;
  snprintf(p->time, sizeof p->time, "%s", last_time);
}

long long log_dropped(void) { return dropped; }
int log_fd(void) { return fd; }

void log_trim(void) { madvise(out, sizeof out, MADV_DONTNEED); }

void log_flush_dropped(void) {
  if (dropped != told) tell_dropped(NULL);
}

void log_close(void) {
  timer_stop(&report);
  if (fd < 0) return;
  fsync(fd);
  close(fd);
  fd = -1;
}
