/**
 * Turns the headings found in a document's body into sections with heading paths, anchors and
 * grades. Shared by every format: each parser only has to find its headings.
 *
 * Rules:
 *   - The first heading is the document title, and belongs to no path, when it is level 1 and
 *     the only level-1 heading (`# Title` over `##` sections). Otherwise every heading is a section.
 *   - A heading closes every open section at its level or deeper: the path of a `###` under a `##`
 *     is [that ##, this ###].
 *   - Text before the first section heading (other than the title) is the preamble.
 *   - A grade in the metadata (`sections: [{heading, grade, gradeSystem}]`) applies to the section
 *     whose heading is written exactly so, and to its subsections unless they have their own.
 *     A graded heading that the document does not contain is an error: it is a typo.
 */
import { AnchorAllocator } from './ids.js';
import type { GuidelineMetadata } from './metadata.js';
import { CorpusError } from './errors.js';
import type { Heading, Section } from './types.js';

export function buildSections(file: string, documentId: string, body: string, headings: readonly Heading[], meta: GuidelineMetadata): Section[] {
  const grades = new Map<string, { grade?: string; gradeSystem?: string }>();
  const present = new Set(headings.map((h) => h.text.trim()));
  meta.sections.forEach((s, i) => {
    const heading = s.heading.trim();
    if (!present.has(heading)) {
      throw new CorpusError(file, `field 'sections[${i}].heading': "${s.heading}" is not a heading of the document`);
    }
    grades.set(heading, { ...(s.grade !== undefined && { grade: s.grade }), ...(s.gradeSystem !== undefined && { gradeSystem: s.gradeSystem }) });
  });

  const first = headings[0];
  const isTitle = first !== undefined && first.level === 1 && headings.filter((h) => h.level === 1).length === 1;
  const sectionHeadings = isTitle ? headings.slice(1) : headings;

  const anchors = new AnchorAllocator(documentId);
  const sections: Section[] = [];
  // Preamble: what precedes the first section heading, with the title line cut out.
  const preambleEnd = sectionHeadings[0]?.start ?? body.length;
  if (isTitle && first) {
    // Only text above the title (rare) takes the first preamble anchor; blank space does not.
    if (body.slice(0, first.start).trim()) sections.push({ anchor: anchors.next([]), headingPath: [], start: 0, end: first.start });
    sections.push({ anchor: anchors.next([]), headingPath: [], start: first.end, end: Math.max(first.end, preambleEnd) });
  } else {
    sections.push({ anchor: anchors.next([]), headingPath: [], start: 0, end: preambleEnd });
  }

  const stack: Heading[] = [];
  sectionHeadings.forEach((heading, i) => {
    while (stack.length > 0 && (stack[stack.length - 1] as Heading).level >= heading.level) stack.pop();
    stack.push(heading);
    const headingPath = stack.map((h) => h.text.trim());
    let graded: { grade?: string; gradeSystem?: string } | undefined;
    for (let j = headingPath.length - 1; j >= 0 && !graded; j--) graded = grades.get(headingPath[j] as string);
    const next = sectionHeadings[i + 1];
    sections.push({
      anchor: anchors.next(headingPath),
      headingPath,
      start: heading.end,
      end: next ? next.start : body.length,
      ...graded,
    });
  });
  return sections;
}
