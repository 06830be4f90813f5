#define _GNU_SOURCE
#include "stdio.h"
#include <errno.h>
#include <fcntl.h>
#include <malloc.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <termios.h>
#include <unistd.h>
#include "control.h"
#include "diag.h"
#include "log.h"
#include "loop.h"
#include "monitor.h"
#include "proc.h"
#include "sock.h"

#define DEFAULT_LOG_BUFFER (1024 * 1024)
/* the read size: what one log write and one output event carry at most (256 KiB:
 * 800 -> 970 MiB/s of 100-byte lines against 64 KiB; given back when idle) */
#define READ_SIZE (256 * 1024)
/* stdin waiting for the container to read it, before the writer is paused */
#define STDIN_QUEUE_MAX (256 * 1024)
/* how long after the last output an idle monitor gives its buffers back */
#define IDLE_TRIM_MS 5000

struct stdio_fds IO = {.out = -1, .err = -1, .in = -1, .child_in = -1, .child_out = -1, .child_err = -1, .pipe_size = -1};
void (*stdio_on_stdin_drained)(void);
static struct watch w_out, w_err, w_in;
static bool out_open, err_open;
static int console_fd = -1;
static char *in_queue;
static size_t in_len;

static void close_fd(int *fd) {
  if (*fd >= 0) close(*fd);
  *fd = -1;
}

static long long pipe_max(void) {
  char buf[32] = "";
  int fd = open("/proc/sys/fs/pipe-max-size", O_RDONLY | O_CLOEXEC);
  ssize_t n = fd >= 0 ? read(fd, buf, sizeof buf - 1) : -1;
  if (fd >= 0) close(fd);
  return n > 0 ? atoll(buf) : DEFAULT_LOG_BUFFER;
}

int stdio_pipes(struct err *e) {
  int o[2], r[2], i[2] = {-1, -1};
  if (pipe2(o, O_CLOEXEC) < 0 || pipe2(r, O_CLOEXEC) < 0 || (M.cfg.stdin_open && pipe2(i, O_CLOEXEC) < 0)) {
    err_set(e, "ERUNTIME", "cannot make the container's pipes: %s", strerror(errno));
    return -1;
  }
  IO = (struct stdio_fds){.out = o[0], .err = r[0], .in = i[1], .child_in = i[0], .child_out = o[1], .child_err = r[1], .pty = false};
  long long want = M.cfg.log_buffer_size > 0 ? M.cfg.log_buffer_size : (pipe_max() < DEFAULT_LOG_BUFFER ? pipe_max() : DEFAULT_LOG_BUFFER);
  int got = fcntl(o[0], F_SETPIPE_SZ, (int)want);
  if (got < 0 || fcntl(r[0], F_SETPIPE_SZ, (int)want) < 0) {
    /* a per-user pipe limit (fs.pipe-user-pages-*) can refuse it: run with what the kernel gave */
    got = fcntl(o[0], F_GETPIPE_SZ);
    diag_warn("log buffer of %lld bytes refused (%s); keeping %d", want, strerror(errno), got);
  }
  IO.pipe_size = got;
  fcntl(o[0], F_SETFL, O_NONBLOCK);
  fcntl(r[0], F_SETFL, O_NONBLOCK);
  if (i[1] >= 0) fcntl(i[1], F_SETFL, O_NONBLOCK);
  return 0;
}

int stdio_console_listen(struct err *e) {
  /* whoever connects first hands the container its terminal: root-only, as the control socket.
   * (Its folder is made too: a console socket hashed into /run/lrctl for a long path failed
   * when /run/lrctl was not there yet, while the control socket stayed in the container's.) */
  console_fd = listen_private(M.p.console, 0, 1, "console socket", e);
  return console_fd < 0 ? -1 : 0;
}

/* The pty master from one SCM_RIGHTS message on `conn`. */
static int recv_fd(int conn) {
  char byte[256];
  union {
    char buf[CMSG_SPACE(sizeof(int))];
    struct cmsghdr align;
  } u;
  struct iovec iov = {.iov_base = byte, .iov_len = sizeof byte};
  struct msghdr m = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = u.buf, .msg_controllen = sizeof u.buf};
  if (recvmsg(conn, &m, MSG_CMSG_CLOEXEC) < 0) return -1;
  struct cmsghdr *c = CMSG_FIRSTHDR(&m);
  if (!c || c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS || c->cmsg_len != CMSG_LEN(sizeof(int))) {
    errno = EPROTO;
    return -1;
  }
  int fd;
  memcpy(&fd, CMSG_DATA(c), sizeof fd);
  return fd;
}

int stdio_take_pty(pid_t runc_pid, struct err *e) {
  int master = -1;
  for (int waited = 0; master < 0 && waited <= 30000; waited += 100) {
    struct pollfd p = {.fd = console_fd, .events = POLLIN};
    int n = poll(&p, 1, 100);
    if (n > 0) {
      int conn = accept4(console_fd, NULL, NULL, SOCK_CLOEXEC);
      if (conn < 0) continue;
      struct ucred cred;
      socklen_t len = sizeof cred;
      /* whoever connects first hands the container its terminal: only our own user */
      if (getsockopt(conn, SOL_SOCKET, SO_PEERCRED, &cred, &len) == 0 && cred.uid == geteuid()) master = recv_fd(conn);
      close(conn);
    } else if (!proc_alive(runc_pid))
      break;
  }
  close_fd(&console_fd);
  unlink(M.p.console);
  if (master < 0) {
    err_set(e, "ERUNTIME", "runc exited without sending the pty");
    return -1;
  }
  fcntl(master, F_SETFL, O_NONBLOCK);
  IO = (struct stdio_fds){.pty = true, .out = master, .err = -1, .in = master, .child_in = -1, .child_out = -1, .child_err = -1, .pipe_size = -1};
  return 0;
}

void stdio_adopt(bool pty, int out, int err, int in, long long pipe_size) {
  IO = (struct stdio_fds){.pty = pty, .out = out, .err = pty ? -1 : err, .in = pty ? out : in, .child_in = -1, .child_out = -1, .child_err = -1, .pipe_size = pipe_size};
  fcntl(out, F_SETFL, O_NONBLOCK);
  if (!pty && err >= 0) fcntl(err, F_SETFL, O_NONBLOCK);
  if (!pty && in >= 0) fcntl(in, F_SETFL, O_NONBLOCK);
}

void stdio_close_child_ends(void) {
  close_fd(&IO.child_in);
  close_fd(&IO.child_out);
  close_fd(&IO.child_err);
}

/* page-aligned, so that an idle monitor can give its pages back (idle_trim) */
static char buf[READ_SIZE] __attribute__((aligned(4096)));
static struct timer trim;
static bool trim_ready;
static long long last_output;

/* An idle monitor holds no buffer pages: the read buffer, the log's, and
 * the C heap's free memory go back to the kernel a few seconds after the
 * last output (hundreds of idle monitors are the common case). */
static void idle_trim(void *arg) {
  (void)arg;
  long long idle = mono_ms() - last_output;
  if (idle < IDLE_TRIM_MS) return timer_arm(&trim, IDLE_TRIM_MS - idle, 0);
  madvise(buf, sizeof buf, MADV_DONTNEED);
  log_trim();
  malloc_trim(0);
}

/* Output to the log and to attached clients. */
static void log_chunk(const char *stream, const char *data, size_t n) {
  /* where this chunk goes in the log: a client that falls behind reads on from there */
  struct log_pos before;
  bool clients = control_attached();
  if (clients) log_where(&before);
  log_write(stream, data, n);
  if (clients) control_output(stream, data, n, &before);
}

/* Reads `w` until it is empty, ends, or `budget` bytes have been read. */
static void pump(struct watch *w, bool *open_flag, const char *stream, long long budget) {
  while (*open_flag && budget > 0) {
    ssize_t n = read(w->fd, buf, sizeof buf);
    if (n > 0) {
      log_chunk(stream, buf, (size_t)n);
      budget -= n;
      continue;
    }
    if (n < 0 && (errno == EAGAIN || errno == EINTR)) return;
    /* EOF, or EIO on a pty master once the last slave fd closed: its end */
    loop_del(w);
    *open_flag = false;
  }
}

/* A stream is readable: it is read until it is empty (or a pipe's worth has
 * been read). Two pipes cannot tell the order in which the container wrote
 * to them, but epoll reports them in the order they became readable, and
 * draining each in turn keeps that order: a stamp on stderr before a burst
 * of stdout stays before it, and `echo done >&2` after a burst stays after
 * it, while the budget keeps a busy stream from holding the other back. */
static void on_output(struct watch *w, uint32_t events) {
  (void)events;
  last_output = mono_ms();
  if (!trim_ready && timer_init(&trim, true, idle_trim, NULL) == 0) trim_ready = true;
  if (trim_ready && !timer_armed(&trim)) timer_arm(&trim, IDLE_TRIM_MS, 0);
  long long budget = IO.pipe_size > READ_SIZE ? IO.pipe_size : READ_SIZE;
  if (w == &w_out) pump(&w_out, &out_open, "stdout", budget);
  else pump(&w_err, &err_open, "stderr", budget);
}

void stdio_watch(void) {
  w_out = (struct watch){.fd = IO.out, .fn = on_output, .core = true};
  out_open = loop_add(&w_out, EPOLLIN) == 0;
  err_open = false;
  if (IO.err >= 0) {
    w_err = (struct watch){.fd = IO.err, .fn = on_output, .core = true};
    err_open = loop_add(&w_err, EPOLLIN) == 0;
  }
}

bool stdio_drained(void) { return !out_open && !err_open; }

static void stdin_writable(struct watch *w, uint32_t events) {
  (void)events;
  while (in_len) {
    ssize_t n = write(w->fd, in_queue, in_len);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && errno == EAGAIN) return;
    if (n <= 0) {
      in_len = 0; /* the container closed its stdin: nothing more can go */
      break;
    }
    memmove(in_queue, in_queue + n, in_len - (size_t)n);
    in_len -= (size_t)n;
  }
  loop_del(w);
  if (IO.pty) close(w->fd);
  if (stdio_on_stdin_drained) stdio_on_stdin_drained();
}

bool stdio_write_stdin(const char *data, size_t len) {
  if (IO.in < 0) return true;
  if (!in_len) {
    ssize_t n = write(IO.in, data, len);
    if (n < 0 && errno != EAGAIN && errno != EINTR) return true;
    if (n < 0) n = 0;
    data += n;
    len -= (size_t)n;
    if (!len) return true;
  }
  char *q = realloc(in_queue, in_len + len);
  if (!q) return false;
  in_queue = q;
  memcpy(in_queue + in_len, data, len);
  bool was_empty = in_len == 0;
  in_len += len;
  if (was_empty) {
    /* a pty master is already in the core set for reading: its writes are watched through a dup */
    w_in = (struct watch){.fd = IO.pty ? dup(IO.in) : IO.in, .fn = stdin_writable, .core = false};
    if (w_in.fd >= 0 && loop_add(&w_in, EPOLLOUT) < 0) in_len = 0;
  }
  return in_len < STDIN_QUEUE_MAX;
}

bool stdio_stdin_busy(void) { return in_len >= STDIN_QUEUE_MAX; }

void stdio_close_stdin(void) {
  /* a tty has no separate stdin to close; ^D is sent as data */
  if (IO.pty || IO.in < 0) return;
  if (in_len) loop_del(&w_in);
  in_len = 0;
  close_fd(&IO.in);
}

void stdio_resize(int rows, int cols) {
  if (!IO.pty) return;
  struct winsize ws = {.ws_row = (unsigned short)rows, .ws_col = (unsigned short)cols};
  if (ioctl(IO.out, TIOCSWINSZ, &ws) < 0) diag_warn("resize: %s", strerror(errno));
}

void stdio_close(void) {
  stdio_close_child_ends();
  if (out_open) loop_del(&w_out);
  if (err_open) loop_del(&w_err);
  out_open = err_open = false;
  if (in_len) {
    loop_del(&w_in);
    if (IO.pty) close(w_in.fd);
  }
  in_len = 0;
  if (IO.in >= 0 && IO.in != IO.out) close(IO.in);
  IO.in = -1;
  close_fd(&IO.out);
  close_fd(&IO.err);
  close_fd(&console_fd);
}
