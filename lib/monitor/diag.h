/* shim.log: the monitor's own diagnostics, "<time> <level> <message>" per line.
 * Never fails: a full disk must not stop the monitor. */
#ifndef LRCTL_DIAG_H
#define LRCTL_DIAG_H
void diag_open(const char *path);
void diag_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void diag_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void diag_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
#endif
