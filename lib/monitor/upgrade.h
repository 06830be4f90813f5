/* lrctl shim upgrade: the monitor re-executes the installed binary in
 * place. Same pid, so the container stays its child; the pipes (or pty),
 * the log file and the listening control socket cross the exec as open fds,
 * named in a handover file (format 1, the same as the Node.js shim's, so a
 * protocol-2 Node shim moves to the monitor the same way, through
 * bin/lrctl-shim.js). Output written meanwhile waits in the pipes. */
#ifndef LRCTL_UPGRADE_H
#define LRCTL_UPGRADE_H
#include "state.h"
/* Returns only when the exec failed (then the old code runs on). */
int upgrade_reexec(struct err *e);
/* Takes over from the handover file `path`; -1 if it cannot. */
int upgrade_adopt(const char *path);
#endif
