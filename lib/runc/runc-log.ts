// Reads runc's --log-format json output so users see runc's own words
// (cf. containerd's getLastRuntimeError).
import { readFileSync } from 'node:fs';

/** The message of the last error-level entry in runc's JSON log, or null. */
export function lastError(text: string): string | null {
  let found: string | null = null;
  for (const line of text.split('\n')) {
    if (!line.trim()) continue;
    try {
      const e = JSON.parse(line) as { level?: string; msg?: string };
      if ((e.level === 'error' || e.level === 'fatal') && e.msg) found = e.msg;
    } catch {
      // runc may write plain text before it parses --log-format; ignore such lines.
    }
  }
  return found;
}

/** lastError() of the log file at `path`, reading only what was appended after `offset`. */
export function lastErrorInFile(path: string, offset = 0): string | null {
  try {
    return lastError(readFileSync(path).subarray(offset).toString('utf8'));
  } catch {
    return null;
  }
}
