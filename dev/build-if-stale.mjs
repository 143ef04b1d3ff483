/**
 * `npm start` runs this first (prestart). When something the build reads is newer than the last
 * build, it transpiles src/ into dist/ with esbuild, file by file: about a second, where a tsc
 * build took 12 s on an idle 2-core machine and over a minute on a busy one (75 s on a fresh
 * clone), most of it type-checking. A start does not type-check: `npm run typecheck` and `npm test`
 * do (tsc), and `npm run build` stays a full tsc build (the Docker image uses it). Transpiling file
 * by file gives what tsc emits because tsconfig.json has `isolatedModules` and
 * `verbatimModuleSyntax`: no file's output depends on another's types.
 *
 * Staleness is judged by modification times, which errs towards building: a checkout or an edit
 * makes a file newer than the stamp. A build starts from an empty dist/, so a deleted source
 * leaves nothing behind. Without esbuild (an install without dev dependencies) it falls back to tsc.
 */
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const dist = path.join(root, 'dist');
const stamp = path.join(dist, '.build-stamp');
const inputs = ['src', 'tsconfig.json', 'tsconfig.build.json', 'package-lock.json'].map((f) => path.join(root, f));

/** The newest modification time under a path (a folder's own time counts: it changes when a file is added or removed). */
function newest(p) {
  const s = statSync(p);
  if (!s.isDirectory()) return s.mtimeMs;
  let latest = s.mtimeMs;
  for (const entry of readdirSync(p)) latest = Math.max(latest, newest(path.join(p, entry)));
  return latest;
}

/** Every file under a folder whose name passes `wanted`. */
function filesUnder(dir, wanted) {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) return filesUnder(p, wanted);
    return wanted(e.name) ? [p] : [];
  });
}

/** Every TypeScript source under a folder. */
const sources = (dir) => filesUnder(dir, (name) => name.endsWith('.ts') && !name.endsWith('.d.ts'));

const builtAt = existsSync(stamp) ? statSync(stamp).mtimeMs : 0;
if (builtAt > 0 && inputs.every((p) => newest(p) < builtAt)) {
  process.stdout.write('dist/ is up to date with src/: not compiling\n');
  process.exit(0);
}

process.stdout.write(builtAt > 0 ? 'src/ changed since the last build: transpiling src/ into dist/\n' : 'transpiling src/ into dist/ (first start)\n');
const started = Date.now();
let esbuild;
try {
  esbuild = await import('esbuild');
} catch {
  esbuild = undefined;
}
rmSync(dist, { recursive: true, force: true });
if (esbuild) {
  await esbuild.build({
    entryPoints: sources(path.join(root, 'src')),
    outdir: dist,
    outbase: path.join(root, 'src'),
    bundle: false,
    format: 'esm',
    platform: 'node',
    // The engines floor of package.json: esbuild keeps the `with { type: 'json' }` import attribute
    // only for a Node that supports it (20.10 and later); for plain node20 it drops it, and Node
    // then refuses to load the JSON ("needs an import attribute of type json").
    target: 'node20.19',
    sourcemap: true,
    tsconfig: path.join(root, 'tsconfig.build.json'),
    logLevel: 'warning',
  });
  // Data the code imports as JSON (the triage tables: `import … with { type: 'json' }`) is not
  // TypeScript, so esbuild file by file leaves it out; tsc (resolveJsonModule) copies it. Without
  // it, dist/ fails to load on the first import of such a module.
  const srcRoot = path.join(root, 'src');
  for (const file of filesUnder(srcRoot, (name) => name.endsWith('.json'))) {
    const target = path.join(dist, path.relative(srcRoot, file));
    mkdirSync(path.dirname(target), { recursive: true });
    copyFileSync(file, target);
  }
} else {
  process.stdout.write('esbuild is not installed: compiling with tsc\n');
  const tsc = path.join(root, 'node_modules', 'typescript', 'bin', 'tsc');
  const result = spawnSync(process.execPath, [tsc, '-p', 'tsconfig.build.json'], { cwd: root, stdio: 'inherit' });
  if (result.status !== 0) process.exit(result.status ?? 1);
}
writeFileSync(stamp, `${new Date().toISOString()}\n`);
process.stdout.write(`built dist/ in ${((Date.now() - started) / 1000).toFixed(1)} s\n`);
