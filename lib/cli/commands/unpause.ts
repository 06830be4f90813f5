// lrctl unpause: thaw paused containers, as docker unpause.
import { Command } from 'commander';
import { pauseOrResume } from '../pause-resume.js';

/** `lrctl unpause` */
export function unpauseCommand(): Command {
  return new Command('unpause')
    .description('thaw paused containers')
    .argument('<id...>', 'containers to unpause')
    .action((ids: string[], _o: unknown, cmd: Command) => pauseOrResume(cmd, ids, 'resume'));
}
