/* Unix sockets: the peer's uid (SO_PEERCRED) and runc's console socket,
 * on which runc sends the pty master (SCM_RIGHTS); a pty's window size. */
#define _GNU_SOURCE
#include <node_api.h>
#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <string.h>
#include <time.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <termios.h>
#include <unistd.h>
#include "napi-args.h"
#include "console.h"

/* peerUid(fd) -> the uid of the process at the other end of a connected unix
 * socket (SO_PEERCRED, as the kernel recorded it at connect or listen). A
 * spare shim's socket is abstract, which file permissions cannot guard: each
 * side checks that the other runs as its own user. */
napi_value peer_uid(napi_env env, napi_callback_info info) {
  int32_t fd;
  if (arg_fd(env, info, 0, &fd) != 0) { napi_throw_type_error(env, NULL, "peerUid: fd must be a non-negative integer"); return NULL; }
  struct ucred cred;
  socklen_t len = sizeof cred;
  if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) != 0) return throw_errno(env, "getsockopt(SO_PEERCRED)", errno);
  return make_int(env, cred.uid);
}

/* listenUnix(path) -> listening fd (close-on-exec), for runc --console-socket. */
napi_value listen_unix(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  struct sockaddr_un addr;
  memset(&addr, 0, sizeof addr);
  addr.sun_family = AF_UNIX;
  size_t len = 0;
  if (argc < 1 || napi_get_value_string_utf8(env, argv[0], addr.sun_path, sizeof addr.sun_path, &len) != napi_ok) {
    napi_throw_type_error(env, NULL, "listenUnix: path must be a string");
    return NULL;
  }
  if (len >= sizeof addr.sun_path - 1) return throw_errno(env, "listenUnix", ENAMETOOLONG);
  int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return throw_errno(env, "socket", errno);
  if (bind(fd, (struct sockaddr *)&addr, sizeof addr) != 0 || listen(fd, 1) != 0) {
    int e = errno;
    close(fd);
    return throw_errno(env, "bind/listen console socket", e);
  }
  return make_int(env, fd);
}

/* Milliseconds left until `deadline` (CLOCK_MONOTONIC), at least 0. */
static int ms_left(const struct timespec *deadline) {
  struct timespec now;
  clock_gettime(CLOCK_MONOTONIC, &now);
  long long ms = (long long)(deadline->tv_sec - now.tv_sec) * 1000 + (deadline->tv_nsec - now.tv_nsec) / 1000000;
  return ms < 0 ? 0 : ms > INT_MAX ? INT_MAX : (int)ms;
}

/* poll() one fd for input until `deadline`: 1 ready, 0 timed out, -1 errno. */
static int wait_readable(int fd, const struct timespec *deadline) {
  struct pollfd p = { .fd = fd, .events = POLLIN };
  int r;
  do { r = poll(&p, 1, ms_left(deadline)); } while (r < 0 && errno == EINTR);
  return r;
}

/* Closes every fd an SCM_RIGHTS message of `msg` carried. */
static void close_received(struct msghdr *msg) {
  for (struct cmsghdr *c = CMSG_FIRSTHDR(msg); c; c = CMSG_NXTHDR(msg, c)) {
    if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS || c->cmsg_len < CMSG_LEN(0)) continue;
    size_t n = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
    for (size_t i = 0; i < n; i++) {
      int fd;
      memcpy(&fd, CMSG_DATA(c) + i * sizeof fd, sizeof fd);
      close(fd);
    }
  }
}

/* The monotonic time `ms` milliseconds from now. */
static struct timespec deadline_in(int32_t ms) {
  struct timespec d;
  clock_gettime(CLOCK_MONOTONIC, &d);
  d.tv_sec += ms / 1000;
  d.tv_nsec += (long)(ms % 1000) * 1000000;
  if (d.tv_nsec >= 1000000000) { d.tv_sec++; d.tv_nsec -= 1000000000; }
  return d;
}

/* acceptRecvFd(listenFd, timeoutMs, messageTimeoutMs = 5000) -> the one fd
 * runc sends (the pty master). A connection is waited for up to timeoutMs
 * (ETIMEDOUT: the caller polls in short slices and looks at runc between
 * them); once one is accepted, its message is waited for up to
 * messageTimeoutMs (ETIMEDOUT), so a peer that connects and sends nothing
 * cannot hold the shim, while a runc that is merely slow is not cut off. A
 * message with more than one fd, or cut short (MSG_CTRUNC), is refused and
 * whatever it carried is closed. */
napi_value accept_recv_fd(napi_env env, napi_callback_info info) {
  int32_t lfd, timeout, msg_timeout = 5000;
  size_t argc = 3;
  napi_value argv[3];
  napi_valuetype third = napi_undefined;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || (argc >= 3 && napi_typeof(env, argv[2], &third) != napi_ok)
      || arg_fd(env, info, 0, &lfd) != 0 || arg_int(env, info, 1, &timeout) != 0 || timeout < 0
      || (third != napi_undefined && (value_int(env, argv[2], &msg_timeout) != 0 || msg_timeout < 0))) {
    napi_throw_type_error(env, NULL, "acceptRecvFd: fd and timeouts must be non-negative integers");
    return NULL;
  }
  struct timespec deadline = deadline_in(timeout);
  int r = wait_readable(lfd, &deadline);
  if (r < 0) return throw_errno(env, "poll console socket", errno);
  if (r == 0) return throw_errno(env, "waiting for runc to send the pty", ETIMEDOUT);
  int cfd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
  if (cfd < 0) return throw_errno(env, "accept console socket", errno);
  deadline = deadline_in(msg_timeout);
  r = wait_readable(cfd, &deadline);
  if (r <= 0) {
    int e = r == 0 ? ETIMEDOUT : errno;
    close(cfd);
    return throw_errno(env, "waiting for runc's message on the console socket", e);
  }
  char name[256];
  struct iovec iov = { .iov_base = name, .iov_len = sizeof name };
  union { struct cmsghdr h; char buf[CMSG_SPACE(sizeof(int))]; } ctl;
  struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = ctl.buf, .msg_controllen = sizeof ctl.buf };
  ssize_t n;
  do { n = recvmsg(cfd, &msg, MSG_CMSG_CLOEXEC | MSG_DONTWAIT); } while (n < 0 && errno == EINTR);
  int e = errno;
  close(cfd);
  if (n < 0) return throw_errno(env, "recvmsg console socket", e);
  if (msg.msg_flags & MSG_CTRUNC) {
    close_received(&msg);
    return throw_errno(env, "the console socket's message carried more than one fd", EMSGSIZE);
  }
  struct cmsghdr *c = CMSG_FIRSTHDR(&msg);
  if (!c || c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS || c->cmsg_len != CMSG_LEN(sizeof(int))) {
    close_received(&msg);
    return throw_errno(env, "runc sent no fd on the console socket", EBADMSG);
  }
  int fd;
  memcpy(&fd, CMSG_DATA(c), sizeof fd);
  return make_int(env, fd);
}

/* setWinsize(fd, rows, cols): resize a pty (TIOCSWINSZ on the master). */
napi_value set_winsize(napi_env env, napi_callback_info info) {
  int32_t fd, rows, cols;
  if (arg_fd(env, info, 0, &fd) != 0 || arg_int(env, info, 1, &rows) != 0 || arg_int(env, info, 2, &cols) != 0 || rows < 0 || rows > USHRT_MAX
      || cols < 0 || cols > USHRT_MAX) {
    napi_throw_type_error(env, NULL, "setWinsize: fd, rows and cols must be integers (rows and cols 0 to 65535)");
    return NULL;
  }
  struct winsize ws = { .ws_row = (unsigned short)rows, .ws_col = (unsigned short)cols };
  if (ioctl(fd, TIOCSWINSZ, &ws) != 0) return throw_errno(env, "ioctl(TIOCSWINSZ)", errno);
  return NULL;
}
