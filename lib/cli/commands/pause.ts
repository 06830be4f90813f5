// lrctl pause: freeze containers (runc pause through their shims), as docker pause.
import { Command } from 'commander';
import { pauseOrResume } from '../pause-resume.js';

/** `lrctl pause` */
export function pauseCommand(): Command {
  return new Command('pause')
    .description('freeze the processes of running containers (the cgroup freezer) until unpause')
    .argument('<id...>', 'containers to pause')
    .action((ids: string[], _o: unknown, cmd: Command) => pauseOrResume(cmd, ids, 'pause'));
}
