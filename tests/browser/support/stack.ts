/**
 * What the browser tests run against, started once by the global setup: the app built into
 * app/dist, the EHR (the dev FHIR server with the demo patients and its SMART launcher) and Cairn
 * itself (`src/cli/serve.ts`, as `npm run dev` runs it, on an embedded database in a temporary
 * directory, serving the app at /app/).
 *
 * Each server is a child process in its own process group, stopped by signalling the group, so
 * nothing it started outlives the run: not on success, not when start-up fails half-way, and not
 * when the test runner itself exits early (a synchronous exit hook kills what is left).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { cpSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { emptyDatabaseTemplate } from '../../../dev/pglite-template.js';
import { REPO_ROOT } from '../../support/repo-root.js';
import type { DemoPatient } from '../../../dev/fhir-server/demo-patients.js';
import type { StackInfo } from './stack-info.js';

export { STACK_ENV } from './stack-info.js';

export interface Stack extends StackInfo {
  stop(): Promise<void>;
}

/** Where the servers' output goes (kept after the run for a failed test's reader). */
const LOG_DIR = join(REPO_ROOT, 'test-results', 'browser-servers');

/** A port nothing listens on right now (Cairn needs its port before it starts: its public URL names it). */
async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

interface Child {
  name: string;
  process: ChildProcess;
  output: () => string;
  exited: Promise<number | null>;
}

const running = new Set<Child>();
const dataDirs = new Set<string>();

// The last resort: whatever way the runner ends (Ctrl-C, a time-out's SIGTERM, an uncaught error),
// no server and no temporary database is left behind. Only synchronous calls work in an exit hook.
process.once('exit', () => {
  for (const child of running) killGroup(child, 'SIGKILL');
  for (const dir of dataDirs) rmSync(dir, { recursive: true, force: true });
});
// A signal's default action ends the process without 'exit' (Playwright handles SIGINT itself and
// runs the teardown): exit as the signal would, through the hook above. A SIGKILL cannot be caught.
for (const [signal, code] of [['SIGTERM', 143], ['SIGHUP', 129]] as const) {
  if (process.listenerCount(signal) === 0) process.once(signal, () => process.exit(code));
}

function killGroup(child: Child, signal: NodeJS.Signals): void {
  if (child.process.pid === undefined || child.process.exitCode !== null || child.process.signalCode !== null) return;
  try {
    process.kill(-child.process.pid, signal);
  } catch {
    // the group is already gone
  }
}

function start(name: string, command: string, args: string[], env: Record<string, string>): Child {
  const proc = spawn(command, args, {
    cwd: REPO_ROOT,
    // A process group of its own: a signal to -pid reaches whatever it starts, too.
    detached: true,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const append = (d: Buffer): void => {
    output += d.toString();
  };
  proc.stdout?.on('data', append);
  proc.stderr?.on('data', append);
  const exited = new Promise<number | null>((resolve) => {
    proc.once('exit', (code) => resolve(code));
    // Not started at all (the command is missing): there may be no 'exit'.
    proc.once('error', (err) => {
      output += `\n${err.message}\n`;
      resolve(null);
    });
  });
  const child: Child = { name, process: proc, output: () => output, exited };
  running.add(child);
  void exited.then(() => {
    running.delete(child);
    mkdirSync(LOG_DIR, { recursive: true });
    writeFileSync(join(LOG_DIR, `${name}.log`), output);
  });
  return child;
}

/** SIGTERM to the group, then SIGKILL if it has not exited within `graceMs`. */
async function stopChild(child: Child, graceMs = 10_000): Promise<void> {
  killGroup(child, 'SIGTERM');
  const timer = setTimeout(() => killGroup(child, 'SIGKILL'), graceMs);
  await child.exited;
  clearTimeout(timer);
}

function failure(child: Child, what: string): Error {
  return new Error(`${child.name}: ${what}. Its output (last 4,000 characters):\n${child.output().slice(-4000)}`);
}

/** Waits for the child to print a line of JSON whose first key is `key`, and returns that object. */
function announced<T>(child: Child, key: string, timeoutMs: number): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => reject(failure(child, `did not announce "${key}" within ${timeoutMs} ms`)), timeoutMs);
    const look = (): void => {
      const line = child.output().split('\n').find((l) => l.startsWith(`{"${key}":`));
      if (!line) return;
      clearTimeout(timer);
      resolve(JSON.parse(line) as T);
    };
    child.process.stdout?.on('data', look);
    look();
    void child.exited.then((code) => {
      clearTimeout(timer);
      reject(failure(child, `exited with ${String(code)} before it announced "${key}"`));
    });
  });
}

/** Polls GET `url` until it answers 200, the child exits or the time is up. */
async function ready(child: Child, url: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let exited = false;
  void child.exited.then(() => (exited = true));
  let last = 'no answer';
  while (Date.now() < deadline) {
    if (exited) throw failure(child, 'exited before it was ready');
    try {
      const res = await fetch(url);
      last = `${res.status} ${await res.text()}`;
      if (res.ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  throw failure(child, `${url} not ready within ${timeoutMs} ms (last answer: ${last})`);
}

async function exitsZero(child: Child): Promise<void> {
  const code = await child.exited;
  if (code !== 0) throw failure(child, `exited with ${String(code)}`);
}

export async function startStack(): Promise<Stack> {
  const timings: Record<string, number> = {};
  const timed = async <T>(name: string, work: () => Promise<T>): Promise<T> => {
    const t0 = performance.now();
    try {
      return await work();
    } finally {
      timings[name] = Math.round(performance.now() - t0) / 1000;
    }
  };
  const children: Child[] = [];
  const dataDir = mkdtempSync(join(tmpdir(), 'cairn-browser-'));
  dataDirs.add(dataDir);
  const stop = async (): Promise<void> => {
    await Promise.all(children.map((c) => stopChild(c)));
    rmSync(dataDir, { recursive: true, force: true });
    dataDirs.delete(dataDir);
  };

  try {
    const fhirToken = randomBytes(24).toString('base64url');
    const tsx = (entry: string): [string, string[]] => [process.execPath, ['--import', 'tsx', entry]];

    // The app's build, the EHR and the empty database do not depend on each other. Cairn needs
    // the build (it serves it), the database and the EHR's address, not its patients.
    const build = start('build-app', 'npm', ['run', 'build:app'], {});
    children.push(build);
    const ehr = start('fhir', ...tsx('tests/browser/support/serve-fhir.ts'), { CAIRN_TEST_FHIR_TOKEN: fhirToken });
    children.push(ehr);
    const fhirLoaded = timed('FHIR server: demo patients loaded', () => announced<{ ready: string; patients: DemoPatient[] }>(ehr, 'ready', 60_000));
    fhirLoaded.catch(() => undefined); // awaited below; a failure before then must not go unhandled
    const [, fhirBase, template] = await Promise.all([
      timed('app built', () => exitsZero(build)),
      announced<{ listening: string }>(ehr, 'listening', 60_000).then((a) => a.listening),
      timed('empty database (made once, then copied)', emptyDatabaseTemplate),
    ]);
    cpSync(template, dataDir, { recursive: true });

    const port = await freePort();
    const cairnUrl = `http://127.0.0.1:${port}`;
    const appLaunch = `${cairnUrl}/app/launch.html`;
    const cairn = start('cairn', ...tsx('src/cli/serve.ts'), {
      PORT: String(port),
      HOST: '127.0.0.1',
      CAIRN_PUBLIC_URL: cairnUrl,
      CAIRN_DATA_DIR: dataDir,
      CAIRN_REQUIRE_AUTH: 'false',
      CAIRN_SMART_APP_URL: appLaunch,
      CAIRN_SMART_FHIR_SERVERS: fhirBase,
      CAIRN_SCREENING_FHIR_URL: fhirBase,
      CAIRN_SCREENING_FHIR_TOKEN: fhirToken,
      // The screens are under test here, not the hook's deadline (the integration and e2e suites
      // test that): on a machine busy with other work, the EHR's reads for the first hook once
      // outlasted the 1.5 s default and the first screen got a 412 instead of cards.
      CAIRN_HOOK_DEADLINE_MS: '10000',
      LOG_LEVEL: 'warn',
    });
    children.push(cairn);
    const [fhir] = await Promise.all([fhirLoaded, timed('Cairn ready (/readyz)', () => ready(cairn, `${cairnUrl}/readyz`, 180_000))]);

    return { fhirBase, cairn: cairnUrl, appLaunch, fhirToken, patients: fhir.patients, timings, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}
