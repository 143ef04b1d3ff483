/**
 * Where a worker thread's module is, for a module that starts one: `<name>.js` beside it in dist/
 * (`npm start`, the Docker image), `<name>.ts` when running from source.
 *
 * A thread loads its module with Node's own loader: tsx passes its loader to threads through
 * execArgv (the tsx CLI and `node --import tsx` both put it there), but jest transforms TypeScript
 * inside its own module system, which a thread does not inherit, so a thread started from a .ts
 * module without tsx in execArgv is given it.
 */
import { fileURLToPath } from 'node:url';

export function threadModule(callerUrl: string, name: string): { filename: string; execArgv?: string[] } {
  const fromSource = callerUrl.endsWith('.ts');
  const filename = fileURLToPath(new URL(`./${name}.${fromSource ? 'ts' : 'js'}`, callerUrl));
  if (!fromSource || process.execArgv.some((a) => /(^|[=\\/])tsx([\\/]|$)/.test(a))) return { filename };
  return { filename, execArgv: [...process.execArgv, '--import', 'tsx'] };
}
