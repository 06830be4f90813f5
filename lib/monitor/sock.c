#define _GNU_SOURCE
#include "sock.h"
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

int listen_private(const char *path, int type_flags, int backlog, const char *what, struct err *e) {
  struct sockaddr_un a = {.sun_family = AF_UNIX};
  if (strlen(path) >= sizeof a.sun_path) {
    err_set(e, "ERUNTIME", "%s path too long: %s", what, path);
    return -1;
  }
  strcpy(a.sun_path, path);
  char dir[PATH_MAX];
  snprintf(dir, sizeof dir, "%s", path);
  char *slash = strrchr(dir, '/');
  if (slash && slash != dir) {
    *slash = 0;
    if ((mkdir(dir, 0700) < 0 && errno != EEXIST) || chmod(dir, 0700) < 0) {
      err_set(e, "ERUNTIME", "cannot make %s: %s", dir, strerror(errno));
      return -1;
    }
  }
  unlink(path);
  int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | type_flags, 0);
  if (fd < 0 || bind(fd, (struct sockaddr *)&a, sizeof a) < 0 || chmod(path, 0600) < 0 || listen(fd, backlog) < 0) {
    err_set(e, "ERUNTIME", "cannot listen on the %s %s: %s", what, path, strerror(errno));
    if (fd >= 0) close(fd);
    return -1;
  }
  return fd;
}
