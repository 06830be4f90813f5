// lrctl network: the networks containers join (lib/network).
//   network create [--subnet CIDR] [--gateway IP] NAME   network ls   network inspect NAME...   network rm NAME...
import { Command } from 'commander';
import { withNetworkLock } from '../../state/lock.js';
import { containersOn, removeNetwork } from '../../network/remove.js';
import { createNetwork, listNetworks, readNetwork, validateNetworkName, type NetworkRecord } from '../../network/store.js';
import { globals } from '../context.js';
import { forEachId } from '../each-id.js';
import { printJson } from '../output/json.js';
import { renderTable } from '../output/table.js';

// What ls --json and inspect print: the record and who is on it now.
function describe(root: string, n: NetworkRecord) {
  return { ...n, driver: 'bridge', containers: containersOn(root, n.name) };
}

function createCommand(): Command {
  return new Command('create')
    .description('make a network: a Linux bridge with its own subnet, through the CNI bridge, host-local, portmap and firewall plugins')
    .argument('<name>', 'network name ([a-zA-Z0-9][a-zA-Z0-9_.-]{0,63}, not host, none or bridge)')
    .option('--subnet <cidr>', 'its IPv4 subnet, e.g. 10.100.7.0/24 (default: the first free /24 of 10.100.0.0/16)')
    .option('--gateway <ip>', "the host's address on it (default: the subnet's first)")
    .action(async (name: string, o: { subnet?: string; gateway?: string }, cmd: Command) => {
      const { root } = globals(cmd);
      validateNetworkName(name);
      const rec = await withNetworkLock(async () => createNetwork(root, { name, subnet: o.subnet, gateway: o.gateway }));
      process.stdout.write(rec.name + '\n');
    });
}

function lsCommand(): Command {
  return new Command('ls')
    .description('list networks (the default one, bridge, first)')
    .option('-q, --quiet', 'print only names')
    .option('--json', 'print a JSON array')
    .action((o: { quiet?: boolean; json?: boolean }, cmd: Command) => {
      const { root } = globals(cmd);
      const nets = listNetworks(root).map((n) => describe(root, n));
      if (o.json) return printJson(nets);
      if (o.quiet) return void process.stdout.write(nets.map((n) => n.name + '\n').join(''));
      process.stdout.write(
        renderTable(
          ['NAME', 'SUBNET', 'GATEWAY', 'BRIDGE', 'CONTAINERS'],
          nets.map((n) => [n.name, n.subnet, n.gateway, n.bridge, String(n.containers.length)]),
        ),
      );
    });
}

function inspectCommand(): Command {
  return new Command('inspect')
    .description('print networks as a JSON array')
    .argument('<name...>', 'networks to inspect')
    .action(async (names: string[], _o: unknown, cmd: Command) => {
      const { root } = globals(cmd);
      const out: unknown[] = [];
      await forEachId(names, async (name) => void out.push(describe(root, readNetwork(root, name)))).finally(() => printJson(out));
    });
}

function rmCommand(): Command {
  return new Command('rm')
    .description('remove networks (refused while a container uses one; the default network stays)')
    .argument('<name...>', 'networks to remove')
    .action(async (names: string[], _o: unknown, cmd: Command) => {
      const { root } = globals(cmd);
      await forEachId(names, async (name) => {
        await withNetworkLock(async () => removeNetwork(root, name));
        process.stdout.write(name + '\n');
      });
    });
}

/** `lrctl network` */
export function networkCommand(): Command {
  return new Command('network')
    .description('manage networks: create, ls, inspect, rm')
    .addCommand(createCommand())
    .addCommand(lsCommand())
    .addCommand(inspectCommand())
    .addCommand(rmCommand());
}
