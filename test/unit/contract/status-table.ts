// The native monitor checks status changes against lib/monitor/status-table.h,
// generated from lib/state/status.ts: the state machine is expressed once,
// and a header that drifted from it fails here.
import t from 'tap';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

t.test('lib/monitor/status-table.h is what scripts/gen-status-table.mjs makes of lib/state/status.ts', async (t) => {
  const script = fileURLToPath(new URL('../../../scripts/gen-status-table.mjs', import.meta.url));
  const r = spawnSync(process.execPath, [script, '--check'], { encoding: 'utf8' });
  t.equal(r.status, 0, r.stderr);
});
