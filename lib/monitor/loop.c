#define _GNU_SOURCE
#include "loop.h"
#include <errno.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/timerfd.h>
#include <unistd.h>
#include "diag.h"
#include "monitor.h"

static int ep_main = -1, ep_core = -1;
static struct watch core_in_main;

static int set_of(struct watch *w) { return w->core ? ep_core : ep_main; }

static int ctl(struct watch *w, int op, uint32_t events) {
  struct epoll_event ev = {.events = events, .data.ptr = w};
  return epoll_ctl(set_of(w), op, w->fd, &ev);
}

int loop_add(struct watch *w, uint32_t events) { return ctl(w, EPOLL_CTL_ADD, events); }
int loop_mod(struct watch *w, uint32_t events) { return ctl(w, EPOLL_CTL_MOD, events); }
void loop_del(struct watch *w) {
  if (w->fd >= 0) epoll_ctl(set_of(w), EPOLL_CTL_DEL, w->fd, NULL);
}

#define BATCH 16

static void dispatch(int ep, int timeout_ms) {
  struct epoll_event evs[BATCH];
  int n = epoll_wait(ep, evs, BATCH, timeout_ms);
  if (n < 0 && errno != EINTR) diag_error("epoll_wait: %s", strerror(errno));
  for (int i = 0; i < n; i++) {
    struct watch *w = evs[i].data.ptr;
    w->fn(w, evs[i].events);
  }
}

static void core_ready(struct watch *w, uint32_t events) {
  (void)w;
  (void)events;
  dispatch(ep_core, 0);
}

int loop_init(void) {
  ep_main = epoll_create1(EPOLL_CLOEXEC);
  ep_core = epoll_create1(EPOLL_CLOEXEC);
  if (ep_main < 0 || ep_core < 0) return -1;
  core_in_main = (struct watch){.fd = ep_core, .fn = core_ready};
  return loop_add(&core_in_main, EPOLLIN);
}

void loop_once(int timeout_ms) { dispatch(ep_main, timeout_ms); }

bool loop_wait_core(bool (*done)(void *), void *arg, long long timeout_ms) {
  long long until = timeout_ms < 0 ? -1 : mono_ms() + timeout_ms;
  while (!done(arg)) {
    long long left = until < 0 ? -1 : until - mono_ms();
    if (until >= 0 && left <= 0) return false;
    dispatch(ep_core, left < 0 || left > 1000 ? 1000 : (int)left);
  }
  return true;
}

static void timer_fired(struct watch *w, uint32_t events) {
  (void)events;
  struct timer *t = w->data;
  uint64_t n;
  if (read(w->fd, &n, sizeof n) != sizeof n) return;
  t->fn(t->arg);
}

int timer_init(struct timer *t, bool core, void (*fn)(void *), void *arg) {
  t->fn = fn;
  t->arg = arg;
  t->w = (struct watch){.fd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC), .fn = timer_fired, .data = t, .core = core};
  if (t->w.fd < 0) return -1;
  return loop_add(&t->w, EPOLLIN);
}

static struct timespec ts_of(long long ms) { return (struct timespec){.tv_sec = ms / 1000, .tv_nsec = (ms % 1000) * 1000000}; }

void timer_arm(struct timer *t, long long after_ms, long long every_ms) {
  struct itimerspec its = {.it_value = ts_of(after_ms > 0 ? after_ms : 0), .it_interval = ts_of(every_ms > 0 ? every_ms : 0)};
  /* an all-zero it_value disarms: 0 means at once */
  if (after_ms <= 0) its.it_value.tv_nsec = 1;
  if (timerfd_settime(t->w.fd, 0, &its, NULL) < 0) diag_error("timerfd_settime: %s", strerror(errno));
}

void timer_stop(struct timer *t) {
  struct itimerspec its = {0};
  if (t->w.fd >= 0) timerfd_settime(t->w.fd, 0, &its, NULL);
}

bool timer_armed(struct timer *t) {
  struct itimerspec its;
  if (t->w.fd < 0 || timerfd_gettime(t->w.fd, &its) < 0) return false;
  return its.it_value.tv_sec || its.it_value.tv_nsec;
}
