/**
 * The metadata of a guideline document: a markdown file's YAML front matter, or the sidecar
 * `<file>.meta.yaml` of an HTML or PDF file. Validated here, once, so that everything downstream
 * can trust it; a problem is reported with the file and the field.
 */
import { z } from 'zod';
import { DOCUMENT_ID_PATTERN } from './ids.js';
import { CorpusError } from './errors.js';

export const GRADE_SYSTEMS = ['USPSTF', 'ACC/AHA', 'GRADE', 'ADA', 'KDIGO', 'RCP', 'SSC', 'AHRQ'] as const;
export type GradeSystem = (typeof GRADE_SYSTEMS)[number];

export const DOCUMENT_KINDS = ['verbatim', 'summary'] as const;
/** verbatim: the source text as published; summary: written by Cairn in its own words. */
export type DocumentKind = (typeof DOCUMENT_KINDS)[number];

// YAML reads `2021-04-27` and `38341003` as whatever it likes; these are identifiers, keep them text.
const textLike = z.union([z.string().trim().min(1), z.number()]).transform(String);

/**
 * A calendar date written YYYY-MM-DD (YAML's core schema keeps it a string). A date that does not
 * exist (2026-02-30) is refused rather than rolled over into the next month.
 */
const isoDate = z.string().refine((text) => isIsoDate(text), 'must be a date written YYYY-MM-DD (for example 2026-12-06)');

export function isIsoDate(text: string): boolean {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(text)) return false;
  const date = new Date(`${text}T00:00:00Z`);
  return !Number.isNaN(date.getTime()) && date.toISOString().slice(0, 10) === text;
}

/**
 * A newer edition of the same guideline that Cairn knows of but has not brought into the corpus
 * (its text could not be read yet, or the summary is still being rewritten). `acknowledged` is the
 * reason the older edition is still shipped; without it `npm run guidelines:check` fails.
 */
const newerEditionSchema = z
  .object({
    title: z.string().trim().min(1),
    year: z.number().int().min(1900).max(2100),
    url: z.url().optional(),
    acknowledged: z.string().trim().min(1).optional(),
  })
  .strict();

const sectionSchema = z
  .object({
    heading: z.string().min(1),
    grade: textLike.optional(),
    gradeSystem: z.enum(GRADE_SYSTEMS).optional(),
  })
  .strict();

export const metadataSchema = z
  .object({
    id: z.string().regex(DOCUMENT_ID_PATTERN, 'must be kebab-case: a-z, 0-9 and single hyphens'),
    title: z.string().trim().min(1),
    publisher: z.string().trim().min(1),
    year: z.number().int().min(1900).max(2100),
    version: textLike.optional(),
    url: z.url().optional(),
    licence: z.string().trim().min(1),
    kind: z.enum(DOCUMENT_KINDS),
    /** The citation line. */
    source: z.string().trim().min(1).optional(),
    topics: z.array(z.string().trim().min(1)).default([]),
    /** Code system (snomed, icd10, loinc, …) → codes the document is about. */
    codes: z.record(z.string().regex(/^[a-z0-9-]+$/, 'code system names are lower-case'), z.array(textLike)).default({}),
    /** Grades per section, keyed by the section heading exactly as written. */
    sections: z.array(sectionSchema).default([]),
    /** When Cairn's team last checked the document against the source it cites. */
    lastReviewed: isoDate,
    /** When it is due to be checked again; `npm run guidelines:check` fails after this date. */
    nextReview: isoDate,
    newerEdition: newerEditionSchema.optional(),
  })
  .strict()
  .refine((meta) => !isIsoDate(meta.lastReviewed) || !isIsoDate(meta.nextReview) || meta.nextReview > meta.lastReviewed, {
    path: ['nextReview'],
    message: 'must be after lastReviewed',
  });

export type GuidelineMetadata = z.infer<typeof metadataSchema>;
export type NewerEdition = z.infer<typeof newerEditionSchema>;

/** Validates parsed YAML. Throws a CorpusError naming the file and every bad field. */
export function parseMetadata(raw: unknown, file: string, where = 'front matter'): GuidelineMetadata {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    throw new CorpusError(file, `${where} must be a YAML mapping of fields (id, title, …)`);
  }
  const parsed = metadataSchema.safeParse(raw);
  if (parsed.success) return parsed.data;
  const problems = parsed.error.issues.map((issue) => {
    if (issue.code === 'unrecognized_keys') {
      return `unknown field${issue.keys.length > 1 ? 's' : ''} ${issue.keys.map((k) => `'${k}'`).join(', ')}`;
    }
    const field = fieldName(issue.path);
    const missing = valueAt(raw, issue.path) === undefined;
    return `field '${field}' ${missing ? 'is missing' : issue.message}`;
  });
  throw new CorpusError(file, `invalid ${where}: ${problems.join('; ')}`);
}

/** The citation line shown with every quoted passage: the source, or one built from the metadata. */
export function citationOf(meta: GuidelineMetadata): string {
  return meta.source ?? `${meta.publisher}. ${meta.title}. ${meta.year}${meta.version ? ` (version ${meta.version})` : ''}.`;
}

/**
 * The version a document is cited at in card provenance: its stated `version`, else its year of
 * publication. The retriever reads the same from the stored metadata (retriever.ts HIT_COLUMNS).
 */
export function documentVersionOf(meta: Pick<GuidelineMetadata, 'version' | 'year'>): string {
  return meta.version ?? String(meta.year);
}

function fieldName(path: readonly PropertyKey[]): string {
  return path
    .map((p, i) => (typeof p === 'number' ? `[${p}]` : `${i === 0 ? '' : '.'}${String(p)}`))
    .join('');
}

function valueAt(root: unknown, path: readonly PropertyKey[]): unknown {
  let value: unknown = root;
  for (const key of path) {
    if (typeof value !== 'object' || value === null) return undefined;
    value = (value as Record<PropertyKey, unknown>)[key];
  }
  return value;
}
