// lrctl load -i FILE: `docker load`'s spelling of `lrctl image import FILE`.
import { Command } from 'commander';
import { importImage } from '../../image/import.js';
import { globals } from '../context.js';
import { parseSize } from '../options.js';

/** `lrctl load` */
export function loadCommand(): Command {
  return new Command('load')
    .description('import an image from an archive (docker save, podman save: docker-archive or oci-archive, gzip or not), as image import does')
    .requiredOption('-i, --input <file>', 'the archive (an OCI layout folder is also taken)')
    .option('--max-size <size>', 'write at most this much to the store, blobs and layers (k, m, g; default: the free space)', parseSize)
    .action(async (o: { input: string; maxSize?: number }, cmd: Command) => {
      const { root } = globals(cmd);
      const img = await importImage(root, o.input, { maxSize: o.maxSize });
      process.stdout.write(img.names.length ? img.names.map((n) => `Loaded image: ${n}\n`).join('') : `Loaded image ID: ${img.id}\n`);
    });
}
