#define _GNU_SOURCE
#include "proc.h"
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* The fields after the command (which may hold spaces and parentheses): from the last ')'. */
static char *stat_fields(pid_t pid, char *buf, size_t len) {
  char path[64];
  snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return NULL;
  ssize_t n = read(fd, buf, len - 1);
  close(fd);
  if (n <= 0) return NULL;
  buf[n] = 0;
  char *p = strrchr(buf, ')');
  return p && p[1] == ' ' ? p + 2 : NULL;
}

long long proc_start_time(pid_t pid) {
  char buf[1024];
  char *p = stat_fields(pid, buf, sizeof buf);
  /* p is field 3 (state); the start time is field 22 */
  for (int field = 3; p && field < 22; field++) {
    p = strchr(p, ' ');
    if (p) p++;
  }
  return p ? strtoll(p, NULL, 10) : -1;
}

bool proc_alive(pid_t pid) {
  char buf[1024];
  char *p = pid > 0 ? stat_fields(pid, buf, sizeof buf) : NULL;
  return p && *p != 'Z' && *p != 'X';
}

void read_boot_id(char *out, size_t len) {
  out[0] = 0;
  int fd = open("/proc/sys/kernel/random/boot_id", O_RDONLY | O_CLOEXEC);
  if (fd < 0) return;
  ssize_t n = read(fd, out, len - 1);
  close(fd);
  if (n < 0) n = 0;
  out[n] = 0;
  char *nl = strchr(out, '\n');
  if (nl) *nl = 0;
}
