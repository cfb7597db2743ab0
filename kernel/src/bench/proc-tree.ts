/**
 * What a command costs as a whole process tree (Linux): wall time, peak RSS of the
 * command and all its descendants summed (polled from /proc), and the bytes it and the
 * descendants it reaped wrote to storage (`write_bytes` of /proc/<pid>/io, which the
 * kernel accumulates into a parent as it reaps its children).
 */
import { spawn } from 'child_process';
import { listProcesses } from '../testing/fixtures';

export interface ITreeCost {
  wallMs: number;
  /** Largest sum of the tree's resident set sizes seen, in bytes. */
  peakRss: number;
  /** Bytes written to storage by the tree (write_bytes − cancelled_write_bytes). */
  writeBytes: number;
}

const PAGE_SIZE = 4096;

/**
 * The command runs under `/bin/sh`, which prints its own /proc io counters (now holding
 * the reaped command's) to a pipe once the command exits.
 */
const WRAPPER = '"$@"; rc=$?; cat /proc/$$/io >&3; exit $rc';

/** Runs `argv` to completion, sampling its tree every `pollMs`; rejects if it fails. */
export function measureTree(
  argv: string[],
  options: { cwd?: string; env?: NodeJS.ProcessEnv; pollMs?: number } = {}
): Promise<ITreeCost> {
  const start = process.hrtime.bigint();
  return new Promise((resolve, reject) => {
    const child = spawn('/bin/sh', ['-c', WRAPPER, 'sh', ...argv], {
      cwd: options.cwd,
      env: options.env ?? process.env,
      stdio: ['ignore', 'ignore', 'pipe', 'pipe']
    });
    let stderr = '';
    let io = '';
    let peakRss = 0;
    child.stderr?.on('data', d => (stderr += String(d)));
    child.stdio[3]?.on('data', d => (io += String(d)));
    const sample = (): void => {
      if (child.pid !== undefined) {
        peakRss = Math.max(peakRss, treeRss(child.pid));
      }
    };
    const timer = setInterval(sample, options.pollMs ?? 50);
    child.on('error', err => {
      clearInterval(timer);
      reject(err);
    });
    child.on('close', code => {
      clearInterval(timer);
      const wallMs = Number(process.hrtime.bigint() - start) / 1e6;
      if (code !== 0) {
        reject(new Error(`${argv.join(' ')} exited with ${code}: ${stderr.trim().slice(-500)}`));
        return;
      }
      const counters = parseIo(io);
      resolve({
        wallMs,
        peakRss,
        writeBytes: (counters.write_bytes ?? 0) - (counters.cancelled_write_bytes ?? 0)
      });
    });
  });
}

function parseIo(text: string): Record<string, number> {
  const counters: Record<string, number> = {};
  for (const line of text.split('\n')) {
    const match = /^(\w+):\s*(\d+)$/.exec(line.trim());
    if (match) {
      counters[match[1]] = Number(match[2]);
    }
  }
  return counters;
}

/** The summed RSS (bytes) of `root` and every process descending from it. */
export function treeRss(root: number): number {
  const children = new Map<number, number[]>();
  const rss = new Map<number, number>();
  for (const p of listProcesses()) {
    rss.set(p.pid, p.rssPages * PAGE_SIZE);
    const list = children.get(p.ppid);
    if (list) {
      list.push(p.pid);
    } else {
      children.set(p.ppid, [p.pid]);
    }
  }
  let total = 0;
  const stack = [root];
  while (stack.length > 0) {
    const pid = stack.pop() as number;
    total += rss.get(pid) ?? 0;
    stack.push(...(children.get(pid) ?? []));
  }
  return total;
}
