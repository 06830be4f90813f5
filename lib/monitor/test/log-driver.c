/* Test driver for log.c and the console socket of stdio.c (test/unit/monitor):
 * sets up just enough of `M` for them, then serves commands read on stdin,
 * one line of JSON on stdout per command.
 *   log-driver LOG STATEDIR MAX_SIZE MAX_FILES [DROPPED_BEFORE]
 * LOG is the container log; STATEDIR gets state.json (its logDroppedBytes is
 * how a test sees what the log told) and shim.log (the diagnostics).
 *   write STREAM N + N raw bytes   log_write         {"dropped":D}
 *   note TEXT                      log_note          {"dropped":D}
 *   tick MS                        serves the loop for MS ms (timers fire)  {"dropped":D}
 *   close                          log_close         {"dropped":D}
 *   where                          log_where         {"ino":I,"pos":P,"time":T}
 *   console PATH                   stdio_console_listen on PATH  {"ok":true} or {"error":E}
 *   take-pty PID                   stdio_take_pty for runc PID   {"ok":true} or {"error":E}
 * The first line, {"dropped":D}, says the log is open. */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "../diag.h"
#include "../log.h"
#include "../loop.h"
#include "../monitor.h"
#include "../state.h"
#include "../stdio.h"

static void answer(json_t *j) {
  char *text = json_dumps(j, JSON_COMPACT);
  json_decref(j);
  printf("%s\n", text);
  fflush(stdout);
  free(text);
}

static void answer_dropped(void) { answer(json_pack("{s:I}", "dropped", (json_int_t)log_dropped())); }

static void answer_err(int rc, const struct err *e) { answer(rc == 0 ? json_pack("{s:b}", "ok", 1) : json_pack("{s:s}", "error", e->msg)); }

/* the command line read last (a global: a sanitizer's leak check does not count it on a failed exit) */
static char *line;
static size_t cap;

__attribute__((noreturn)) static void fail(const char *what, const char *arg) {
  fprintf(stderr, "log-driver: %s: %s\n", what, arg);
  exit(2);
}

int main(int argc, char **argv) {
  if (argc < 5 || argc > 6) fail("usage", "log-driver LOG STATEDIR MAX_SIZE MAX_FILES [DROPPED_BEFORE]");
  long long dropped_before = argc > 5 ? atoll(argv[5]) : 0;
  M.id = "log-driver";
  snprintf(M.p.log, sizeof M.p.log, "%s", argv[1]);
  path_join(M.p.state, argv[2], "state.json");
  path_join(M.p.shim_log, argv[2], "shim.log");
  M.cfg.log_max_size = atoll(argv[3]);
  M.cfg.log_max_files = atoll(argv[4]);
  diag_open(M.p.shim_log);
  M.state = json_pack("{s:s, s:I}", "id", M.id, "logDroppedBytes", (json_int_t)dropped_before);
  state_patch(NULL);
  if (loop_init() < 0 || log_open(-1, dropped_before) < 0) fail("cannot open the log", M.p.log);
  answer_dropped();

  while (getline(&line, &cap, stdin) > 0) {
    line[strcspn(line, "\n")] = 0;
    char *arg = strchr(line, ' ');
    if (arg) *arg++ = 0;
    else arg = line + strlen(line);
    if (!strcmp(line, "write")) {
      char stream[16];
      size_t n;
      if (sscanf(arg, "%15s %zu", stream, &n) != 2) fail("bad write", arg);
      char *buf = malloc(n + 1);
      size_t got = buf ? fread(buf, 1, n, stdin) : 0;
      if (got == n) log_write(stream, buf, n);
      free(buf);
      if (got != n) fail("short write data", arg);
      answer_dropped();
    } else if (!strcmp(line, "note")) {
      log_note("%s", arg);
      answer_dropped();
    } else if (!strcmp(line, "tick")) {
      for (long long until = mono_ms() + atoll(arg), left; (left = until - mono_ms()) > 0;) loop_once((int)left);
      answer_dropped();
    } else if (!strcmp(line, "close")) {
      log_close();
      answer_dropped();
    } else if (!strcmp(line, "where")) {
      struct log_pos p;
      log_where(&p);
      answer(json_pack("{s:I, s:I, s:s}", "ino", (json_int_t)p.ino, "pos", (json_int_t)p.pos, "time", p.time));
    } else if (!strcmp(line, "console")) {
      struct err e;
      snprintf(M.p.console, sizeof M.p.console, "%s", arg);
      answer_err(stdio_console_listen(&e), &e);
    } else if (!strcmp(line, "take-pty")) {
      struct err e;
      answer_err(stdio_take_pty((pid_t)atoi(arg), &e), &e);
    } else
      fail("unknown command", line);
  }
  free(line);
  return 0;
}
