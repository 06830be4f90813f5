/* Health checks (Docker's HEALTHCHECK): `runc exec ID sh -c CMD` every
 * interval while the container runs, run by the monitor itself (no CLI, no
 * Node.js start per tick), results in state.json's healthCheck. */
#ifndef LRCTL_HEALTH_H
#define LRCTL_HEALTH_H
#include <jansson.h>
/* A new run: health starts over at `starting` (set in `patch`, written with the run's status). */
void health_begin(json_t *patch);
/* Goes on checking a run that started at `since_ms` (an upgraded monitor keeps its record). */
void health_resume(long long since_ms);
void health_end(void);
#endif
