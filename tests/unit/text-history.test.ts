/**
 * Past history or the present (src/text/history.ts): for a mention a note affirms, whether it is
 * something the patient had. A bare "history of" and a diagnosis date are not past; a word that
 * ends the episode or a past time attached to a history or an event is.
 */
import { describe, expect, it } from '@jest/globals';
import { isPastMention } from '../../src/text/history.js';

const at = (sentence: string, mention: string): [number, number] => {
  const start = sentence.toLowerCase().indexOf(mention.toLowerCase());
  if (start < 0) throw new Error(`"${mention}" not in "${sentence}"`);
  return [start, start + mention.length];
};

describe('isPastMention', () => {
  it.each([
    ['History of MI in 2010, now presents with chest pain.', 'MI', true],
    ['She had a stroke 3 years ago.', 'stroke', true],
    ['Prior myocardial infarction treated with a stent.', 'myocardial infarction', true],
    ['He is s/p CABG and on aspirin.', 'CABG', true],
    ['Remote history of tuberculosis.', 'tuberculosis', true],
    ['Asthma as a child, none since.', 'Asthma', true],
    ['Treated for breast cancer in 2015.', 'breast cancer', true],
    ['Underwent appendectomy at age 12.', 'appendectomy', true],
    // Present: a history list, an onset date, a current statement.
    ['History of diabetes on metformin.', 'diabetes', false],
    ['Past medical history significant for hypertension and hyperlipidemia.', 'hypertension', false],
    ['Type 2 diabetes diagnosed in 2015, on insulin.', 'diabetes', false],
    ['Hypertension since 2012.', 'Hypertension', false],
    ['She has breast cancer and is receiving chemotherapy.', 'breast cancer', false],
    ['Presents with pneumonia.', 'pneumonia', false],
    // A date in another clause does not make this mention past.
    ['Cholecystectomy in 2008; now has acute pancreatitis.', 'pancreatitis', false],
    // A year after the reference year is not the past.
    ['History of MI in 2031.', 'MI', false],
    // The "old" of an age is not an old (remote) condition; an old infarct still is.
    ['41-year-old man with HIV infection, on bictegravir.', 'HIV infection', false],
    ['A 58 year old woman with type 2 diabetes presents with fever.', 'type 2 diabetes', false],
    ['A 3-month-old infant with bronchiolitis.', 'bronchiolitis', false],
    ['ECG shows an old inferior infarct.', 'infarct', true],
    ['He quit smoking in 2010.', 'smoking', true],
    ['Ex-smoker, 20 pack-years.', 'smoker', true],
    ['Quite severe asthma since childhood.', 'asthma', false],
    // A past time in words; an end said after the mention.
    ['She had a stroke last year.', 'stroke', true],
    ['He had pneumonia a few years ago.', 'pneumonia', true],
    // Up to 14 days back is the current episode (ConText's threshold); three weeks is history.
    ['She was hospitalized for stroke two weeks ago.', 'stroke', false],
    ['She was hospitalized for stroke 2 weeks ago.', 'stroke', false],
    ['She had pneumonia 3 weeks ago.', 'pneumonia', true],
    ['She had pneumonia a few weeks ago.', 'pneumonia', true],
    ['Hepatitis C treated and cured in 2018.', 'Hepatitis C', true],
    ['Hodgkin lymphoma, in complete remission.', 'Hodgkin lymphoma', true],
    ['H. pylori infection, eradicated with triple therapy.', 'H. pylori infection', true],
    ['Breast cancer, currently in remission on tamoxifen.', 'Breast cancer', true],
    // Treated is not over; a remission said of another item of a list is that item's.
    ['Hepatitis C, treated with sofosbuvir since March.', 'Hepatitis C', false],
    ['Hypertension, lymphoma in remission.', 'Hypertension', false],
  ])('%s — "%s" past: %s', (sentence, mention, past) => {
    const [start, end] = at(sentence, mention);
    expect(isPastMention(sentence, start, end, 2026)).toBe(past);
  });
});
