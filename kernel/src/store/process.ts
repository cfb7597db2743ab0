/**
 * Is a recorded process still the one we started? Pids get reused, so a run records
 * its runner's pid together with a start token (the kernel's start time of the process)
 * and a pid only counts as alive when the token still matches.
 */

import * as fs from 'node:fs';

import { procStatFields } from '../base/proc-stat';

/** The fields of `/proc/<pid>/stat` the liveness check uses. */
export interface IProcStat {
  /** One-letter state: R, S, D, Z (zombie), X (dead), ... */
  state: string;
  /** Field 22, the start time in clock ticks after boot. */
  startTime: string;
}

/** Parses the text of `/proc/<pid>/stat`, or returns null when it is malformed. */
export function parseProcStat(text: string): IProcStat | null {
  const field = procStatFields(text);
  const state = field?.(3);
  const startTime = field?.(22);
  if (state === undefined || startTime === undefined || !/^\d+$/.test(startTime)) {
    return null;
  }
  return { state, startTime };
}

/** Reads `/proc/<pid>/stat`: 'missing' when absent, null when unreadable or malformed. */
function readProcStat(pid: number): IProcStat | 'missing' | null {
  let text: string;
  try {
    text = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'ENOENT' ? 'missing' : null;
  }
  return parseProcStat(text);
}

function validPid(pid: number): boolean {
  return Number.isSafeInteger(pid) && pid > 0;
}

/**
 * An opaque token identifying this incarnation of `pid` (its start time from
 * `/proc/<pid>/stat`), or null when it cannot be read (no such process, no /proc).
 */
export function processStartToken(pid: number): string | null {
  if (!validPid(pid)) {
    return null;
  }
  const stat = readProcStat(pid);
  return typeof stat === 'object' && stat !== null ? stat.startTime : null;
}

/**
 * True when process `pid` exists (signal 0 succeeds, or fails with EPERM: it exists but
 * belongs to someone else) and is not a zombie, and — when `startToken` was recorded and
 * /proc can be read — it is the same process (its start token matches), not a later
 * process that got the same pid.
 */
export function isProcessAlive(pid: number, startToken?: string | null): boolean {
  if (!validPid(pid)) {
    return false;
  }
  let permitted = true;
  try {
    process.kill(pid, 0);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EPERM') {
      return false;
    }
    permitted = false;
  }
  const stat = readProcStat(pid);
  if (stat === 'missing') {
    // Gone since the signal, unless /proc hides other users' processes (hidepid) or
    // there is no /proc at all: then the signal's answer stands.
    return !permitted || !fs.existsSync('/proc/self/stat');
  }
  if (stat === null) {
    return true;
  }
  if (stat.state === 'Z' || stat.state === 'X') {
    return false;
  }
  return startToken === undefined || startToken === null || startToken === stat.startTime;
}
