// lrctl check: are lrctl's dependencies usable on this machine? (runc, CRIU
// >= 4.2 passing `criu check`, the native addon, the built monitor, root).
// Exit 7 when not.
import { Command } from 'commander';
import { depsError } from '../../errors.js';
import { native } from '../../native/index.js';
import { findCriu, findRunc, findShimBinary } from '../deps.js';

/** `lrctl check` */
export function checkCommand(): Command {
  return (
    new Command('check')
      .description('check that runc, CRIU (>= 4.2, passing `criu check`), the native addon and the shim are usable')
      // execa is imported when used: loading it costs every other command ~100 ms of start-up
      .action(async () => {
        const { execa } = await import('execa');
        if (process.getuid?.() !== 0) throw depsError('lrctl must run as root');
        native();
        const shim = findShimBinary();
        const runc = findRunc();
        const runcVersion = (await execa(runc, ['--version'], { reject: false })).stdout.split('\n')[0];
        process.stdout.write(`runc: ${runc} (${runcVersion})\n`);
        const criu = findCriu();
        const v = (await execa(criu, ['--version'], { reject: false })).stdout.match(/Version:\s*(\S+)/)?.[1] ?? 'unknown';
        const [maj, min] = v.split('.').map(Number);
        if (!(maj > 4 || (maj === 4 && min >= 2)))
          throw depsError(`criu ${v} at ${criu} is too old: 4.2 or newer is needed on this kernel (run scripts/setup.sh)`);
        const c = await execa(criu, ['check'], { reject: false, all: true });
        if (c.exitCode !== 0) throw depsError(`criu check failed: ${c.all?.trim().split('\n').pop()}`);
        process.stdout.write(`criu: ${criu} (${v}, criu check passed)\nnative addon: ok\nshim: ${shim}\n`);
      })
  );
}
