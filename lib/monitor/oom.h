/* Did the kernel's OOM killer kill a process of the container during this
 * run? Read from its memory cgroup (the path is linux.cgroupsPath of the
 * bundle's config.json) before runc deletes it: Docker's OOMKilled. */
#ifndef LRCTL_OOM_H
#define LRCTL_OOM_H
#include <stdbool.h>
/* true when the cgroup counts an OOM kill; false when none, or when it cannot be read (said in shim.log) */
bool oom_killed(void);
#endif
