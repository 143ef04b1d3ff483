/**
 * `npm run demo -- --check` as a new user runs it: the dev FHIR server with the demo patients and
 * Cairn on an empty embedded database, every service fired for every patient, every example
 * request of cds-hooks/examples/ sent. It must exit 0 with a card from every service, the expected
 * cards for every hand-made patient and every example answering as its README says, and leave
 * nothing behind. About 25 s on a busy 2-vCPU machine.
 */
import { describe, expect, it } from '@jest/globals';
import { spawn } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { parseExpectations } from '../../dev/demo/expected-cards.js';
import { REPO_ROOT, repoPath } from '../support/repo-root.js';

const demoDirs = (): string[] => readdirSync(tmpdir()).filter((d) => d.startsWith('cairn-demo-'));

function runCheck(timeoutMs: number): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'dev/cli/demo.ts', '--check'], {
      cwd: REPO_ROOT,
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', TMPDIR: tmpdir() },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`demo --check did not finish in ${timeoutMs} ms:\n${stdout}\n${stderr}`));
    }, timeoutMs);
    child.once('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

describe('npm run demo -- --check', () => {
  it('exits 0 with cards from every service, the expected cards, every example as its README says, and nothing left behind', async () => {
    const before = demoDirs();
    const { code, stdout, stderr } = await runCheck(150_000);
    const last = stdout.trim().split('\n').at(-1) ?? '';
    const summary = JSON.parse(last) as {
      check: string;
      cards: Record<string, number>;
      patients: number;
      unexpected: string[];
      errors: string[];
      examples: { passed: number; failed: string[] };
      ok: boolean;
    };
    expect({ unexpected: summary.unexpected, errors: summary.errors, examplesFailed: summary.examples.failed, stderr }).toEqual({
      unexpected: [],
      errors: [],
      examplesFailed: [],
      stderr: '',
    });
    for (const service of ['triage', 'triage-encounter', 'diagnosis', 'trial-match']) expect(summary.cards[service]).toBeGreaterThan(0);
    const examples = readdirSync(repoPath('cds-hooks/examples')).filter((f) => f.endsWith('.json'));
    expect(summary.examples.passed).toBe(examples.length);
    expect(summary.ok).toBe(true);
    expect(code).toBe(0);
    // Its temporary database went with it (the servers ran in the process, which has exited).
    expect(demoDirs().filter((d) => !before.includes(d))).toEqual([]);
  }, 180_000);

  it('judges every hand-made patient, and each README describes every patient and example request', () => {
    const edgeCases = readdirSync(repoPath('fhir-profiles/examples/edge-cases')).filter((f) => f.endsWith('.json'));
    const expectations = parseExpectations(readFileSync(repoPath('fhir-profiles/examples/expected-cards.yaml'), 'utf8'));
    expect([...expectations.keys()].sort()).toEqual(edgeCases.map((f) => `edge-cases/${f}`).sort());
    const patientsReadme = readFileSync(repoPath('fhir-profiles/examples/README.md'), 'utf8');
    for (const file of edgeCases) expect(patientsReadme).toContain(`| \`${file}\` |`);
    const examplesReadme = readFileSync(repoPath('cds-hooks/examples/README.md'), 'utf8');
    for (const file of readdirSync(repoPath('cds-hooks/examples')).filter((f) => f.endsWith('.json'))) {
      expect(examplesReadme).toContain(`| \`${file}\` |`);
    }
  });
});
