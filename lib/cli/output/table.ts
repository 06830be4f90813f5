// Column layout for `ps`: left-aligned columns separated by three spaces, like Docker.

/** Renders rows under headers; the last column is not padded. */
export function renderTable(headers: string[], rows: string[][]): string {
  // pad by what shows on screen: colour codes take no columns
  // eslint-disable-next-line no-control-regex -- ESC starts the colour codes being measured
  const visible = (c: string) => c.replace(/\x1b\[[0-9;]*m/g, '').length;
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => visible(r[i] ?? ''))));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => (i === cells.length - 1 ? c : c + ' '.repeat(widths[i] - visible(c))))
      .join('   ')
      .trimEnd();
  return [line(headers), ...rows.map(line)].join('\n') + '\n';
}
