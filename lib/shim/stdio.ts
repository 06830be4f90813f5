// The container's stdio: anonymous pipes (runc checkpoint cannot handle
// files or socketpairs as a container's stdio; shared/PLATFORM.md), or a pty
// whose master runc sends over the console socket.
import { chmodSync, closeSync, rmSync, writeSync } from 'node:fs';
import { Socket } from 'node:net';
import { dirname } from 'node:path';
import { ReadStream } from 'node:tty';
import { DEFAULT_LOG_BUFFER, pipeMaxSize } from '../logs/buffer.js';
import { native } from '../native/index.js';
import { readStartTime } from '../state/liveness.js';
import { mkdirPrivate, PRIVATE_FILE } from '../state/private-fs.js';

/** What the shim keeps of the container's stdio. */
export interface ContainerStdio {
  /** fds to hand to `runc create` as its stdin/stdout/stderr. */
  forRunc: (number | 'ignore' | 'pipe')[];
  /** Closes our copies of the container's ends once runc has them. */
  closeChildEnds(): void;
  /** Closes every fd of this stdio, both ends (a launch that failed). */
  close(): void;
  /** Readable streams of output, by stream name (one 'stdout' for a tty). */
  outputs: { stream: 'stdout' | 'stderr'; readable: NodeJS.ReadableStream }[];
  /** Writes to the container's stdin; null when it has none. False when the
   *  container is not reading: `drained` is called once it has caught up. */
  writeStdin: ((data: Buffer, drained: () => void) => boolean) | null;
  closeStdin(): void;
  resize(rows: number, cols: number): void;
  pipeSize: number | null;
  /** Our ends, by number: what a re-executed shim takes over (lrctl shim upgrade). */
  fds: StdioFds;
}

/** The shim's ends of the container's stdio: pipes, or a pty master. */
export type StdioFds = { kind: 'pipes'; out: number; err: number; stdin: number | null } | { kind: 'pty'; master: number };

/** Wraps our ends of a container's stdio (a launch, or a shim taking over after an upgrade). */
export function stdioFromFds(fds: StdioFds, pipeSize: number | null): ContainerStdio {
  return fds.kind === 'pty' ? ptyStdio(fds.master) : pipeStdio(fds.out, fds.err, fds.stdin, pipeSize, () => {});
}

/** Pipes for a non-tty container; stdin is a pipe only with -i. `bufferSize`
 *  (F_SETPIPE_SZ) sets the capacity of the output pipes; null for the default. */
export function createPipes(withStdin: boolean, bufferSize: number | null, warn: (msg: string) => void): ContainerStdio {
  const n = native();
  const [outR, outW] = n.pipe();
  const [errR, errW] = n.pipe();
  let pipeSize = n.getPipeSize(outR);
  const want = bufferSize ?? Math.min(DEFAULT_LOG_BUFFER, pipeMaxSize());
  try {
    pipeSize = n.setPipeSize(outR, want);
    n.setPipeSize(errR, want);
  } catch (err) {
    // a per-user pipe limit (fs.pipe-user-pages-*) can refuse it: run with what the kernel gave
    warn(`log buffer of ${want} bytes refused (${(err as Error).message}); keeping ${pipeSize}`);
  }
  const [inR, inW] = withStdin ? n.pipe() : [-1, -1];
  let childEndsOpen = true;
  const stdio = pipeStdio(outR, errR, withStdin ? inW : null, pipeSize, () => {
    if (!childEndsOpen) return;
    childEndsOpen = false;
    closeSync(outW);
    closeSync(errW);
    if (withStdin) closeSync(inR);
  });
  return { ...stdio, forRunc: [withStdin ? inR : 'ignore', outW, errW] };
}

function pipeStdio(outR: number, errR: number, inW: number | null, pipeSize: number | null, closeChildEnds: () => void): ContainerStdio {
  const stdinSock = inW !== null ? new Socket({ fd: inW, readable: false, writable: true }) : null;
  stdinSock?.on('error', () => {});
  const out = new Socket({ fd: outR, readable: true, writable: false });
  const err = new Socket({ fd: errR, readable: true, writable: false });
  return {
    forRunc: [],
    closeChildEnds,
    close() {
      closeChildEnds();
      // destroying a socket closes its fd
      for (const s of [out, err, stdinSock]) s?.destroy();
    },
    outputs: [
      { stream: 'stdout', readable: out },
      { stream: 'stderr', readable: err },
    ],
    writeStdin: stdinSock
      ? (d, drained) => {
          if (stdinSock.write(d)) return true;
          stdinSock.once('drain', drained);
          return false;
        }
      : null,
    closeStdin: () => stdinSock?.end(),
    resize() {},
    pipeSize,
    fds: { kind: 'pipes', out: outR, err: errR, stdin: inW },
  };
}

/** Listens on the console socket; call receivePty() after runc has been spawned. */
export function listenConsole(path: string): { receivePty(runcPid: number): ContainerStdio } {
  const n = native();
  rmSync(path, { force: true });
  // root-only whatever the umask, like the control socket: whoever connects first hands the container its terminal
  mkdirPrivate(dirname(path));
  const lfd = n.listenUnix(path);
  try {
    chmodSync(path, PRIVATE_FILE);
  } catch (err) {
    closeSync(lfd);
    throw err;
  }
  return {
    receivePty(runcPid: number) {
      let master = -1;
      try {
        // Poll in short slices so a runc that failed before connecting is noticed.
        for (let waited = 0; master < 0; waited += 100) {
          try {
            master = n.acceptRecvFd(lfd, 100);
          } catch (err) {
            if ((err as { code?: string }).code !== 'ETIMEDOUT') throw err;
            if (readStartTime(runcPid) === null || waited > 30_000) throw new Error('runc exited without sending the pty', { cause: err });
          }
        }
      } finally {
        closeSync(lfd);
        rmSync(path, { force: true });
      }
      return ptyStdio(master);
    },
  };
}

function ptyStdio(fd: number): ContainerStdio {
  const n = native();
  const reader = new ReadStream(fd);
  return {
    forRunc: [],
    closeChildEnds() {},
    close: () => reader.destroy(),
    outputs: [{ stream: 'stdout', readable: reader }],
    writeStdin: (d) => {
      // Non-blocking fd (libuv set it): retry a full pty shortly instead of blocking the shim.
      const write = (buf: Buffer) => {
        try {
          const w = writeSync(fd, buf);
          if (w < buf.length) setTimeout(() => write(buf.subarray(w)), 10);
        } catch (err) {
          if ((err as { code?: string }).code === 'EAGAIN') setTimeout(() => write(buf), 10);
        }
      };
      write(d);
      return true;
    },
    closeStdin() {
      // A tty has no separate stdin to close; ^D is sent as data.
    },
    resize: (rows, cols) => n.setWinsize(fd, rows, cols),
    pipeSize: null,
    fds: { kind: 'pty', master: fd },
  };
}
