/** The dev authorization server's few HTML pages: the patient picker and error pages. */

export interface PatientRow {
  id: string;
  name: string;
  birthDate?: string;
  gender?: string;
}

const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (ch) => ESCAPES[ch] ?? ch);
}

const STYLE = `body{font-family:system-ui,sans-serif;margin:2rem;max-width:60rem;color:#1a1a1a}
table{border-collapse:collapse;width:100%}th,td{text-align:left;padding:.35rem .6rem;border-bottom:1px solid #ddd}
.note{color:#555;font-size:.9rem}code{background:#f3f3f3;padding:0 .2rem}`;

function page(title: string, body: string): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(title)}</title><style>${STYLE}</style></head>
<body><h1>${escapeHtml(title)}</h1>
${body}
<p class="note">Cairn development FHIR server: no real authentication. Never expose it to a network you do not control.</p>
</body></html>`;
}

/** A table of patients, each name a link to `choose(id)`. */
export function patientPickerPage(title: string, lead: string, patients: readonly PatientRow[], choose: (id: string) => string): string {
  if (patients.length === 0) return page(title, '<p>The server holds no Patient resources: load some with <code>--load</code>.</p>');
  const rows = patients
    .map(
      (p) =>
        `<tr><td><a href="${escapeHtml(choose(p.id))}">${escapeHtml(p.name || '(no name)')}</a></td>` +
        `<td>${escapeHtml(p.birthDate ?? '')}</td><td>${escapeHtml(p.gender ?? '')}</td><td><code>${escapeHtml(p.id)}</code></td></tr>`,
    )
    .join('\n');
  return page(
    title,
    `<p>${escapeHtml(lead)}</p>
<table><thead><tr><th>Name</th><th>Birth date</th><th>Gender</th><th>Id</th></tr></thead>
<tbody>
${rows}
</tbody></table>`,
  );
}

export function errorPage(title: string, message: string): string {
  return page(title, `<p>${escapeHtml(message)}</p>`);
}
