// The command's name in argv (node, script, [global options], command, ...),
// found before commander parses it: for building only the command that runs.

/** The command's name, the --root given before it (if any), and whether
 *  help was asked before it (`lrctl -h run` is the program's help). */
export function commandAndRootArg(argv: string[]): { command: string | null; root: string | undefined; help: boolean } {
  let root: string | undefined;
  let help = false;
  let i = 2;
  for (; i < argv.length && argv[i].startsWith('-'); i++) {
    if (argv[i] === '--root') root = argv[++i];
    else if (argv[i].startsWith('--root=')) root = argv[i].slice('--root='.length);
    else if (argv[i] === '-h' || argv[i] === '--help') help = true;
  }
  return { command: argv[i] ?? null, root, help };
}
