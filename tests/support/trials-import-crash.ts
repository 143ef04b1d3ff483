import { fromCorpusRecord, type TrialRecord } from '../../src/services/trials/matching/trial-record.js';
import { corpusRecord } from '../integration/trials-fixtures.js';

/** The trials the killed import writes: enough batches that the kill falls in the middle. */
export function crashTestTrials(): TrialRecord[] {
  return Array.from({ length: 12 }, (_, i) =>
    fromCorpusRecord(
      corpusRecord(
        `NCT000001${String(i).padStart(2, '0')}`,
        `Crash Test Trial ${i}`,
        ['Asthma'],
        Array.from({ length: 6 }, (_, j) => `- Inclusion ${i}.${j}: asthma for ${j + 1} years`).join('\n'),
        '- Pregnant or breastfeeding\n- Active smoker',
      ),
    ),
  );
}
