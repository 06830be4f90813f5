// --format templates (ps --format, inspect -f): a small, documented subset of
// Go's text/template, the language Docker's --format speaks, over the JSON
// that --json prints. No npm package implements Go templates well (the ones
// that exist are unmaintained or pull a Go runtime in through WASM), and the
// subset Docker users type is small:
//
//   {{.}}  {{.field}}  {{.a.b}}           the value (or a field of it); struct fields match
//                                         case-insensitively, so {{.ID}} finds "id", {{.Status}} "status"
//   {{.labels.key}}                       a map's entry (a field named labels is a map: a missing key is empty)
//   {{json .}}  {{json .field}}           compact JSON
//   {{index .labels "key"}}               a map's entry, or a list's item by number
//   {{join .command " "}}                 a list's items joined
//   {{upper .x}}  {{lower .x}}  {{len .x}}
//   {{.x | upper}}                        a pipeline: the value is the last argument of the next function
//   \t and \n in the template             a tab and a newline (as docker typed in a shell)
//
// Anything else ({{if}}, {{range}}, variables, comments) is refused with one line.
// A field that does not exist is an error (TemplateError: the CLI's EUSAGE, exit 2), as in Docker.
import { usageError, type LrctlError } from '../../errors.js';

type Arg = { kind: 'field'; path: string[] } | { kind: 'string'; value: string } | { kind: 'number'; value: number } | { kind: 'func'; name: string };
type Command = Arg[];
/** One action: a pipeline of commands. */
type Action = Command[];
type Piece = { text: string } | { action: Action; source: string };

/** A parsed template. */
export interface Template {
  pieces: Piece[];
}

const FUNCS = ['json', 'index', 'join', 'upper', 'lower', 'len'] as const;
type Func = (typeof FUNCS)[number];

const fail = (msg: string): LrctlError => usageError(`template: ${msg}`);

/** Parses `source` (with \t and \n turned into a tab and a newline); EUSAGE on a syntax outside the subset. */
export function parseTemplate(source: string): Template {
  const text = source.replace(/\\t/g, '\t').replace(/\\n/g, '\n');
  const pieces: Piece[] = [];
  let at = 0;
  while (at < text.length) {
    const open = text.indexOf('{{', at);
    if (open < 0) {
      pieces.push({ text: text.slice(at) });
      break;
    }
    if (open > at) pieces.push({ text: text.slice(at, open) });
    const close = findClose(text, open + 2);
    if (close < 0) throw fail(`unclosed action at ${JSON.stringify(text.slice(open, open + 20))}`);
    const inner = text.slice(open + 2, close);
    pieces.push({ action: parseAction(inner), source: inner.trim() });
    at = close + 2;
  }
  return { pieces };
}

// The index of the "}}" that ends the action starting at `from`, skipping quoted strings.
function findClose(text: string, from: number): number {
  for (let i = from; i < text.length; i++) {
    if (text[i] === '"') {
      for (i++; i < text.length && text[i] !== '"'; i++) if (text[i] === '\\') i++;
    } else if (text.startsWith('}}', i)) return i;
  }
  return -1;
}

function parseAction(inner: string): Action {
  const tokens = tokenize(inner);
  if (!tokens.length) throw fail('empty action {{}}');
  const action: Action = [[]];
  for (const tok of tokens) {
    if (tok === '|') {
      if (!action[action.length - 1].length) throw fail(`missing command before | in {{${inner}}}`);
      action.push([]);
      continue;
    }
    action[action.length - 1].push(parseArg(tok, inner));
  }
  for (const cmd of action) {
    if (!cmd.length) throw fail(`missing command after | in {{${inner}}}`);
    if (cmd[0].kind !== 'func' && cmd.length > 1) throw fail(`${JSON.stringify(inner.trim())}: only a function takes arguments`);
    for (const a of cmd.slice(1)) if (a.kind === 'func') throw fail(`${JSON.stringify(inner.trim())}: a function cannot be an argument`);
  }
  return action;
}

function tokenize(inner: string): string[] {
  const out: string[] = [];
  let i = 0;
  while (i < inner.length) {
    const c = inner[i];
    if (/\s/.test(c)) i++;
    else if (c === '|') {
      out.push('|');
      i++;
    } else if (c === '"') {
      let j = i + 1;
      for (; j < inner.length && inner[j] !== '"'; j++) if (inner[j] === '\\') j++;
      out.push(inner.slice(i, j + 1));
      i = j + 1;
    } else {
      let j = i;
      while (j < inner.length && !/[\s|"]/.test(inner[j])) j++;
      out.push(inner.slice(i, j));
      i = j;
    }
  }
  return out;
}

function parseArg(tok: string, inner: string): Arg {
  if (tok.startsWith('"')) {
    try {
      return { kind: 'string', value: JSON.parse(tok) as string };
    } catch {
      throw fail(`bad string ${tok} in {{${inner}}}`);
    }
  }
  if (/^-?\d+$/.test(tok)) return { kind: 'number', value: Number(tok) };
  if (tok === '.') return { kind: 'field', path: [] };
  if (/^(\.[A-Za-z_][A-Za-z0-9_-]*)+$/.test(tok)) return { kind: 'field', path: tok.slice(1).split('.') };
  if ((FUNCS as readonly string[]).includes(tok)) return { kind: 'func', name: tok };
  if (['if', 'else', 'end', 'range', 'with', 'define', 'template', 'block'].includes(tok) || tok.startsWith('$') || tok.startsWith('/*'))
    throw fail(`{{${inner.trim()}}}: only fields and the functions ${FUNCS.join(', ')} are supported (lrctl's subset, see lrctl-ps(1))`);
  throw fail(`unknown function or field ${JSON.stringify(tok)} in {{${inner.trim()}}} (fields start with a dot: {{.${tok}}})`);
}

/** Options of a rendering: which objects are maps (a missing key there is empty, not an error). */
export interface RenderOptions {
  isMap?: (path: string[]) => boolean;
}

const defaultIsMap = (path: string[]) => path.length > 0 && /labels$/i.test(path[path.length - 1]);

/** Renders `t` over `data`; EUSAGE naming a field that `data` does not have. */
export function renderTemplate(t: Template, data: unknown, opts: RenderOptions = {}): string {
  const isMap = opts.isMap ?? defaultIsMap;
  return t.pieces.map((p) => ('text' in p ? p.text : show(runAction(p.action, p.source, data, isMap)))).join('');
}

function runAction(action: Action, source: string, data: unknown, isMap: (path: string[]) => boolean): unknown {
  let piped: unknown[] = [];
  for (const cmd of action) {
    const [head, ...rest] = cmd;
    const value = (a: Arg) => (a.kind === 'field' ? lookup(data, a.path, source, isMap) : a.kind === 'func' ? undefined : a.value);
    if (head.kind !== 'func') piped = [value(head)];
    else piped = [callFunc(head.name as Func, [...rest.map(value), ...piped], source)];
  }
  return piped[0];
}

function lookup(data: unknown, path: string[], source: string, isMap: (path: string[]) => boolean): unknown {
  let v = data;
  for (let i = 0; i < path.length; i++) {
    // a field of nothing is nothing (a container without a health check, say)
    if (v === null || v === undefined) return null;
    if (typeof v !== 'object' || Array.isArray(v))
      throw fail(`{{${source}}}: ${['', ...path.slice(0, i)].join('.') || '.'} has no fields (it is ${kindOf(v)})`);
    const o = v as Record<string, unknown>;
    const key = path[i];
    if (Object.hasOwn(o, key)) v = o[key];
    else if (isMap(path.slice(0, i))) v = null;
    else {
      const k = Object.keys(o).find((n) => n.toLowerCase() === key.toLowerCase());
      if (k === undefined)
        throw fail(
          `unknown field ${['', ...path.slice(0, i + 1)].join('.')} (fields${i ? ` of .${path.slice(0, i).join('.')}` : ''}: ${Object.keys(o).join(', ')})`,
        );
      v = o[k];
    }
  }
  return v;
}

function kindOf(v: unknown): string {
  return Array.isArray(v) ? 'a list' : v === null ? 'null' : `a ${typeof v}`;
}

function callFunc(name: Func, args: unknown[], source: string): unknown {
  const arity: Record<Func, number> = { json: 1, index: 2, join: 2, upper: 1, lower: 1, len: 1 };
  if (args.length !== arity[name]) throw fail(`{{${source}}}: ${name} takes ${arity[name]} argument${arity[name] > 1 ? 's' : ''}, got ${args.length}`);
  switch (name) {
    case 'json':
      return new Raw(JSON.stringify(args[0] ?? null));
    case 'index': {
      const [c, k] = args;
      if (Array.isArray(c) && typeof k === 'number') return c[k] ?? null;
      if (c !== null && typeof c === 'object' && !Array.isArray(c) && typeof k === 'string') return (c as Record<string, unknown>)[k] ?? null;
      if (c === null || c === undefined) return null;
      throw fail(`{{${source}}}: index takes a map and a "key", or a list and a number`);
    }
    case 'join': {
      const [list, sep] = args;
      // join .list "sep" piped as .list | join "sep" puts the list last
      const [l, s] = Array.isArray(sep) ? [sep, list] : [list, sep];
      if (!Array.isArray(l) || typeof s !== 'string') throw fail(`{{${source}}}: join takes a list and a "separator"`);
      return l.map(show).join(s);
    }
    case 'upper':
      return show(args[0]).toUpperCase();
    case 'lower':
      return show(args[0]).toLowerCase();
    case 'len': {
      const v = args[0];
      if (typeof v === 'string' || Array.isArray(v)) return v.length;
      if (v !== null && typeof v === 'object') return Object.keys(v).length;
      throw fail(`{{${source}}}: len takes a string, list or map`);
    }
  }
}

// Text made by a function (json): printed as it is.
class Raw {
  constructor(readonly text: string) {}
}

/** How a value prints, as Go's text/template prints it: lists [a b], maps map[k:v] (sorted), nothing as "". */
function show(v: unknown): string {
  if (v === null || v === undefined) return '';
  if (v instanceof Raw) return v.text;
  if (Array.isArray(v)) return `[${v.map(show).join(' ')}]`;
  if (typeof v === 'object')
    return `map[${Object.keys(v)
      .sort()
      .map((k) => `${k}:${show((v as Record<string, unknown>)[k])}`)
      .join(' ')}]`;
  return String(v);
}

/** The column headers of a `table` template: each action's field name in capitals (json .labels: LABELS), text kept. */
export function templateHeaders(t: Template): string {
  return t.pieces
    .map((p) => {
      if ('text' in p) return p.text;
      const fields = p.action.flat().filter((a): a is Extract<Arg, { kind: 'field' }> => a.kind === 'field');
      const f = fields[0];
      if (!f) return p.source.toUpperCase();
      return f.path.length ? f.path[f.path.length - 1].replace(/([a-z])([A-Z])/g, '$1 $2').toUpperCase() : '.';
    })
    .join('');
}
