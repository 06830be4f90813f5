// lrctl image: the root's image store (lib/image).
//   image ls [--json] [-q]   image inspect REF...   image rm [-f] REF...   image prune [-a]
//   image tag SRC DST        image import [--max-size SIZE] FILE|DIR [REF]
//   image export REF FILE
import { Command } from 'commander';
import { exportImage } from '../../image/export.js';
import { importImage } from '../../image/import.js';
import { splitName } from '../../image/reference.js';
import { pruneImages, removeImage, type RemoveResult } from '../../image/remove.js';
import { addImageLocked, findImage, imagesInUse, listImages, shortId, withImagesLock, type ImageRecord } from '../../image/store.js';
import { normalizeRef } from '../../image/reference.js';
import { globals } from '../context.js';
import { forEachId } from '../each-id.js';
import { parseSize } from '../options.js';
import { humanDuration, humanSize } from '../output/human.js';
import { printJson } from '../output/json.js';
import { renderTable } from '../output/table.js';

// What ls --json and inspect print: the record and who uses it now.
function describe(img: ImageRecord, used: Map<string, string[]>) {
  return { ...img, usedBy: used.get(img.id) ?? [] };
}

function lsCommand(): Command {
  return new Command('ls')
    .description('list images, newest first: one line per name (a nameless image shows <none>)')
    .option('-q, --quiet', 'print only image ids')
    .option('--json', 'print a JSON array')
    .action((o: { quiet?: boolean; json?: boolean }, cmd: Command) => {
      const { root } = globals(cmd);
      const images = listImages(root).sort((a, b) => Date.parse(b.created) - Date.parse(a.created));
      if (o.json) {
        const used = imagesInUse(root);
        return printJson(images.map((i) => describe(i, used)));
      }
      if (o.quiet) return void process.stdout.write(images.map((i) => shortId(i.id) + '\n').join(''));
      const now = Date.now();
      const rows: string[][] = [];
      for (const img of images) {
        const since = `${humanDuration(now - Date.parse(img.created))} ago`;
        const names = img.names.length ? img.names.map((n) => splitName(n)) : [{ repository: '<none>', tag: '<none>' }];
        for (const n of names) rows.push([n.repository, n.tag, shortId(img.id), since, humanSize(img.size)]);
      }
      process.stdout.write(renderTable(['REPOSITORY', 'TAG', 'IMAGE ID', 'CREATED', 'SIZE'], rows));
    });
}

function inspectCommand(): Command {
  return new Command('inspect')
    .description('print images as a JSON array')
    .argument('<ref...>', 'images: names, ids or id prefixes')
    .action(async (refs: string[], _o: unknown, cmd: Command) => {
      const { root } = globals(cmd);
      const images = listImages(root);
      const used = imagesInUse(root);
      const out: unknown[] = [];
      await forEachId(refs, async (ref) => void out.push(describe(findImage(root, ref, images), used))).finally(() => printJson(out));
    });
}

function report(r: RemoveResult): void {
  process.stdout.write([...r.untagged.map((n) => `Untagged: ${n}`), ...r.deleted.map((d) => `Deleted: ${d}`)].map((l) => l + '\n').join(''));
}

function rmCommand(): Command {
  return new Command('rm')
    .description('remove images, or one name of an image that has several (refused while a container or checkpoint uses it)')
    .argument('<ref...>', 'images: names, ids or id prefixes')
    .option('-f, --force', 'remove an image with several names; for one in use, remove its names only')
    .action(async (refs: string[], o: { force?: boolean }, cmd: Command) => {
      const { root } = globals(cmd);
      await forEachId(refs, async (ref) => {
        const r = await removeImage(root, ref, Boolean(o.force));
        report(r);
        if (r.keptFor)
          process.stderr.write(`lrctl: image ${ref} stays, nameless, while in use by ${r.keptFor.join(', ')} (image prune removes it afterwards)\n`);
      });
    });
}

function pruneCommand(): Command {
  return new Command('prune')
    .description('remove the images no container or checkpoint uses and that have no name (with -a: every unused image)')
    .option('-a, --all', 'remove every image no container or checkpoint uses')
    .action(async (o: { all?: boolean }, cmd: Command) => {
      const { root } = globals(cmd);
      const r = await pruneImages(root, Boolean(o.all));
      report({ ...r, untagged: [] });
      process.stdout.write(`Total reclaimed space: ${humanSize(r.reclaimed)}\n`);
    });
}

function tagCommand(): Command {
  return new Command('tag')
    .description('give an image another name (a name another image had moves to this one)')
    .argument('<source>', 'the image: a name, id or id prefix')
    .argument('<target>', 'the new name, such as localhost/app:v2')
    .action(async (source: string, target: string, _o: unknown, cmd: Command) => {
      const { root } = globals(cmd);
      const name = normalizeRef(target);
      await withImagesLock(root, async () => addImageLocked(root, findImage(root, source), name));
    });
}

function importCommand(): Command {
  return new Command('import')
    .description('import an image from an OCI layout folder, an oci-archive or a docker-archive (gzip or not) and print its id')
    .argument('<source>', 'an OCI image layout folder, or a tarball from docker save, podman save or skopeo')
    .argument('[ref]', "the image's name (default: the names the archive gives it)")
    .option('--max-size <size>', 'write at most this much to the store, blobs and layers (k, m, g; default: the free space)', parseSize)
    .action(async (source: string, ref: string | undefined, o: { maxSize?: number }, cmd: Command) => {
      const { root } = globals(cmd);
      const img = await importImage(root, source, { name: ref ?? null, maxSize: o.maxSize });
      process.stdout.write(img.id + '\n');
    });
}

function exportCommand(): Command {
  return new Command('export')
    .description('write an image to a file as an OCI archive (mode 0600), for podman load, skopeo or lrctl image import')
    .argument('<ref>', 'the image: a name, id or id prefix')
    .argument('<file>', 'the archive to write (replaced if it exists)')
    .action(async (ref: string, file: string, _o: unknown, cmd: Command) => {
      const { root } = globals(cmd);
      await exportImage(root, ref, file);
    });
}

/** `lrctl image` */
export function imageCommand(): Command {
  return new Command('image')
    .description('manage images: ls, inspect, rm, prune, tag, import, export')
    .addCommand(lsCommand())
    .addCommand(inspectCommand())
    .addCommand(rmCommand())
    .addCommand(pruneCommand())
    .addCommand(tagCommand())
    .addCommand(importCommand())
    .addCommand(exportCommand());
}
