/* run --rm: once the container has stopped for good, the monitor has `lrctl rm`
 * run for it (as conmon's --exit-command does for Podman), by the CLI named in
 * request.json (autoRemove: node and its script), in a process that waits for
 * the monitor to end first, so that rm finds no shim. */
#ifndef LRCTL_AUTOREMOVE_H
#define LRCTL_AUTOREMOVE_H
#include <stdbool.h>
/* True when the container is to be removed now: --rm asked, and it stopped (not checkpointed). */
bool autoremove_wanted(void);
/* lrctl restart: this monitor's exit is not the container's last, so no rm at it. */
void autoremove_cancel(void);
/* Starts `<autoRemove...> --root ROOT rm ID`, held until this process exits; logged in shim.log when it cannot. */
void autoremove_spawn(void);
#endif
