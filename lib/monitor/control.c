#define _GNU_SOURCE
#include "control.h"
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>
#include "autoremove.h"
#include "checkpoint.h"
#include "diag.h"
#include "lifecycle.h"
#include "loop.h"
#include "monitor.h"
#include "stdio.h"
#include "sock.h"
#include "upgrade.h"

/* The longest request line (stdin chunks, as base64, are the largest legitimate ones). */
#define MAX_REQUEST_LINE (1024 * 1024)
/* An attached client this far behind reads on from the log; any other is dropped. */
#define MAX_CLIENT_BACKLOG (8 * 1024 * 1024)
#define MAX_CLIENTS 64

struct client {
  struct watch w;
  char *in, *out;
  size_t in_len, in_cap, out_len, out_cap;
  bool attached, lagging, dead, closing, paused, want_out;
};

static struct watch listener = {.fd = -1};
static struct client *clients[MAX_CLIENTS];

static void client_events(struct client *c);

static void kill_client(struct client *c) {
  if (c->dead) return;
  c->dead = true;
  loop_del(&c->w);
  shutdown(c->w.fd, SHUT_RDWR);
}

/* Sends what is queued; false once the client is gone. */
static bool flush_client(struct client *c) {
  while (c->out_len) {
    ssize_t n = send(c->w.fd, c->out, c->out_len, MSG_NOSIGNAL | MSG_DONTWAIT);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && errno == EAGAIN) break;
    if (n <= 0) {
      kill_client(c);
      return false;
    }
    memmove(c->out, c->out + n, c->out_len - (size_t)n);
    c->out_len -= (size_t)n;
  }
  if (!c->out_len && c->closing) {
    kill_client(c);
    return false;
  }
  client_events(c);
  return true;
}

static void queue(struct client *c, const char *data, size_t len) {
  if (c->dead) return;
  if (c->out_len + len > c->out_cap) {
    size_t cap = c->out_cap ? c->out_cap : 4096;
    while (cap < c->out_len + len) cap *= 2;
    char *p = realloc(c->out, cap);
    if (!p) return kill_client(c);
    c->out = p;
    c->out_cap = cap;
  }
  memcpy(c->out + c->out_len, data, len);
  c->out_len += len;
  flush_client(c);
  /* one that reads nothing must not hold the monitor's memory */
  if (!c->dead && !c->attached && c->out_len > MAX_CLIENT_BACKLOG) {
    diag_warn("control client not reading its answers: dropped");
    kill_client(c);
  }
}

static void send_json(struct client *c, json_t *msg) {
  char *text = json_dumps(msg, JSON_COMPACT);
  json_decref(msg);
  if (!text) return;
  size_t len = strlen(text);
  text[len] = '\n';
  queue(c, text, len + 1);
  free(text);
}

static void reply_ok(struct client *c, json_t *result) {
  json_t *m = json_pack("{s:i, s:b}", "v", PROTOCOL_VERSION, "ok", 1);
  if (result) json_object_set_new(m, "result", result);
  send_json(c, m);
}

static void reply_err(struct client *c, const struct err *e) {
  json_t *err = json_pack("{s:s, s:s}", "code", e->code, "message", e->msg);
  if (e->kind) json_object_set_new(err, "kind", json_string(e->kind));
  send_json(c, json_pack("{s:i, s:b, s:o}", "v", PROTOCOL_VERSION, "ok", 0, "error", err));
}

static void refuse(struct client *c, const char *fmt, const char *detail) {
  struct err e;
  err_set(&e, "EPROTO", fmt, detail);
  diag_warn("malformed control message: %s", e.msg);
  reply_err(c, &e);
}

static void client_events(struct client *c) {
  if (c->dead) return;
  uint32_t ev = (c->paused || c->closing ? 0 : EPOLLIN) | (c->out_len ? EPOLLOUT : 0);
  loop_mod(&c->w, ev);
}

static void resume_paused(void) {
  for (int i = 0; i < MAX_CLIENTS; i++)
    if (clients[i] && clients[i]->paused) {
      clients[i]->paused = false;
      client_events(clients[i]);
    }
}

static int b64_value(unsigned char ch) {
  if (ch >= 'A' && ch <= 'Z') return ch - 'A';
  if (ch >= 'a' && ch <= 'z') return ch - 'a' + 26;
  if (ch >= '0' && ch <= '9') return ch - '0' + 52;
  if (ch == '+' || ch == '-') return 62;
  if (ch == '/' || ch == '_') return 63;
  return -1;
}

/* Decodes base64 in place; returns the length (invalid characters are skipped, as Buffer.from does). */
static size_t b64_decode(char *s, size_t len) {
  size_t o = 0;
  unsigned acc = 0;
  int bits = 0;
  for (size_t i = 0; i < len; i++) {
    int v = b64_value((unsigned char)s[i]);
    if (v < 0) continue;
    acc = (acc << 6) | (unsigned)v;
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      s[o++] = (char)((acc >> bits) & 0xff);
    }
  }
  return o;
}

static json_t *position_json(const struct log_pos *p) {
  return json_pack("{s:I, s:I, s:s}", "ino", (json_int_t)p->ino, "pos", (json_int_t)p->pos, "time", p->time);
}

static bool is_int(json_t *v) { return json_is_integer(v); }

static void handle(struct client *c, json_t *m) {
  struct err e = {0};
  json_t *vj = json_object_get(m, "v");
  const char *op = json_string_value(json_object_get(m, "op"));
  if (!json_is_object(m)) return refuse(c, "malformed request: %s", "not an object");
  if (!json_is_number(vj)) return refuse(c, "malformed request: %s", "no protocol version (v)");
  if (!op) return refuse(c, "malformed request: %s", "no operation (op)");
  double v = json_number_value(vj);
  if (v != 1 && v != 2 && v != 3) {
    char detail[64];
    snprintf(detail, sizeof detail, "%g", v);
    return refuse(c, "protocol version %s is not spoken by this shim (it speaks 1, 2, 3)", detail);
  }
  if (!strcmp(op, "state")) return reply_ok(c, json_incref(M.state));
  if (!strcmp(op, "stdin")) {
    json_t *d = json_object_get(m, "data");
    if (!json_is_string(d)) return refuse(c, "malformed request: %s", "stdin needs data");
    if (IO.in < 0) {
      err_set(&e, "EINTERNAL", "the container was not started with -i or -t: it has no stdin");
      return reply_err(c, &e);
    }
    size_t len = json_string_length(d);
    char *buf = malloc(len + 1);
    if (!buf) return;
    memcpy(buf, json_string_value(d), len);
    size_t n = b64_decode(buf, len);
    /* a container that does not read its stdin holds the writer back, not the monitor's memory */
    if (!stdio_write_stdin(buf, n)) c->paused = true;
    free(buf);
    return client_events(c);
  }
  if (!strcmp(op, "resize")) {
    json_t *r = json_object_get(m, "rows"), *k = json_object_get(m, "cols");
    if (!is_int(r) || !is_int(k)) return refuse(c, "malformed request: %s", "resize needs rows and cols");
    return stdio_resize((int)json_integer_value(r), (int)json_integer_value(k));
  }
  if (!strcmp(op, "stdin-close")) {
    stdio_close_stdin();
    return reply_ok(c, NULL);
  }
  if (!strcmp(op, "attach")) {
    if (!state_accepts(OP_ATTACH, &e)) return reply_err(c, &e);
    struct log_pos p;
    log_where(&p);
    c->attached = true;
    return reply_ok(c, json_pack("{s:b, s:b, s:o}", "tty", M.cfg.tty, "stdin", IO.in >= 0, "log", position_json(&p)));
  }
  int r;
  if (!strcmp(op, "kill")) {
    const char *sig = json_string_value(json_object_get(m, "signal"));
    if (!sig) return refuse(c, "malformed request: %s", "kill needs a signal");
    /* lrctl restart: this exit is not for good, a --rm container is kept for the start that follows */
    if (json_is_true(json_object_get(m, "keep"))) autoremove_cancel();
    r = op_kill(sig, json_is_true(json_object_get(m, "stop")), &e);
  } else if (!strcmp(op, "start"))
    r = op_start(&e);
  else if (!strcmp(op, "pause"))
    r = op_pause(true, &e);
  else if (!strcmp(op, "resume"))
    r = op_pause(false, &e);
  else if (!strcmp(op, "checkpoint")) {
    if (!json_is_string(json_object_get(m, "name")) || !json_is_string(json_object_get(m, "dir")))
      return refuse(c, "malformed request: %s", "checkpoint needs a name and a dir");
    json_t *result = NULL;
    r = checkpoint_request(m, &result, &e);
    if (r == 0) return reply_ok(c, result);
  } else if (!strcmp(op, "upgrade"))
    r = upgrade_reexec(&e); /* returns only when the exec failed */
  else {
    char *q = json_dumps(json_object_get(m, "op"), JSON_ENCODE_ANY);
    err_set(&e, "EINTERNAL", "unknown request %s", q ? q : "?");
    free(q);
    r = -1;
  }
  if (r == 0) reply_ok(c, NULL);
  else reply_err(c, &e);
}

static void take_lines(struct client *c) {
  size_t start = 0;
  char *nl;
  while (!c->dead && !c->closing && (nl = memchr(c->in + start, '\n', c->in_len - start))) {
    size_t end = (size_t)(nl - c->in);
    json_error_t je;
    bool blank = true;
    for (size_t i = start; i < end; i++)
      if (c->in[i] != ' ' && c->in[i] != '\r' && c->in[i] != '\t') blank = false;
    if (!blank) {
      json_t *m = json_loadb(c->in + start, end - start, 0, &je);
      if (!m) refuse(c, "malformed request: %s", "not JSON");
      else {
        handle(c, m);
        json_decref(m);
      }
    }
    start = end + 1;
  }
  memmove(c->in, c->in + start, c->in_len - start);
  c->in_len -= start;
}

static void on_client(struct watch *w, uint32_t events) {
  struct client *c = w->data;
  if (c->dead) return;
  if (events & EPOLLOUT && !flush_client(c)) return;
  if (!(events & (EPOLLIN | EPOLLHUP | EPOLLERR)) || c->paused || c->closing) return;
  if (c->in_cap - c->in_len < 16384) {
    size_t cap = c->in_cap ? c->in_cap * 2 : 16384;
    if (cap > MAX_REQUEST_LINE + 16384) cap = MAX_REQUEST_LINE + 16384;
    char *p = realloc(c->in, cap);
    if (!p) return kill_client(c);
    c->in = p;
    c->in_cap = cap;
  }
  ssize_t n = recv(w->fd, c->in + c->in_len, c->in_cap - c->in_len, MSG_DONTWAIT);
  if (n < 0 && (errno == EAGAIN || errno == EINTR)) return;
  if (n <= 0) {
    /* the peer closed: what it asked before is answered (flushed if it still reads), then it ends */
    c->closing = true;
    if (!c->out_len || !flush_client(c)) kill_client(c);
    return;
  }
  c->in_len += (size_t)n;
  take_lines(c);
  if (!c->dead && c->in_len > MAX_REQUEST_LINE) {
    diag_warn("control message longer than %d bytes: connection closed", MAX_REQUEST_LINE);
    struct err e;
    err_set(&e, "EPROTO", "request longer than %d bytes", MAX_REQUEST_LINE);
    reply_err(c, &e);
    c->in_len = 0;
    c->closing = true;
    flush_client(c);
    if (!c->dead) shutdown(c->w.fd, SHUT_RD);
  }
}

static void on_accept(struct watch *w, uint32_t events) {
  (void)events;
  for (;;) {
    int fd = accept4(w->fd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
    if (fd < 0) return;
    struct ucred cred;
    socklen_t len = sizeof cred;
    /* the socket's modes keep others out; the peer's uid is checked too, on every connection */
    if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) < 0 || cred.uid != geteuid()) {
      diag_warn("control connection from another user refused");
      close(fd);
      continue;
    }
    int slot = -1;
    for (int i = 0; i < MAX_CLIENTS && slot < 0; i++)
      if (!clients[i]) slot = i;
    struct client *c = slot < 0 ? NULL : calloc(1, sizeof *c);
    if (!c) {
      diag_warn("more than %d control connections: one refused", MAX_CLIENTS);
      close(fd);
      continue;
    }
    c->w = (struct watch){.fd = fd, .fn = on_client, .data = c};
    if (loop_add(&c->w, EPOLLIN) < 0) {
      close(fd);
      free(c);
      continue;
    }
    clients[slot] = c;
  }
}

int control_listen(int fd, struct err *e) {
  stdio_on_stdin_drained = resume_paused;
  if (fd < 0) {
    fd = listen_private(M.p.socket, SOCK_NONBLOCK, 128, "control socket", e);
    if (fd < 0) return -1;
  } else
    fcntl(fd, F_SETFL, O_NONBLOCK);
  listener = (struct watch){.fd = fd, .fn = on_accept};
  return loop_add(&listener, EPOLLIN);
}

int control_fd(void) { return listener.fd; }

bool control_attached(void) {
  for (int i = 0; i < MAX_CLIENTS; i++)
    if (clients[i] && clients[i]->attached && !clients[i]->lagging && !clients[i]->dead) return true;
  return false;
}

static const char B64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

void control_output(const char *stream, const char *data, size_t len, const struct log_pos *before) {
  struct log_pos after;
  log_where(&after);
  size_t cap = 256 + (len + 2) / 3 * 4 + sizeof after.time;
  char *ev = malloc(cap);
  if (!ev) return;
  int n = snprintf(ev, cap, "{\"v\":%d,\"event\":\"output\",\"stream\":\"%s\",\"data\":\"", PROTOCOL_VERSION, stream);
  char *p = ev + n;
  size_t i = 0;
  for (; i + 2 < len; i += 3) {
    unsigned v = (unsigned char)data[i] << 16 | (unsigned char)data[i + 1] << 8 | (unsigned char)data[i + 2];
    *p++ = B64[v >> 18];
    *p++ = B64[(v >> 12) & 63];
    *p++ = B64[(v >> 6) & 63];
    *p++ = B64[v & 63];
  }
  if (i < len) {
    unsigned v = (unsigned char)data[i] << 16 | (i + 1 < len ? (unsigned char)data[i + 1] << 8 : 0);
    *p++ = B64[v >> 18];
    *p++ = B64[(v >> 12) & 63];
    *p++ = i + 1 < len ? B64[(v >> 6) & 63] : '=';
    *p++ = '=';
  }
  p += snprintf(p, cap - (size_t)(p - ev), "\",\"ino\":%llu,\"pos\":%lld,\"time\":\"%s\"}\n", after.ino, after.pos, after.time);
  for (int k = 0; k < MAX_CLIENTS; k++) {
    struct client *c = clients[k];
    if (!c || !c->attached || c->lagging || c->dead) continue;
    if (c->out_len > MAX_CLIENT_BACKLOG) {
      /* this chunk and all after it: from the log, starting where this chunk went */
      c->lagging = true;
      send_json(c, json_pack("{s:i, s:s, s:I, s:I, s:s}", "v", PROTOCOL_VERSION, "event", "behind", "ino", (json_int_t)before->ino, "pos",
                             (json_int_t)before->pos, "time", before->time));
      continue;
    }
    queue(c, ev, (size_t)(p - ev));
  }
  free(ev);
}

void control_exit(int exit_code, const char *signal) {
  for (int k = 0; k < MAX_CLIENTS; k++) {
    struct client *c = clients[k];
    if (!c || !c->attached || c->dead) continue;
    json_t *m = json_pack("{s:i, s:s, s:o, s:o}", "v", PROTOCOL_VERSION, "event", "exit", "exitCode",
                          exit_code < 0 ? json_null() : json_integer(exit_code), "signal", json_str_or_null(signal));
    c->closing = true;
    send_json(c, m);
    c->attached = false;
  }
}

void control_sweep(void) {
  for (int k = 0; k < MAX_CLIENTS; k++) {
    struct client *c = clients[k];
    if (!c || !c->dead) continue;
    close(c->w.fd);
    free(c->in);
    free(c->out);
    free(c);
    clients[k] = NULL;
  }
}

void control_stop_listening(void) {
  if (listener.fd < 0) return;
  loop_del(&listener);
  close(listener.fd);
  listener.fd = -1;
}

void control_close(void) {
  control_stop_listening();
  long long until = mono_ms() + 1000;
  for (int k = 0; k < MAX_CLIENTS; k++) {
    struct client *c = clients[k];
    while (c && !c->dead && c->out_len && mono_ms() < until) {
      struct pollfd p = {.fd = c->w.fd, .events = POLLOUT};
      if (poll(&p, 1, (int)(until - mono_ms())) <= 0) break;
      flush_client(c);
    }
    if (c) kill_client(c);
  }
  control_sweep();
}
