// shim.log: the shim's own diagnostics, one line per event: "<time> <level> <message>".
import { appendFileSync } from 'node:fs';
import { PRIVATE_FILE } from '../state/private-fs.js';

/** A tiny levelled logger; it never throws (a full disk must not kill the shim). */
export function createDiag(path: string) {
  const line = (level: string, msg: string) => {
    try {
      // 0600: it names the command line, which may hold secrets
      appendFileSync(path, `${new Date().toISOString()} ${level} ${msg}\n`, { mode: PRIVATE_FILE });
    } catch {
      // nowhere else to report: stdio is /dev/null
    }
  };
  return {
    info: (msg: string) => line('info', msg),
    warn: (msg: string) => line('warn', msg),
    error: (msg: string) => line('error', msg),
  };
}

/** The logger's type. */
export type Diag = ReturnType<typeof createDiag>;
