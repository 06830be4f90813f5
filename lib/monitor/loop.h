/* The event loop: epoll, with no polling. Two sets: the core set (the
 * container's output, signals, the log's timers) is served even while a runc
 * call is in flight (loop_wait_core), so the container never blocks on a full
 * pipe; the main set (control connections, supervision timers) is served only
 * between operations, which so run one at a time, as requests did in the
 * Node shim's queue. */
#ifndef LRCTL_LOOP_H
#define LRCTL_LOOP_H
#include <stdbool.h>
#include <stdint.h>

struct watch;
typedef void (*watch_fn)(struct watch *w, uint32_t events);
struct watch {
  int fd;
  watch_fn fn;
  void *data;
  bool core;
};

int loop_init(void);
/* Adds, changes or removes `w` in its set (w->core says which). */
int loop_add(struct watch *w, uint32_t events);
int loop_mod(struct watch *w, uint32_t events);
void loop_del(struct watch *w);
/* One round of the main set (and the core set), waiting at most timeout_ms (-1: forever). */
void loop_once(int timeout_ms);
/* Serves only the core set until done() or timeout_ms passes (-1: no limit); true if done. */
bool loop_wait_core(bool (*done)(void *), void *arg, long long timeout_ms);

/* A one-shot or repeating timer on a timerfd. */
struct timer {
  struct watch w;
  void (*fn)(void *);
  void *arg;
};
int timer_init(struct timer *t, bool core, void (*fn)(void *), void *arg);
/* Arms it for after_ms (0 fires at once), repeating every every_ms if > 0. */
void timer_arm(struct timer *t, long long after_ms, long long every_ms);
void timer_stop(struct timer *t);
bool timer_armed(struct timer *t);
#endif
