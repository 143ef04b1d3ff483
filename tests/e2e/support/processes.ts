import { spawn, type ChildProcess } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { REPO_ROOT } from '../../support/repo-root.js';

/** A port nothing listens on right now (the OS picks it). */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** Serves a JWKS on loopback, as an EHR publishes its keys. */
export async function serveJwks(jwks: unknown): Promise<{ url: string; hits: () => number; close(): Promise<void> }> {
  let hits = 0;
  const server: Server = createServer((req, res) => {
    hits++;
    if (req.url === '/.well-known/jwks.json') {
      res.setHeader('Content-Type', 'application/json');
      res.end(JSON.stringify(jwks));
    } else {
      res.statusCode = 404;
      res.end();
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/.well-known/jwks.json`,
    hits: () => hits,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

export interface SpawnedServer {
  url: string;
  process: ChildProcess;
  output: () => string;
  stop(): Promise<number | null>;
}

/**
 * Runs a TypeScript entry point (or a compiled .js one) as its own Node process and waits for its
 * `{"ready": url}` line. The process runs in the repository root, so the entry and any relative
 * path in `env` are taken from there whatever the test runner's working directory. `nodeArgs` go
 * to Node before the entry (for example --cpu-prof).
 */
// 50 s, inside the suites' 60 s beforeAll: creating an empty PGlite database alone takes 7 to 17 s on
// a busy 2-vCPU machine, and one clean-clone CI run (another Cairn starting beside it) saw the
// first e2e server not ready after 30 s. Start-up speed is measured by bench:startup, not here.
export async function spawnServer(entry: string, env: Record<string, string>, timeoutMs = 50_000, nodeArgs: readonly string[] = []): Promise<SpawnedServer> {
  // A compiled entry (.js) runs on plain Node; TypeScript goes through tsx.
  const child = spawn(process.execPath, [...nodeArgs, ...(entry.endsWith('.js') ? [] : ['--import', 'tsx']), entry], {
    cwd: REPO_ROOT,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stderr?.on('data', (d: Buffer) => (output += d.toString()));
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => {
      // Not left running: a server that missed its start outlived a CI run once, busy for 45 minutes.
      child.kill('SIGKILL');
      reject(new Error(`server did not start in ${timeoutMs} ms:\n${output}`));
    }, timeoutMs);
    child.stdout?.on('data', (d: Buffer) => {
      output += d.toString();
      const match = /\{"ready":"([^"]+)"\}/.exec(output);
      if (match?.[1]) {
        clearTimeout(timer);
        resolve(match[1]);
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`server exited with ${String(code)} before it was ready:\n${output}`));
    });
  });
  return {
    url,
    process: child,
    output: () => output,
    stop: () =>
      new Promise((resolve) => {
        if (child.exitCode !== null) return resolve(child.exitCode);
        child.once('exit', (code) => resolve(code));
        child.kill('SIGTERM');
      }),
  };
}
