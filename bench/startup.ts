/**
 * Start-up benchmark: `npm start` in this checkout on an empty data directory, timed from the
 * command to /healthz 200 and to /readyz 200, with every readiness step on the way; then a restart
 * on the same directory (the corpus and trials already in). Run it on a fresh clone to measure a
 * first start as a new user sees it (`--fresh-build` also removes dist/ first).
 *
 *   npx tsx bench/startup.ts [--fresh-build] [--vectors none] [--port 3900]
 *
 * `--vectors none` sets CAIRN_VECTORS_DIR=none: everything is embedded, as before vectors shipped.
 * Times are wall clock on whatever else the machine is doing: the load average is printed.
 */
import { spawn } from 'node:child_process';
import { openSync, rmSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';

const { values } = parseArgs({
  options: { 'fresh-build': { type: 'boolean', default: false }, vectors: { type: 'string' }, port: { type: 'string', default: '3900' } },
});
const root = process.cwd();
const port = Number(values.port);
const load = () => loadavg().map((l) => l.toFixed(2)).join(', ');

interface Run {
  healthzS: number | undefined;
  readyzS: number | undefined;
  steps: Array<{ s: number; body: string }>;
}

async function run(dataDir: string, log: string): Promise<Run> {
  const out = openSync(log, 'w');
  const started = performance.now();
  const child = spawn('npm', ['start'], {
    cwd: root,
    detached: true, // its own process group: npm, sh and node are stopped together
    stdio: ['ignore', out, out],
    env: { ...process.env, PORT: String(port), HOST: '127.0.0.1', CAIRN_DATA_DIR: dataDir, ...(values.vectors && { CAIRN_VECTORS_DIR: values.vectors }) },
  });
  let exited = false;
  child.once('exit', () => (exited = true));
  const seconds = () => (performance.now() - started) / 1000;
  const result: Run = { healthzS: undefined, readyzS: undefined, steps: [] };
  let last = '';
  try {
    while (!exited && seconds() < 900) {
      try {
        if (result.healthzS === undefined && (await fetch(`http://127.0.0.1:${port}/healthz`)).status === 200) result.healthzS = seconds();
        const res = await fetch(`http://127.0.0.1:${port}/readyz`);
        const body = await res.text();
        // One line per step or state, not per progress count.
        const key = body.replace(/: \d+( of \d+)?/, '');
        if (key !== last) result.steps.push({ s: seconds(), body });
        last = key;
        if (res.status === 200) {
          result.readyzS = seconds();
          break;
        }
      } catch {
        // not listening yet
      }
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  } finally {
    if (child.pid !== undefined && !exited) process.kill(-child.pid, 'SIGTERM');
    await new Promise((resolve) => (exited ? resolve(undefined) : child.once('exit', resolve)));
  }
  return result;
}

function report(name: string, r: Run, loadBefore: string): void {
  console.log(`\n${name} (load average before: ${loadBefore}; after: ${load()})`);
  for (const step of r.steps) console.log(`  ${step.s.toFixed(1).padStart(6)} s  ${step.body}`);
  console.log(`  /healthz 200 at ${r.healthzS?.toFixed(1) ?? '–'} s, /readyz 200 at ${r.readyzS?.toFixed(1) ?? 'never'} s`);
}

const dataDir = await mkdtemp(join(tmpdir(), 'cairn-bench-startup-'));
try {
  if (values['fresh-build']) rmSync(join(root, 'dist'), { recursive: true, force: true });
  let before = load();
  report(`first start, empty data directory${values['fresh-build'] ? ', dist/ removed' : ''}${values.vectors ? `, CAIRN_VECTORS_DIR=${values.vectors}` : ''}`, await run(join(dataDir, 'db'), join(dataDir, 'first.log')), before);
  before = load();
  report('restart on the same data directory', await run(join(dataDir, 'db'), join(dataDir, 'restart.log')), before);
  console.log(`\nlogs: ${dataDir}/first.log, ${dataDir}/restart.log`);
} finally {
  rmSync(join(dataDir, 'db'), { recursive: true, force: true });
}
