// lrctl port: a container's published ports, as docker port prints them.
import { Command } from 'commander';
import { LrctlError, usageError } from '../../errors.js';
import { globals } from '../context.js';
import { loadContainer } from '../load-container.js';
import { printJson } from '../output/json.js';

/** `lrctl port` */
export function portCommand(): Command {
  return new Command('port')
    .description("list a container's published ports, or the host address of one")
    .argument('<id>', 'the container')
    .argument('[port]', 'PORT[/tcp|udp]: print only where this container port is published')
    .option('--json', 'print a JSON array of {hostIp, hostPort, containerPort, protocol}')
    .action((id: string, port: string | undefined, o: { json?: boolean }, cmd: Command) => {
      const v = loadContainer(globals(cmd).root, id);
      let ports = v.state.network?.ports ?? [];
      if (port !== undefined) {
        const m = /^(\d{1,5})(?:\/(tcp|udp))?$/.exec(port);
        if (!m) throw usageError(`invalid port ${JSON.stringify(port)}: expected PORT or PORT/tcp or PORT/udp`);
        ports = ports.filter((p) => p.containerPort === Number(m[1]) && p.protocol === (m[2] ?? 'tcp'));
        if (!ports.length) throw new LrctlError('EUSAGE', `container ${id} does not publish port ${m[1]}/${m[2] ?? 'tcp'}`);
      }
      if (o.json) return printJson(ports);
      process.stdout.write(
        ports.map((p) => (port !== undefined ? '' : `${p.containerPort}/${p.protocol} -> `) + `${p.hostIp || '0.0.0.0'}:${p.hostPort}\n`).join(''),
      );
    });
}
