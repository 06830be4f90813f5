// The CLI process's entry, bundled as one CommonJS file (scripts/bundle.mjs)
// that bin/lrctl.cjs loads through V8's code cache (code-cache.ts).
// A closed pipe (`lrctl logs c1 | head`) ends the output quietly, as with cat.
for (const s of [process.stdout, process.stderr]) {
  s.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code === 'EPIPE') process.exit(process.exitCode ?? 0);
    throw err;
  });
}

void import('./main.js').then(({ main }) => main(process.argv));
