// lrctl pull: an image from a registry, through skopeo (lib/image/pull.ts).
import { Command, InvalidArgumentError } from 'commander';
import { pullImage } from '../../image/pull.js';
import { normalizeRef } from '../../image/reference.js';
import { globals } from '../context.js';
import { findSkopeo } from '../deps.js';
import { parseSize } from '../options.js';

// --tls-verify=false as podman spells it (a Go bool flag): true or false, nothing else
function parseBool(value: string): boolean {
  if (value === 'true') return true;
  if (value === 'false') return false;
  throw new InvalidArgumentError(`expected true or false, got ${JSON.stringify(value)}`);
}

/** `lrctl pull` */
export function pullCommand(): Command {
  return new Command('pull')
    .description('fetch an image from a registry (through skopeo) into the image store, and print its id')
    .argument('<ref>', 'the image: [REGISTRY[:PORT]/]NAME[:TAG|@sha256:DIGEST], normalized as Docker does (nginx is docker.io/library/nginx:latest)')
    .option('--tls-verify <bool>', 'false: talk plain HTTP, or HTTPS without checking the certificate (a local registry)', parseBool, true)
    .option('--max-size <size>', "refuse the image when its layers' extracted size exceeds SIZE (512k, 10m, 1g; default: the free space)", parseSize)
    .action(async (ref: string, o: { tlsVerify: boolean; maxSize?: number }, cmd: Command) => {
      const { root } = globals(cmd);
      normalizeRef(ref); // a bad reference is EUSAGE before anything else, skopeo included
      const skopeo = findSkopeo();
      const img = await pullImage(root, ref, { skopeo, tlsVerify: o.tlsVerify, maxSize: o.maxSize, progressFd: process.stderr.isTTY ? 2 : null });
      process.stdout.write(img.id.replace(/^sha256:/, '') + '\n');
    });
}
