/* request.json: what the CLI asked for (lib/state/request.ts writes and
 * validates it). Read once at launch, and again by an upgraded monitor. */
#ifndef LRCTL_REQUEST_H
#define LRCTL_REQUEST_H
#include "state.h"
/* Fills M.cfg; -1 with `e` set when the file is missing or malformed. */
int request_read(struct err *e);
#endif
