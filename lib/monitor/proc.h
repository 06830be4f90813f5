/* Facts about processes from /proc, and the host's boot id. */
#ifndef LRCTL_PROC_H
#define LRCTL_PROC_H
#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>
/* Field 22 of /proc/PID/stat (start time in clock ticks since boot); -1 if gone. */
long long proc_start_time(pid_t pid);
/* True while `pid` exists and is not a zombie. */
bool proc_alive(pid_t pid);
void read_boot_id(char *out, size_t len);
#endif
