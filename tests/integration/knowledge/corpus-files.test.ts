/** Reading guideline files from disk: discovery, formats with sidecars, and errors that name the file. */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { collectFiles, CorpusErrors, parseCorpus, parseFiles, parseGuidelineFile } from '../../../src/knowledge/corpus/files.js';
import { makePdf } from '../../support/knowledge-pdf.js';
import { repoPath } from '../../support/repo-root.js';

const META = 'publisher: Example Hospital\nyear: 2024\nlicence: "licensed to Example Hospital; internal use"\nkind: verbatim\nlastReviewed: "2026-12-06"\nnextReview: "2027-12-06"\n';
const MD = (id: string) => `---\nid: ${id}\ntitle: T\n${META}---\n## S\n\nText of ${id}.\n`;

describe('guideline files', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'cairn-files-'));
    await mkdir(path.join(dir, 'sub'));
    await mkdir(path.join(dir, '_drafts'));
    await writeFile(path.join(dir, 'a.md'), MD('doc-a'));
    await writeFile(path.join(dir, 'sub', 'b.markdown'), MD('doc-b'));
    await writeFile(path.join(dir, 'README.md'), '# About this corpus\n');
    await writeFile(path.join(dir, '_drafts', 'c.md'), 'not ready');
    await writeFile(path.join(dir, '.hidden.md'), 'x');
    await writeFile(path.join(dir, 'notes.txt'), 'x');
    await writeFile(
      path.join(dir, 'sepsis.html'),
      '<html><head><title>Sepsis protocol</title></head><body><h1>Sepsis protocol</h1><h2>Recognition</h2><p>Think sepsis when NEWS2 is 5 or more.</p><h2>Treatment</h2><p>Give antimicrobials within one hour.</p></body></html>',
    );
    await writeFile(path.join(dir, 'sepsis.html.meta.yaml'), `id: hospital-sepsis\n${META}sections:\n  - heading: Treatment\n    grade: "1"\n    gradeSystem: GRADE\n`);
    await writeFile(path.join(dir, 'aki.pdf'), makePdf({ pages: [['Definition', 'A rise in creatinine of 0.3 mg/dL.', 'Staging', 'Stage 1 to 3.']] }));
    await writeFile(path.join(dir, 'aki.pdf.meta.yaml'), `id: hospital-aki\ntitle: AKI pathway\n${META}sections:\n  - heading: Definition\n  - heading: Staging\n`);
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('finds guideline files recursively, skipping READMEs, drafts, hidden files, sidecars and other types', async () => {
    const { files } = await collectFiles([dir]);
    expect(files.map((f) => path.relative(dir, f)).sort()).toEqual(['a.md', 'aki.pdf', 'sepsis.html', path.join('sub', 'b.markdown')]);
  });

  it('parses HTML with a sidecar: sections from the headings, grade from the sidecar', async () => {
    const doc = await parseGuidelineFile(path.join(dir, 'sepsis.html'));
    expect(doc.meta.title).toBe('Sepsis protocol');
    expect(doc.format).toBe('html');
    expect(doc.chunks.map((c) => [c.id, c.text, c.grade ?? null])).toEqual([
      ['hospital-sepsis#recognition', 'Think sepsis when NEWS2 is 5 or more.', null],
      ['hospital-sepsis#treatment', 'Give antimicrobials within one hour.', '1'],
    ]);
  });

  it('parses a PDF with a sidecar, using its section headings to find sections', async () => {
    const doc = await parseGuidelineFile(path.join(dir, 'aki.pdf'));
    expect(doc.chunks.map((c) => [c.id, c.text])).toEqual([
      ['hospital-aki#definition', 'A rise in creatinine of 0.3 mg/dL.'],
      ['hospital-aki#staging', 'Stage 1 to 3.'],
    ]);
    for (const c of doc.chunks) expect(doc.body.slice(c.start, c.end)).toBe(c.text);
  });

  it('reports every malformed file at once, each by name', async () => {
    const bad = await mkdtemp(path.join(tmpdir(), 'cairn-bad-'));
    await writeFile(path.join(bad, 'one.md'), MD('same-id'));
    await writeFile(path.join(bad, 'two.md'), MD('same-id'));
    await writeFile(path.join(bad, 'page.html'), '<p>no sidecar</p>');
    await writeFile(path.join(bad, 'latin1.md'), Buffer.from('---\nid: x\n---\ncaf\xe9\n', 'latin1'));
    await writeFile(path.join(bad, 'empty.md'), '');
    try {
      const err = await parseCorpus([bad]).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(err).toBeInstanceOf(CorpusErrors);
      const message = (err as Error).message;
      expect(message).toMatch(/^4 guideline files are malformed:/);
      expect(message).toContain(`${path.join(bad, 'two.md')}: document id 'same-id' is already used by ${path.join(bad, 'one.md')}`);
      expect(message).toContain(`${path.join(bad, 'page.html')}: needs its metadata in a sidecar file page.html.meta.yaml`);
      expect(message).toContain(`${path.join(bad, 'latin1.md')}: is not UTF-8 text`);
      expect(message).toContain(`${path.join(bad, 'empty.md')}: the file is empty`);
    } finally {
      await rm(bad, { recursive: true, force: true });
    }
    await expect(collectFiles([path.join(dir, 'notes.txt')])).rejects.toThrow(/notes\.txt: unsupported file type/);
    await expect(collectFiles([path.join(dir, 'nope')])).rejects.toThrow(/nope: no such file or directory/);
  });
});

describe('the shipped corpus', () => {
  it('parses, and every passage a card could quote is a verbatim substring of its source file', async () => {
    const { files } = await collectFiles([repoPath('guidelines')]).catch(() => ({ files: [] as string[] }));
    if (files.length === 0) return; // the corpus is written separately; nothing shipped yet
    const docs = await parseFiles(files);
    let chunks = 0;
    for (const doc of docs) {
      const source = await readFile(doc.sourcePath, 'utf8');
      for (const c of doc.chunks) {
        expect(doc.body.slice(c.start, c.end)).toBe(c.text);
        if (!source.includes(c.text)) throw new Error(`${c.id} is not a substring of ${doc.sourcePath}`);
        chunks++;
      }
    }
    expect(chunks).toBeGreaterThan(0);
  });
});
