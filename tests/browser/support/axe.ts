/** The accessibility scan: axe-core's WCAG 2.1 A and AA rules, failing on serious or critical violations only. */
import AxeBuilder from '@axe-core/playwright';
import { expect, type Page } from '@playwright/test';

const WCAG_21_AA = ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'];

/**
 * @axe-core/playwright types its page with the top-level playwright-core (a peer dependency, 1.65.2
 * in the lock file) while @playwright/test brings its own 1.65.1: the same object at run time,
 * two declarations of it for the compiler.
 */
type AxePage = ConstructorParameters<typeof AxeBuilder>[0]['page'];

export async function expectNoSeriousViolations(page: Page, include?: string): Promise<void> {
  let builder = new AxeBuilder({ page: page as unknown as AxePage }).withTags(WCAG_21_AA);
  if (include) builder = builder.include(include);
  const { violations } = await builder.analyze();
  const serious = violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map((v) => `${v.impact} ${v.id}: ${v.help} (${v.nodes.map((n) => n.target.join(' ')).join(', ')})`);
  expect(serious, 'serious or critical accessibility violations').toEqual([]);
}
