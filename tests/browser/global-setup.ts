/**
 * Starts the stack once for the whole browser suite and hands its addresses to the tests (in the
 * environment, which the test workers inherit); the function it returns is the global teardown.
 */
import { startStack, STACK_ENV } from './support/stack.js';

export default async function globalSetup(): Promise<() => Promise<void>> {
  const started = performance.now();
  const stack = await startStack();
  const { stop, ...info } = stack;
  process.env[STACK_ENV] = JSON.stringify(info);
  const steps = Object.entries(info.timings)
    .map(([step, s]) => `${step} ${s.toFixed(1)} s`)
    .join('; ');
  console.log(`browser stack ready in ${((performance.now() - started) / 1000).toFixed(1)} s (${steps}): Cairn ${info.cairn}, EHR ${info.fhirBase}`);
  return stop;
}
