/**
 * The sources of every threshold used by the triage logic, in one place so a reviewer can check
 * them against the documents. `corpusId` is the id of the document in `guidelines/` when the
 * source (or a summary of it) is in Cairn's knowledge corpus.
 */
import type { Citation } from './types.js';

const ESI_HANDBOOK =
  'Gilboy N, Tanabe P, Travers DA, Rosenau AM, Eitel DR. Emergency Severity Index, Version 4: Implementation Handbook. AHRQ Publication No. 05-0046-2';

export const CITATIONS = {
  news2Chart1: {
    source: 'Royal College of Physicians. National Early Warning Score (NEWS) 2. London: RCP',
    section: 'Chart 1: the NEWS2 scoring system',
    year: 2017,
    corpusId: 'summary-rcp-news2-2017',
  },
  news2Scale2: {
    source: 'Royal College of Physicians. National Early Warning Score (NEWS) 2. London: RCP',
    section: 'Chart 1, SpO2 Scale 2: only for confirmed hypercapnic respiratory failure with a prescribed target of 88-92 %',
    year: 2017,
    corpusId: 'summary-rcp-news2-2017',
  },
  news2Bands: {
    source: 'Royal College of Physicians. National Early Warning Score (NEWS) 2. London: RCP',
    section: 'Chart 2: NEWS2 thresholds and triggers (clinical risk bands)',
    year: 2017,
    corpusId: 'summary-rcp-news2-2017',
  },
  news2Scope: {
    source: 'Royal College of Physicians. National Early Warning Score (NEWS) 2. London: RCP',
    section: 'Scope: adults aged 16 and over; not validated in pregnancy or in children',
    year: 2017,
    corpusId: 'summary-rcp-news2-2017',
  },
  qsofa: {
    source: 'Singer M, Deutschman CS, Seymour CW, et al. The Third International Consensus Definitions for Sepsis and Septic Shock (Sepsis-3). JAMA 2016;315(8):801-810',
    section: 'qSOFA: respiratory rate >= 22/min, altered mentation (GCS < 15), systolic BP <= 100 mm Hg; positive at >= 2',
    year: 2016,
    corpusId: 'summary-sepsis-3-and-ssc-2021',
  },
  shockIndex: {
    source: 'Allgöwer M, Burri C. "Schockindex". Dtsch Med Wochenschr 1967;92:1947-1950; Mutschler M et al. Crit Care 2013;17:R172',
    section: 'Shock index = heart rate / systolic BP; 0.5-0.7 normal, >= 1.0 impending shock (Allgöwer); SI >= 1.0 marks shock class III with a rising need for transfusion (Mutschler)',
    year: 1967,
  },
  esiAlgorithm: {
    source: ESI_HANDBOOK,
    section: 'Chapter 3: Introduction to the ESI (decision points A-D)',
    year: 2005,
    corpusId: 'ahrq-esi-v4-ch3-algorithm',
  },
  esiLevel1: {
    source: ESI_HANDBOOK,
    section: 'Chapter 3, decision point A: "already intubated, apneic, pulseless, severe respiratory distress, SpO2 < 90 percent, acute mental status changes, or unresponsive"',
    year: 2005,
    corpusId: 'ahrq-esi-v4-ch3-algorithm',
  },
  esiLevel1Avpu: {
    source: ESI_HANDBOOK,
    section: 'Chapter 3, decision point A, Table 3-2 (AVPU): "the critical concern is the formerly alert patient who is now labeled a P (pain) or U (unresponsive)"',
    year: 2005,
    corpusId: 'ahrq-esi-v4-ch3-algorithm',
  },
  esiLevel1Examples: {
    source: ESI_HANDBOOK,
    section: 'Chapter 3, ESI level-1 examples: "Overdose with a respiratory rate of 6", "Chest pain, pale, diaphoretic, blood pressure 70/palp", "Severe bradycardia or tachycardia with signs of hypoperfusion", "Hypotension with signs of hypoperfusion"',
    year: 2005,
    corpusId: 'ahrq-esi-v4-ch3-algorithm',
  },
  esiExtremeHeartRate: {
    source: ESI_HANDBOOK,
    section: 'Chapter 6: "an awake, alert elderly patient who complains of dizziness might be found to have a life-threatening condition when a heart rate of 32 or 180 is discovered" (Chapter 3: "a weak and dizzy patient with a heart rate of 30 or 200")',
    year: 2005,
    corpusId: 'ahrq-esi-v4-ch6-vital-signs',
  },
  esiLevel2: {
    source: ESI_HANDBOOK,
    section: 'Chapter 4: ESI level 2 (high-risk situation; new confusion, lethargy or disorientation; severe pain or distress)',
    year: 2005,
    corpusId: 'ahrq-esi-v4-ch4-level-2',
  },
  esiNewConfusion: {
    source: ESI_HANDBOOK,
    section: 'Chapter 4, Confusion/Lethargy/Disorientation: "If the patient\'s history is unknown and the patient presents to triage confused, lethargic or disoriented, the triage nurse should assume this condition is new and select ESI level 2"',
    year: 2005,
    corpusId: 'ahrq-esi-v4-ch4-level-2',
  },
  esiSeverePain: {
    source: ESI_HANDBOOK,
    section: 'Chapter 4, Severe Pain/Distress: "All patients who have a pain rating of 7/10 or greater should be considered for meeting ESI level-2 criteria"; tachycardia with severe pain "can represent shock"',
    year: 2005,
    corpusId: 'ahrq-esi-v4-ch4-level-2',
  },
  esiFebrileInfant: {
    source: ESI_HANDBOOK,
    section: 'Chapter 4, Pediatrics: "Infant less than 28 days of age with a fever of 100.4 F or 38 C, or greater"; Chapter 6: for 28 days to 3 months "consider assigning at least an ESI level 2"',
    year: 2005,
    corpusId: 'ahrq-esi-v4-ch4-level-2',
  },
  esiFebrileChild: {
    source: ESI_HANDBOOK,
    section: 'Chapter 6, Vital Signs and Pediatric Fever: 3-36 months with fever > 39.0 C and incomplete immunisations or no identifiable source: "at least ESI level 3"',
    year: 2005,
    corpusId: 'ahrq-esi-v4-ch6-vital-signs',
  },
  esiResources: {
    source: ESI_HANDBOOK,
    section: 'Chapter 3, decision point C and Chapter 5: level 3 = two or more resources, level 4 = one, level 5 = none',
    year: 2005,
    corpusId: 'ahrq-esi-v4-ch5-resources',
  },
  esiDangerZone: {
    source: ESI_HANDBOOK,
    section: 'Chapter 6, Figure 6-1 (decision point D, danger zone vital signs): HR/RR by age <3 m >180/>50, 3 m-3 y >160/>40, 3-8 y >140/>30, >8 y >100/>20; SpO2 < 92 %; "strongly consider up-triaging"',
    year: 2005,
    corpusId: 'ahrq-esi-v4-ch6-vital-signs',
  },
  hypotensionAdult: {
    source: 'Dellinger RP et al. Surviving Sepsis Campaign: International Guidelines for Management of Severe Sepsis and Septic Shock 2012. Crit Care Med 2013;41:580-637',
    section: 'Sepsis-induced hypotension: systolic BP < 90 mm Hg',
    year: 2012,
  },
  palsHypotension: {
    source: 'Topjian AA et al. Part 4: Pediatric Basic and Advanced Life Support, 2020 AHA Guidelines for CPR and ECC. Circulation 2020;142(suppl 2):S469-S523; AHA PALS Provider Manual 2020',
    section: 'Hypotension by age: systolic BP < 60 (term neonate 0-28 days), < 70 (1-12 months), < 70 + 2 x age in years (1-10 years), < 90 (> 10 years); pediatric bradycardia < 60/min with poor perfusion',
    year: 2020,
  },
  aclsRates: {
    source: 'Panchal AR et al. Part 3: Adult Basic and Advanced Life Support, 2020 AHA Guidelines for CPR and ECC. Circulation 2020;142(suppl 2):S366-S468',
    section: 'Adult bradycardia algorithm (HR typically < 50/min) and tachycardia algorithm (HR typically >= 150/min), each with signs of poor perfusion',
    year: 2020,
  },
  atlsAirway: {
    source: 'American College of Surgeons. Advanced Trauma Life Support (ATLS), 10th edition',
    section: 'Airway and ventilatory management: a GCS of 8 or less requires a definitive airway',
    year: 2018,
  },
} as const satisfies Record<string, Citation>;
