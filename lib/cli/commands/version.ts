// lrctl version: the versions of lrctl, Node, runc, CRIU and the monitor protocol.
import { Command } from 'commander';
import { printJson } from '../output/json.js';
import { versions } from '../versions.js';

/** `lrctl version` */
export function versionCommand(): Command {
  return new Command('version')
    .description('print the versions of lrctl, Node.js, runc, CRIU and the monitor protocol')
    .option('--json', 'print a JSON object {lrctl, node, runc, criu, monitorProtocol, stateSchema}')
    .action((o: { json?: boolean }) => {
      const v = versions();
      if (o.json) return printJson(v);
      const rows: [string, string][] = [
        ['lrctl', v.lrctl],
        ['Node.js', v.node],
        ['runc', v.runc ?? 'not found'],
        ['CRIU', v.criu ?? 'not found'],
        ['monitor protocol', String(v.monitorProtocol)],
        ['state schema', String(v.stateSchema)],
      ];
      process.stdout.write(rows.map(([k, x]) => `${(k + ':').padEnd(18)}${x}\n`).join(''));
    });
}
