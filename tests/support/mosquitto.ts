/**
 * A Debian `mosquitto` process on a configuration the test wrote, for tests that need more
 * than durability.ts's one anonymous in-memory broker: TLS listeners, bridges, persistence,
 * a restart on the same port.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import net from 'node:net';
import { waitFor } from './wait.ts';

export interface MosquittoProcess {
  /** What mosquitto wrote to stderr so far (its log with `log_dest stderr`). */
  log(): string;
  /** SIGTERM, then waits for it to exit (it saves its persistence file on the way out). */
  stop(): Promise<void>;
}

/** Starts mosquitto on `confPath` and waits until it accepts TCP connections on `port`. */
export async function launchMosquitto(confPath: string, port: number): Promise<MosquittoProcess> {
  let log = '';
  const child: ChildProcess = spawn('mosquitto', ['-c', confPath], { stdio: ['ignore', 'pipe', 'pipe'] });
  child.stderr!.on('data', (b: Buffer) => (log += b.toString()));
  child.stdout!.on('data', (b: Buffer) => (log += b.toString()));
  await waitFor(`mosquitto on ${port}`, () => {
    if (child.exitCode !== null) throw new Error(`mosquitto exited: ${log}`);
    return accepts(port);
  }, 10_000, 50);
  return {
    log: () => log,
    async stop() {
      if (child.exitCode !== null) return;
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      await exited;
    },
  };
}

function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}
