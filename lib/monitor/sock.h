/* The monitor's two listening unix sockets (control and console): root-only
 * whatever the umask, the socket 0600 in a 0700 folder (the container's, or
 * /run/lrctl when the container's path is too long for a socket). */
#ifndef LRCTL_SOCK_H
#define LRCTL_SOCK_H
#include "state.h"
/* A listening socket at `path` (an old one there is replaced); -1 with `e` set. */
int listen_private(const char *path, int type_flags, int backlog, const char *what, struct err *e);
#endif
