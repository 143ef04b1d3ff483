/**
 * Writes small, valid PDFs for the parser tests: pages of Helvetica text lines, and optionally an
 * outline (bookmarks) pointing at pages. Just enough of the format for pdf.js to read.
 */
export interface PdfSpec {
  pages: string[][];
  outline?: Array<{ title: string; page: number }>;
  title?: string;
}

function pdfString(text: string): string {
  return `(${text.replace(/[()\\]/g, (m) => `\\${m}`)})`;
}

export function makePdf(spec: PdfSpec): Buffer {
  const objects: string[] = [];
  const reserve = () => objects.push('');
  const catalog = reserve();
  const pagesRoot = reserve();
  const font = objects.push('<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>');
  const pageIds: number[] = [];
  for (const lines of spec.pages) {
    const ops = lines.map((l) => `${pdfString(l)} Tj T*`).join(' ');
    const content = `BT /F1 12 Tf 72 720 Td 14 TL ${ops} ET`;
    const contentId = objects.push(`<< /Length ${Buffer.byteLength(content, 'latin1')} >>\nstream\n${content}\nendstream`);
    pageIds.push(
      objects.push(
        `<< /Type /Page /Parent ${pagesRoot} 0 R /MediaBox [0 0 612 792] /Resources << /Font << /F1 ${font} 0 R >> >> /Contents ${contentId} 0 R >>`,
      ),
    );
  }
  let outlines = '';
  if (spec.outline && spec.outline.length > 0) {
    const root = reserve();
    const first = objects.length + 1;
    const items = spec.outline;
    items.forEach((item, i) => {
      const id = first + i;
      const links = [i > 0 ? `/Prev ${id - 1} 0 R` : '', i < items.length - 1 ? `/Next ${id + 1} 0 R` : ''].join(' ');
      objects.push(`<< /Title ${pdfString(item.title)} /Parent ${root} 0 R ${links} /Dest [${pageIds[item.page - 1]} 0 R /XYZ 0 792 0] >>`);
    });
    objects[root - 1] = `<< /Type /Outlines /First ${first} 0 R /Last ${first + items.length - 1} 0 R /Count ${items.length} >>`;
    outlines = ` /Outlines ${root} 0 R`;
  }
  let info = '';
  if (spec.title) info = ` /Info ${objects.push(`<< /Title ${pdfString(spec.title)} >>`)} 0 R`;
  objects[catalog - 1] = `<< /Type /Catalog /Pages ${pagesRoot} 0 R${outlines} >>`;
  objects[pagesRoot - 1] = `<< /Type /Pages /Kids [${pageIds.map((p) => `${p} 0 R`).join(' ')}] /Count ${pageIds.length} >>`;

  let out = '%PDF-1.4\n';
  const offsets: number[] = [];
  objects.forEach((o, i) => {
    offsets.push(Buffer.byteLength(out, 'latin1'));
    out += `${i + 1} 0 obj\n${o}\nendobj\n`;
  });
  const xref = Buffer.byteLength(out, 'latin1');
  out += `xref\n0 ${objects.length + 1}\n0000000000 65535 f \n`;
  out += offsets.map((o) => `${String(o).padStart(10, '0')} 00000 n \n`).join('');
  const trailerInfo = info ? info.replace(' /Info', '/Info') : '';
  out += `trailer\n<< /Size ${objects.length + 1} /Root ${catalog} 0 R ${trailerInfo} >>\nstartxref\n${xref}\n%%EOF\n`;
  return Buffer.from(out, 'latin1');
}
