// `run --checkpoint-every`: rolling checkpoints taken by the shim itself,
// through the same takeCheckpoint as `lrctl checkpoint create --keep`.
import { defaultCheckpointName } from '../checkpoint/store.js';
import { mkdirPrivate } from '../state/private-fs.js';
import type { CheckpointSchedule } from '../state/state-file.js';
import { takeCheckpoint } from './checkpoint.js';
import type { Supervisor } from './supervisor.js';

/** Takes a checkpoint every interval while the container runs; returns the canceller.
 *  `stopped(name)` is told when a checkpoint stopped the container (not leave-running). */
export function scheduleCheckpoints(
  sup: Supervisor,
  s: CheckpointSchedule,
  where: { dir: string; upper: string | null; requestPath: string },
  stopped: (name: string) => void,
): () => void {
  const timer = setInterval(
    () =>
      void sup
        .enqueue(async () => {
          // paused, restarting, already checkpointing: skip this turn
          if (sup.state.status !== 'running') return;
          const name = defaultCheckpointName();
          try {
            mkdirPrivate(where.dir);
            await takeCheckpoint(sup, where.upper, where.requestPath, {
              name,
              dir: where.dir,
              leaveRunning: s.leaveRunning,
              tcpEstablished: false,
              fileLocks: false,
              keep: s.keep,
            });
            if (!s.leaveRunning) stopped(name);
            sup.setStatus(sup.state.status, { lastScheduledCheckpoint: { name, at: new Date().toISOString(), error: null } });
          } catch (err) {
            // the container runs on as before (takeCheckpoint's promise); the next turn tries again
            sup.setStatus(sup.state.status, { lastScheduledCheckpoint: { name: null, at: new Date().toISOString(), error: (err as Error).message } });
          }
        })
        .catch(() => {}),
    s.intervalMs,
  );
  return () => clearInterval(timer);
}
