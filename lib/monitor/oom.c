/* OOM kills of the container's memory cgroup: the "oom_kill N" line of
 * memory.oom_control (cgroup v1) or memory.events (v2). */
#include "oom.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "diag.h"
#include "monitor.h"

/* The number after "oom_kill " in `file`; -1 when the file or the line is absent. */
static long long oom_kill_count(const char *file) {
  FILE *f = fopen(file, "r");
  if (!f) return -1;
  char line[128];
  long long n = -1;
  while (fgets(line, sizeof line, f))
    if (sscanf(line, "oom_kill %lld", &n) == 1) break;
  if (fclose(f) != 0) diag_warn("closing %s: %s", file, strerror(errno));
  return n;
}

bool oom_killed(void) {
  char config[PATH_MAX];
  path_join(config, M.p.bundle, "config.json");
  json_error_t jerr;
  json_t *spec = json_load_file(config, 0, &jerr);
  if (!spec) {
    diag_warn("oom: cannot read %s: %s", config, jerr.text);
    return false;
  }
  const char *cg = json_string_value(json_object_get(json_object_get(spec, "linux"), "cgroupsPath"));
  char v1[PATH_MAX], v2[PATH_MAX];
  /* a bundle of the user's without a cgroupsPath: runc chose the cgroup, nothing to read */
  int a = cg && cg[0] == '/' ? snprintf(v1, sizeof v1, "/sys/fs/cgroup/memory%s/memory.oom_control", cg) : -1;
  int b = cg && cg[0] == '/' ? snprintf(v2, sizeof v2, "/sys/fs/cgroup%s/memory.events", cg) : -1;
  json_decref(spec);
  if (a < 0 || b < 0 || (size_t)a >= sizeof v1 || (size_t)b >= sizeof v2) return false;
  long long n = oom_kill_count(v1);
  if (n < 0) n = oom_kill_count(v2);
  if (n < 0) diag_warn("oom: no oom_kill count in %s or %s", v1, v2);
  return n > 0;
}
