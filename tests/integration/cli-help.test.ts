/**
 * Every `deskprint` command answers --help and -h with its options and exit 0 (issue 22),
 * run as a user runs it: the real bin/deskprint.js in a child process.
 */
import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { ROOT } from '../../cli/start.ts';
import { COMMAND_NAMES } from '../../cli/usage.ts';

const run = promisify(execFile);

async function deskprint(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(process.execPath, [path.join(ROOT, 'bin', 'deskprint.js'), ...args], { cwd: ROOT, timeout: 60_000 });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

/** An option each command's help must show: proof it lists the options, not just a line. */
const OPTION_SHOWN: Record<(typeof COMMAND_NAMES)[number], string> = {
  start: '--http-port', broker: '--mqtt-port', ingest: '--mqtt-url', api: '--mqtt-url',
  simulate: '--scenario', recompute: '--from', report: '--format', users: '--role', devices: '--kind',
};

describe('deskprint --help', () => {
  it.each(COMMAND_NAMES.flatMap((c) => [[c, '--help'], [c, '-h']]))('%s %s prints its options and exits 0', async (command, flag) => {
    const { code, stdout, stderr } = await deskprint(command, flag);
    expect(stderr).toBe('');
    expect(code).toBe(0);
    expect(stdout).toContain(`deskprint ${command}`);
    expect(stdout).toContain(OPTION_SHOWN[command]);
  }, 60_000);

  it('lists every command in the top-level help', async () => {
    const { code, stdout } = await deskprint('--help');
    expect(code).toBe(0);
    for (const command of COMMAND_NAMES) expect(stdout).toContain(command);
  });

  it('still rejects an unknown option, with the usage and exit 2', async () => {
    const { code, stderr } = await deskprint('start', '--nope');
    expect(code).toBe(2);
    expect(stderr).toContain("Unknown option '--nope'");
    expect(stderr).toContain('--http-port');
  });
});
