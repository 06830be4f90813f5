/* The few syscalls Node.js lacks (see shared/PLATFORM.md): child subreaper,
 * waitpid on one pid, anonymous pipes and their capacity, receiving a pty
 * master over a unix socket (runc --console-socket), and setting a pty's
 * window size, execve for a shim that upgrades itself in place, malloc_trim,
 * the uid at the other end of a unix socket, and mount/umount for a
 * container's overlay (the mount(8) process cost ~10 ms of each launch).
 * Plus one hot loop: encoding output into log entries, which in JavaScript
 * costs more CPU than the write itself. Every function is synchronous; the
 * two that wait (acceptRecvFd, and mount on a slow filesystem) are bounded
 * by their caller's timeout or the kernel. Arguments are checked strictly:
 * an fd that is NaN or 1.5 is a TypeError, never fd 0. */
#define _GNU_SOURCE
#include <node_api.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <malloc.h>
#include <math.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

/* Throws an Error whose code is the errno name (strerrorname_np, glibc
 * 2.32+), like Node's own fs errors; "E<number>" for one glibc cannot name. */
static napi_value throw_errno(napi_env env, const char *what, int err) {
  char msg[512];
  char unnamed[16];
  const char *code = strerrorname_np(err);
  if (code == NULL) {
    snprintf(unnamed, sizeof unnamed, "E%d", err);
    code = unnamed;
  }
  snprintf(msg, sizeof msg, "%s: %s", what, strerror(err));
  napi_throw_error(env, code, msg);
  return NULL;
}

/* A whole number in int32's range: NaN, Infinity, 1.5 and non-numbers are
 * refused (napi_get_value_int32 would turn NaN into 0, which is stdin). */
static int value_int(napi_env env, napi_value v, int32_t *out) {
  napi_valuetype t;
  double d;
  if (napi_typeof(env, v, &t) != napi_ok || t != napi_number || napi_get_value_double(env, v, &d) != napi_ok) return -1;
  if (!isfinite(d) || d != trunc(d) || d < INT32_MIN || d > INT32_MAX) return -1;
  *out = (int32_t)d;
  return 0;
}

static int arg_int(napi_env env, napi_callback_info info, size_t n, int32_t *out) {
  size_t argc = 4;
  napi_value argv[4];
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc < n + 1) return -1;
  return value_int(env, argv[n], out);
}

/* An fd argument: a whole number >= 0. */
static int arg_fd(napi_env env, napi_callback_info info, size_t n, int32_t *out) {
  return arg_int(env, info, n, out) != 0 || *out < 0 ? -1 : 0;
}

static napi_value make_int(napi_env env, int64_t v) {
  napi_value r;
  napi_create_int64(env, v, &r);
  return r;
}

/* setChildSubreaper(): orphans of our children (the container init after
 * `runc create` exits) are re-parented to us instead of PID 1. */
static napi_value set_child_subreaper(napi_env env, napi_callback_info info) {
  (void)info;
  if (prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) != 0) return throw_errno(env, "prctl(PR_SET_CHILD_SUBREAPER)", errno);
  return NULL;
}

/* peerUid(fd) -> the uid of the process at the other end of a connected unix
 * socket (SO_PEERCRED, as the kernel recorded it at connect or listen). A
 * spare shim's socket is abstract, which file permissions cannot guard: each
 * side checks that the other runs as its own user. */
static napi_value peer_uid(napi_env env, napi_callback_info info) {
  int32_t fd;
  if (arg_fd(env, info, 0, &fd) != 0) { napi_throw_type_error(env, NULL, "peerUid: fd must be a non-negative integer"); return NULL; }
  struct ucred cred;
  socklen_t len = sizeof cred;
  if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) != 0) return throw_errno(env, "getsockopt(SO_PEERCRED)", errno);
  return make_int(env, cred.uid);
}

/* malloc_trim(0): hands the C heap's free pages back to the kernel. An idle
 * shim calls it once its start-up is over: glibc keeps them otherwise. */
static napi_value trim_malloc(napi_env env, napi_callback_info info) {
  (void)env;
  (void)info;
  malloc_trim(0);
  return NULL;
}

/* waitpid(pid) -> null while running, else {pid, exitCode, signal}; WNOHANG
 * always, so the event loop never blocks. Never called with -1: libuv reaps
 * its own children by pid and must keep them. */
static napi_value wait_pid(napi_env env, napi_callback_info info) {
  int32_t pid;
  if (arg_int(env, info, 0, &pid) != 0 || pid <= 0) { napi_throw_type_error(env, NULL, "waitpid: pid must be a positive integer"); return NULL; }
  int status = 0;
  pid_t r;
  do { r = waitpid(pid, &status, WNOHANG); } while (r < 0 && errno == EINTR);
  if (r < 0) return throw_errno(env, "waitpid", errno);
  napi_value out;
  if (r == 0) { napi_get_null(env, &out); return out; }
  napi_value nul;
  napi_get_null(env, &nul);
  napi_create_object(env, &out);
  napi_set_named_property(env, out, "pid", make_int(env, r));
  napi_set_named_property(env, out, "exitCode", WIFEXITED(status) ? make_int(env, WEXITSTATUS(status)) : nul);
  napi_set_named_property(env, out, "signal", WIFSIGNALED(status) ? make_int(env, WTERMSIG(status)) : nul);
  return out;
}

/* pipe() -> [readFd, writeFd], both close-on-exec. libuv's stdio "pipes" are
 * socketpairs, which CRIU cannot checkpoint as a container's stdio. */
static napi_value make_pipe(napi_env env, napi_callback_info info) {
  (void)info;
  int fds[2];
  if (pipe2(fds, O_CLOEXEC) != 0) return throw_errno(env, "pipe2", errno);
  napi_value arr;
  napi_create_array_with_length(env, 2, &arr);
  napi_set_element(env, arr, 0, make_int(env, fds[0]));
  napi_set_element(env, arr, 1, make_int(env, fds[1]));
  return arr;
}

/* getPipeSize(fd) -> bytes */
static napi_value get_pipe_size(napi_env env, napi_callback_info info) {
  int32_t fd;
  if (arg_fd(env, info, 0, &fd) != 0) { napi_throw_type_error(env, NULL, "getPipeSize: fd must be a non-negative integer"); return NULL; }
  int r = fcntl(fd, F_GETPIPE_SZ);
  if (r < 0) return throw_errno(env, "fcntl(F_GETPIPE_SZ)", errno);
  return make_int(env, r);
}

/* encodeEntries(chunk, header, maxEntry) -> Buffer: for each line of chunk
 * (split further every maxEntry bytes), header + content + "\n", with the
 * header's second-to-last byte set to 'F' for a line's last piece when the
 * line ended with a newline, 'P' otherwise. Same result as the loop in
 * lib/logs/cri-format.ts describes; two passes, memchr and memcpy. */
static napi_value encode_entries(napi_env env, napi_callback_info info) {
  size_t argc = 3;
  napi_value argv[3];
  char *chunk, *header;
  size_t clen, hlen;
  int32_t max;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc < 3 ||
      napi_get_buffer_info(env, argv[0], (void **)&chunk, &clen) != napi_ok ||
      napi_get_buffer_info(env, argv[1], (void **)&header, &hlen) != napi_ok || hlen < 2 ||
      value_int(env, argv[2], &max) != 0 || max <= 0) {
    napi_throw_type_error(env, NULL, "encodeEntries: (chunk: Buffer, header: Buffer, maxEntry > 0)");
    return NULL;
  }
  size_t size = 0;
  for (size_t start = 0; start < clen;) {
    char *nl = memchr(chunk + start, '\n', clen - start);
    size_t end = nl ? (size_t)(nl - chunk) : clen;
    size_t len = end - start;
    size_t pieces = len == 0 ? 1 : (len + max - 1) / max;
    size += pieces * (hlen + 1) + len;
    start = nl ? end + 1 : clen;
  }
  napi_value result;
  char *out;
  if (napi_create_buffer(env, size, (void **)&out, &result) != napi_ok) return NULL;
  char *p = out;
  for (size_t start = 0; start < clen;) {
    char *nl = memchr(chunk + start, '\n', clen - start);
    size_t end = nl ? (size_t)(nl - chunk) : clen;
    size_t s = start;
    do {
      size_t e = end - s > (size_t)max ? s + max : end;
      memcpy(p, header, hlen);
      p[hlen - 2] = nl && e == end ? 'F' : 'P';
      p += hlen;
      memcpy(p, chunk + s, e - s);
      p += e - s;
      *p++ = '\n';
      s = e;
    } while (s < end);
    start = nl ? end + 1 : clen;
  }
  return result;
}

/* setPipeSize(fd, bytes) -> the capacity the kernel granted (rounded up to pages). */
static napi_value set_pipe_size(napi_env env, napi_callback_info info) {
  int32_t fd, size;
  if (arg_fd(env, info, 0, &fd) != 0 || arg_int(env, info, 1, &size) != 0 || size <= 0) {
    napi_throw_type_error(env, NULL, "setPipeSize: fd and size must be positive integers");
    return NULL;
  }
  int r = fcntl(fd, F_SETPIPE_SZ, size);
  if (r < 0) return throw_errno(env, "fcntl(F_SETPIPE_SZ)", errno);
  return make_int(env, r);
}

/* A string argument of at most `size` bytes (with its NUL) into `out`; -1 if
 * it is missing, not a string, or too long. */
static int arg_string(napi_env env, napi_value v, char *out, size_t size) {
  size_t len = 0;
  if (napi_get_value_string_utf8(env, v, out, size, &len) != napi_ok) return -1;
  return len >= size - 1 ? -1 : 0;
}

/* mount(source, target, fstype, data): mount(2) with no flags, as
 * `mount -t fstype -o data source target` does. */
static napi_value do_mount(napi_env env, napi_callback_info info) {
  size_t argc = 4;
  napi_value argv[4];
  static char source[256], target[4096], fstype[64], data[12288];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  if (argc < 4 || arg_string(env, argv[0], source, sizeof source) || arg_string(env, argv[1], target, sizeof target)
      || arg_string(env, argv[2], fstype, sizeof fstype) || arg_string(env, argv[3], data, sizeof data)) {
    napi_throw_type_error(env, NULL, "mount: source, target, fstype and data must be strings of at most 255, 4095, 63 and 12287 bytes");
    return NULL;
  }
  if (mount(source, target, fstype, 0, data) != 0) return throw_errno(env, "mount", errno);
  return NULL;
}

/* umountDetach(target): umount2(target, MNT_DETACH), as `umount -l` does. */
static napi_value umount_detach(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  static char target[4096];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  if (argc < 1 || arg_string(env, argv[0], target, sizeof target)) {
    napi_throw_type_error(env, NULL, "umountDetach: target must be a string of at most 4095 bytes");
    return NULL;
  }
  if (umount2(target, MNT_DETACH) != 0) return throw_errno(env, "umount", errno);
  return NULL;
}

/* listenUnix(path) -> listening fd (close-on-exec), for runc --console-socket. */
static napi_value listen_unix(napi_env env, napi_callback_info info) {
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
static napi_value accept_recv_fd(napi_env env, napi_callback_info info) {
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
static napi_value set_winsize(napi_env env, napi_callback_info info) {
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

/* A string argument copied to the heap at its full length into `*out`
 * (free() it), charged against `*budget` bytes (execve's ARG_MAX). 0, or
 * EINVAL (not a string, or it holds a NUL), E2BIG (past the budget), ENOMEM. */
static int arg_heap_string(napi_env env, napi_value v, size_t *budget, char **out) {
  size_t len;
  napi_valuetype t;
  if (napi_typeof(env, v, &t) != napi_ok || t != napi_string || napi_get_value_string_utf8(env, v, NULL, 0, &len) != napi_ok) return EINVAL;
  if (len >= *budget) return E2BIG;
  char *s = malloc(len + 1);
  if (s == NULL) return ENOMEM;
  size_t got;
  if (napi_get_value_string_utf8(env, v, s, len + 1, &got) != napi_ok || got != len || strlen(s) != len) {
    free(s);
    return EINVAL;
  }
  *budget -= len + 1;
  *out = s;
  return 0;
}

static void free_strings(char **v, uint32_t n) {
  for (uint32_t i = 0; i < n; i++) free(v[i]);
}

/* Puts back the fd flags saved in `was` on the first `n` fds of `fds` (an
 * exec that failed): close-on-exec again where it was set, and only there
 * (an fd inherited without it stays inheritable). 0, or the first errno. */
static int restore_fd_flags(const int32_t *fds, const int *was, uint32_t n) {
  int err = 0;
  /* last first: an fd listed twice ends with the flags it had before the first */
  for (uint32_t i = n; i-- > 0;)
    if (fcntl(fds[i], F_SETFD, was[i]) != 0 && err == 0) err = errno;
  return err;
}

/* setCloexec(fd): sets FD_CLOEXEC. The fds an upgraded shim takes over
 * came through execve inheritable; left so, they would go to every child it
 * starts (runc, health checks), and a pipe held open there would keep the
 * container from seeing its stdin close. */
static napi_value set_cloexec(napi_env env, napi_callback_info info) {
  int32_t fd;
  if (arg_fd(env, info, 0, &fd) != 0) { napi_throw_type_error(env, NULL, "setCloexec: fd must be a non-negative integer"); return NULL; }
  int flags = fcntl(fd, F_GETFD);
  if (flags < 0 || fcntl(fd, F_SETFD, flags | FD_CLOEXEC) != 0) return throw_errno(env, "fcntl(F_SETFD, FD_CLOEXEC)", errno);
  return NULL;
}

#define EXEC_MAX_ARGS 64
#define EXEC_MAX_FDS 64

/* execve(path, argv, keepFds): replace this process (same pid, same children)
 * with `path`, keeping the fds in keepFds open across the exec (Node opens
 * everything close-on-exec). Strings are copied whole, however long (a long
 * --root must not be cut), within ARG_MAX (E2BIG). Returns only on failure,
 * by throwing, with keepFds' flags as they were. Used by `lrctl shim
 * upgrade`: the shim re-executes the installed code in place. */
extern char **environ;
static napi_value exec_ve(napi_env env, napi_callback_info info) {
  size_t argc = 3;
  napi_value a[3];
  uint32_t n = 0, nfds = 0;
  if (napi_get_cb_info(env, info, &argc, a, NULL, NULL) != napi_ok || argc < 3 || napi_get_array_length(env, a[1], &n) != napi_ok || n == 0
      || n > EXEC_MAX_ARGS || napi_get_array_length(env, a[2], &nfds) != napi_ok || nfds > EXEC_MAX_FDS) {
    napi_throw_type_error(env, NULL, "execve: path, argv (1-64 strings) and keepFds (at most 64 fds)");
    return NULL;
  }
  long arg_max = sysconf(_SC_ARG_MAX);
  size_t budget = arg_max > 0 ? (size_t)arg_max : 131072;
  int32_t fds[EXEC_MAX_FDS];
  for (uint32_t i = 0; i < nfds; i++) {
    napi_value v;
    if (napi_get_element(env, a[2], i, &v) != napi_ok || value_int(env, v, &fds[i]) != 0 || fds[i] < 0) {
      napi_throw_type_error(env, NULL, "execve: keepFds must hold non-negative integers");
      return NULL;
    }
  }
  char *path = NULL;
  int serr = arg_heap_string(env, a[0], &budget, &path);
  if (serr == EINVAL) { napi_throw_type_error(env, NULL, "execve: the path must be a string without NUL bytes"); return NULL; }
  if (serr != 0) return throw_errno(env, "execve: the path", serr);
  char *args[EXEC_MAX_ARGS + 1];
  for (uint32_t i = 0; i < n; i++) {
    napi_value v;
    serr = napi_get_element(env, a[1], i, &v) == napi_ok ? arg_heap_string(env, v, &budget, &args[i]) : EINVAL;
    if (serr != 0) {
      free_strings(args, i);
      free(path);
      if (serr == EINVAL) { napi_throw_type_error(env, NULL, "execve: argv must hold strings without NUL bytes"); return NULL; }
      return throw_errno(env, "execve: the path and arguments together", serr);
    }
  }
  args[n] = NULL;
  int err = 0;
  const char *what = "fcntl(F_SETFD) on a kept fd";
  int was[EXEC_MAX_FDS];
  uint32_t cleared = 0;
  for (; cleared < nfds; cleared++) {
    was[cleared] = fcntl(fds[cleared], F_GETFD);
    if (was[cleared] < 0) {
      err = errno;
      break;
    }
    if (fcntl(fds[cleared], F_SETFD, was[cleared] & ~FD_CLOEXEC) != 0) {
      err = errno;
      break;
    }
  }
  if (err == 0) {
    /* a blocked signal would stay blocked in the new program */
    sigset_t none, old;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, &old);
    execve(path, args, environ);
    err = errno;
    what = "execve";
    sigprocmask(SIG_SETMASK, &old, NULL);
  }
  /* the shim runs on after a failed exec: a kept fd left inheritable would
   * leak into every child it starts later (runc exec, health checks) */
  if (restore_fd_flags(fds, was, cleared) != 0) what = "execve failed, and a kept fd's flags could not be put back";
  free_strings(args, n);
  free(path);
  return throw_errno(env, what, err);
}

static napi_value init(napi_env env, napi_value exports) {
  napi_property_descriptor props[] = {
    { "encodeEntries", NULL, encode_entries, NULL, NULL, NULL, napi_default, NULL },
    { "setChildSubreaper", NULL, set_child_subreaper, NULL, NULL, NULL, napi_default, NULL },
    { "waitpid", NULL, wait_pid, NULL, NULL, NULL, napi_default, NULL },
    { "pipe", NULL, make_pipe, NULL, NULL, NULL, napi_default, NULL },
    { "getPipeSize", NULL, get_pipe_size, NULL, NULL, NULL, napi_default, NULL },
    { "setPipeSize", NULL, set_pipe_size, NULL, NULL, NULL, napi_default, NULL },
    { "listenUnix", NULL, listen_unix, NULL, NULL, NULL, napi_default, NULL },
    { "acceptRecvFd", NULL, accept_recv_fd, NULL, NULL, NULL, napi_default, NULL },
    { "setWinsize", NULL, set_winsize, NULL, NULL, NULL, napi_default, NULL },
    { "execve", NULL, exec_ve, NULL, NULL, NULL, napi_default, NULL },
    { "setCloexec", NULL, set_cloexec, NULL, NULL, NULL, napi_default, NULL },
    { "mallocTrim", NULL, trim_malloc, NULL, NULL, NULL, napi_default, NULL },
    { "peerUid", NULL, peer_uid, NULL, NULL, NULL, napi_default, NULL },
    { "mount", NULL, do_mount, NULL, NULL, NULL, napi_default, NULL },
    { "umountDetach", NULL, umount_detach, NULL, NULL, NULL, napi_default, NULL },
  };
  napi_define_properties(env, exports, sizeof props / sizeof props[0], props);
  return exports;
}

NAPI_MODULE(NODE_GYP_MODULE_NAME, init)
