// Runs the container's health check (`runc exec ... sh -c CMD`) every
// interval while it runs, and records the results in state.json: the shim
// does it, so checks go on with no CLI running.
import { spawn } from 'node:child_process';
import { trackChild } from '../process/children.js';
import { buildExecArgs, buildGlobalArgs } from '../runc/args.js';
import type { Runc } from '../runc/runc.js';
import { HEALTH_OUTPUT_BYTES, initialHealth, recordHealthResult, type HealthConfig, type HealthResult } from '../supervision/health.js';
import type { Supervisor } from './supervisor.js';

// After the timeout runc exec gets SIGTERM (it passes it on to the check), then SIGKILL.
const KILL_GRACE_MS = 1000;

/** Runs the check once; never rejects. */
export function runHealthCheck(runc: Runc, id: string, cmd: string, timeoutMs: number): Promise<HealthResult> {
  const start = new Date().toISOString();
  return new Promise((resolve) => {
    const child = trackChild(
      spawn(runc.bin, [...buildGlobalArgs(runc), ...buildExecArgs({ id, args: ['sh', '-c', cmd] })], { stdio: ['ignore', 'pipe', 'pipe'] }),
    );
    let output = '';
    let timedOut = false;
    const keep = (d: Buffer) => {
      if (output.length < HEALTH_OUTPUT_BYTES) output = (output + d.toString()).slice(0, HEALTH_OUTPUT_BYTES);
    };
    child.stdout.on('data', keep);
    child.stderr.on('data', keep);
    const term = setTimeout(() => {
      timedOut = true;
      child.kill('SIGTERM');
      setTimeout(() => child.kill('SIGKILL'), KILL_GRACE_MS).unref();
    }, timeoutMs);
    const done = (exitCode: number | null, why = '') => {
      clearTimeout(term);
      resolve({ start, end: new Date().toISOString(), exitCode, output: output + why });
    };
    child.on('error', (err) => done(null, `cannot run the check: ${err.message}`));
    child.on('close', (code) => (timedOut ? done(null, `check timed out after ${timeoutMs} ms`) : done(code)));
  });
}

/** Schedules the checks of one container. */
export class HealthChecker {
  private timer: NodeJS.Timeout | null = null;
  private runSince = 0;
  private busy = false;

  constructor(
    private readonly sup: Supervisor,
    private readonly cfg: HealthConfig,
    /** Called once when the container turns unhealthy. */
    private readonly onUnhealthy: () => void,
  ) {}

  /** A new run of the container: its health starts over at `starting`. */
  begin(): void {
    this.sup.setStatus(this.sup.state.status, { healthCheck: initialHealth() });
    this.resume(Date.now());
  }

  /** Goes on checking a run that started at `since` (an upgraded shim keeps its record). */
  resume(since: number): void {
    this.end();
    this.runSince = since;
    this.timer = setInterval(() => void this.check(), this.cfg.intervalMs);
  }

  end(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }

  private async check(): Promise<void> {
    // paused, checkpointing, restarting: nothing to check
    if (this.busy || this.sup.state.status !== 'running') return;
    this.busy = true;
    const runSince = this.runSince;
    try {
      const r = await runHealthCheck(this.sup.runc, this.sup.state.id, this.cfg.cmd, this.cfg.timeoutMs);
      // the run it checked has ended meanwhile: its result says nothing of the next one
      if (this.sup.state.status !== 'running' || runSince !== this.runSince) return;
      const before = this.sup.state.healthCheck ?? initialHealth();
      const after = recordHealthResult(before, r, this.cfg.retries, Date.now() - runSince < this.cfg.startPeriodMs);
      this.sup.setStatus('running', { healthCheck: after });
      if (after.status !== before.status) {
        this.sup.diag.info(`health: ${after.status}`);
        this.sup.log?.note(`health check: ${after.status}${after.status === 'unhealthy' ? ` after ${after.failingStreak} failed checks` : ''}`);
      }
      if (after.status === 'unhealthy' && before.status !== 'unhealthy') this.onUnhealthy();
    } finally {
      this.busy = false;
    }
  }
}
