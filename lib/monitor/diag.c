#define _GNU_SOURCE
#include "diag.h"
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>
#include "monitor.h"

static int fd = -1;

void diag_open(const char *path) {
  if (fd >= 0) close(fd);
  /* 0600: it names the command line, which may hold secrets */
  fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
  if (fd >= 0) fchmod(fd, 0600);
}

static void line(const char *level, const char *fmt, va_list ap) {
  if (fd < 0) return;
  char buf[2048], t[32];
  iso_time(now_ms(), t);
  int n = snprintf(buf, sizeof buf, "%s %s ", t, level);
  int m = vsnprintf(buf + n, sizeof buf - n - 1, fmt, ap);
  if (m < 0) return;
  size_t len = (size_t)n + ((size_t)m < sizeof buf - n - 1 ? (size_t)m : sizeof buf - n - 2);
  buf[len++] = '\n';
  if (write(fd, buf, len) < 0) {
    /* nowhere else to report: stdio is /dev/null */
  }
}

#define LEVEL(name, word)              \
  void name(const char *fmt, ...) {    \
    va_list ap;                        \
    va_start(ap, fmt);                 \
    line(word, fmt, ap);               \
    va_end(ap);                        \
  }
LEVEL(diag_info, "info")
LEVEL(diag_warn, "warn")
LEVEL(diag_error, "error")
