/**
 * Connection files: the ports, transport and key a kernel and its clients share.
 */
import { randomBytes, randomInt } from 'crypto';
import * as fs from 'fs';
import * as net from 'net';
import * as os from 'os';
import * as path from 'path';
import { diskFullOr } from '../base/errors';

export interface IConnectionInfo {
  transport: 'tcp';
  ip: string;
  shell_port: number;
  iopub_port: number;
  stdin_port: number;
  control_port: number;
  hb_port: number;
  key: string;
  signature_scheme: 'hmac-sha256';
  kernel_name?: string;
}

export type SocketName = 'shell' | 'iopub' | 'stdin' | 'control' | 'hb';

export function address(info: IConnectionInfo, socket: SocketName): string {
  return `${info.transport}://${info.ip}:${info[`${socket}_port`]}`;
}

/** How long a port handed out stays off-limits to later calls of this process. */
const RECENT_PORT_MS = 60_000;

/** Ports handed out lately, with when: the kernels given them may still be starting. */
const recentPorts = new Map<number, number>();

/** The fewest ports a range outside the OS's ephemeral ports must have to be used. */
const MIN_RANGE = 1000;

/** The lowest port chosen below the ephemeral ports (lower ones are services' usual ports). */
const LOWEST_PORT = 20_000;

/**
 * The ports kernels get: a range the OS never hands out by itself, neither to `bind(0)`
 * (what jupyter_client does to choose the ports of the kernels JupyterLab starts) nor to
 * outgoing connections. So a kernel of ours never takes a port JupyterLab chose for one of
 * its kernels, nor the other way round. The OS's range is read from
 * `/proc/sys/net/ipv4/ip_local_port_range` (else 32768-60999 on Linux, 49152-65535
 * elsewhere); the larger of the ranges below it (from 20000) and above it is used, or
 * null (ask the OS) when neither holds 1000 ports.
 */
export function kernelPortRange(): { low: number; high: number } | null {
  let ephemeral = process.platform === 'linux' ? [32768, 60999] : [49152, 65535];
  try {
    const [low, high] = fs
      .readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8')
      .trim()
      .split(/\s+/)
      .map(Number);
    if (Number.isInteger(low) && Number.isInteger(high) && low <= high) {
      ephemeral = [low, high];
    }
  } catch {
    // not Linux: the platform's default
  }
  const below = { low: LOWEST_PORT, high: ephemeral[0] - 1 };
  const above = { low: ephemeral[1] + 1, high: 65535 };
  const size = (r: { low: number; high: number }): number => r.high - r.low + 1;
  const range = size(below) >= size(above) ? below : above;
  return size(range) >= MIN_RANGE ? range : null;
}

/**
 * `count` distinct free TCP ports on `ip` for a kernel, from `kernelPortRange()`.
 *
 * Each is checked by listening on it, and all listeners stay open until every port is
 * known, so the ports differ; a port this process handed out in the last minute is not
 * handed out again, so kernels started at once (the trials of a sweep) never get the same
 * port while the first one is still starting. Another process of ours may still pick the
 * same port between release and the kernel's bind: `KernelManager.start` then starts the
 * kernel again with new ports.
 */
export async function freePorts(count: number, ip = '127.0.0.1'): Promise<number[]> {
  const now = Date.now();
  for (const [port, at] of recentPorts) {
    if (now - at > RECENT_PORT_MS) {
      recentPorts.delete(port);
    }
  }
  const range = kernelPortRange();
  const servers: net.Server[] = [];
  try {
    const ports: number[] = [];
    // Bounded: taken ports are few; a few repeats are the most expected.
    for (let tries = 0; ports.length < count && tries < count + 100; tries++) {
      const wanted = range ? randomInt(range.low, range.high + 1) : 0;
      if (recentPorts.has(wanted) || ports.includes(wanted)) {
        continue;
      }
      const server = net.createServer();
      const port = await new Promise<number | null>(resolve => {
        server.once('error', () => resolve(null));
        server.listen(wanted, ip, () => resolve((server.address() as net.AddressInfo).port));
      });
      if (port === null) {
        continue; // taken
      }
      servers.push(server);
      // A recent port stays held (listening) until the end, so the OS offers another.
      if (!recentPorts.has(port)) {
        ports.push(port);
      }
    }
    if (ports.length < count) {
      throw new Error(`could not find ${count} free TCP ports on ${ip}`);
    }
    for (const port of ports) {
      recentPorts.set(port, now);
    }
    return ports;
  } finally {
    await Promise.all(servers.map(s => new Promise(resolve => s.close(resolve))));
  }
}

/** A fresh connection with free ports and a random non-empty key. */
export async function newConnectionInfo(kernelName?: string): Promise<IConnectionInfo> {
  const [shell, iopub, stdin, control, hb] = await freePorts(5);
  return {
    transport: 'tcp',
    ip: '127.0.0.1',
    shell_port: shell,
    iopub_port: iopub,
    stdin_port: stdin,
    control_port: control,
    hb_port: hb,
    key: randomBytes(32).toString('hex'),
    signature_scheme: 'hmac-sha256',
    ...(kernelName ? { kernel_name: kernelName } : {})
  };
}

/** Writes `info` to a new private file in the runtime directory; returns its path. */
export function writeConnectionFile(info: IConnectionInfo, dir = runtimeDir()): string {
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  const file = path.join(dir, `kernel-nbx-${randomBytes(6).toString('hex')}.json`);
  try {
    fs.writeFileSync(file, JSON.stringify(info, null, 1), { mode: 0o600 });
  } catch (err) {
    fs.rmSync(file, { force: true });
    throw diskFullOr(err, file);
  }
  return file;
}

/** Reads a connection file a kernel was started with (server side). */
export function readConnectionFile(file: string): IConnectionInfo {
  return JSON.parse(fs.readFileSync(file, 'utf8')) as IConnectionInfo;
}

/** Jupyter's runtime directory, where connection files live. */
export function runtimeDir(env: NodeJS.ProcessEnv = process.env): string {
  if (env.JUPYTER_RUNTIME_DIR) {
    return env.JUPYTER_RUNTIME_DIR;
  }
  const dataDir = env.JUPYTER_DATA_DIR ?? path.join(os.homedir(), '.local', 'share', 'jupyter');
  return path.join(dataDir, 'runtime');
}
