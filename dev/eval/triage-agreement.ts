/**
 * Agreement of assigned triage levels with a gold standard (levels 1-5, 1 most urgent): the
 * figures the triage evaluation prints. Pure, so the same code scores Cairn and the nurse.
 */
export interface TriageAgreement {
  n: number;
  exact: number;
  withinOne: number;
  /** Cohen's kappa with quadratic weights over levels 1-5. */
  quadraticKappa: number;
  /** Share assigned a less urgent (higher) level than gold: the dangerous error. */
  underTriage: number;
  /** Share assigned a more urgent (lower) level than gold. */
  overTriage: number;
}

const LEVELS = [1, 2, 3, 4, 5] as const;

export function triageAgreement(pairs: ReadonlyArray<{ assigned: number; gold: number }>): TriageAgreement {
  const n = pairs.length;
  if (n === 0) return { n, exact: NaN, withinOne: NaN, quadraticKappa: NaN, underTriage: NaN, overTriage: NaN };
  let exact = 0;
  let withinOne = 0;
  let under = 0;
  let over = 0;
  for (const { assigned, gold } of pairs) {
    if (assigned === gold) exact++;
    if (Math.abs(assigned - gold) <= 1) withinOne++;
    if (assigned > gold) under++;
    if (assigned < gold) over++;
  }
  return { n, exact: exact / n, withinOne: withinOne / n, quadraticKappa: quadraticKappa(pairs), underTriage: under / n, overTriage: over / n };
}

function quadraticKappa(pairs: ReadonlyArray<{ assigned: number; gold: number }>): number {
  const k = LEVELS.length;
  const observed = LEVELS.map(() => LEVELS.map(() => 0));
  for (const { assigned, gold } of pairs) observed[gold - 1]![assigned - 1]! += 1;
  const n = pairs.length;
  const goldTotals = observed.map((row) => row.reduce((a, b) => a + b, 0));
  const assignedTotals = LEVELS.map((_, j) => observed.reduce((a, row) => a + row[j]!, 0));
  let num = 0;
  let den = 0;
  for (let i = 0; i < k; i++) {
    for (let j = 0; j < k; j++) {
      const w = ((i - j) * (i - j)) / ((k - 1) * (k - 1));
      num += w * observed[i]![j]!;
      den += (w * goldTotals[i]! * assignedTotals[j]!) / n;
    }
  }
  return den === 0 ? 1 : 1 - num / den;
}

/** Counts by gold level (rows, 1-5) and assigned level (columns, 1-5). */
export function confusionMatrix(pairs: ReadonlyArray<{ assigned: number; gold: number }>): number[][] {
  const m = LEVELS.map(() => LEVELS.map(() => 0));
  for (const { assigned, gold } of pairs) m[gold - 1]![assigned - 1]! += 1;
  return m;
}

/** The matrix as a Markdown table: gold levels down, assigned levels across. */
export function confusionTable(pairs: ReadonlyArray<{ assigned: number; gold: number }>, goldName = 'gold'): string {
  const m = confusionMatrix(pairs);
  const lines = [`| ${goldName} ↓ / assigned → | 1 | 2 | 3 | 4 | 5 |`, '|---|---|---|---|---|---|'];
  m.forEach((row, i) => lines.push(`| ${i + 1} | ${row.join(' | ')} |`));
  return lines.join('\n');
}
