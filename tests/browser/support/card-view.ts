/**
 * A small static view of CDS Hooks cards, drawn the way an EHR's card panel draws them: the
 * indicator, the summary, the detail as GitHub-flavoured markdown (`marked`), the suggestions as
 * buttons, the links, the source. It adds no clinical text of its own: everything inside a card is
 * the card's. A `smart` link goes through the EHR's launcher, as an EHR opens a SMART app.
 */
import { marked } from 'marked';
import type { Card } from '../../../src/hooks/schema.js';

const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };
const escape = (text: string): string => text.replace(/[&<>"']/g, (ch) => ESCAPES[ch] ?? ch);

const STYLE = `
body { margin: 0; padding: 24px; background: #eef1f4; font: 15px/1.45 system-ui, sans-serif; color: #1b1f24; }
h1 { font-size: 16px; font-weight: 600; margin: 0 0 16px; color: #3a4450; }
.cards { display: grid; grid-template-columns: repeat(auto-fill, minmax(480px, 600px)); gap: 14px; align-items: start; }
.card { background: #fff; border-radius: 6px; border-left: 6px solid; padding: 12px 16px; box-shadow: 0 1px 3px rgb(0 0 0 / 0.15); }
.card.critical { border-color: #b00020; } .card.warning { border-color: #b36b00; } .card.info { border-color: #1f5f99; }
.summary { font-weight: 700; margin: 0 0 6px; }
.indicator { font-size: 12px; text-transform: uppercase; letter-spacing: 0.04em; color: #5a6470; }
.detail p, .detail ul, .detail blockquote { margin: 6px 0; } .detail ul { padding-left: 20px; }
.detail blockquote { border-left: 3px solid #c5ccd4; margin-left: 0; padding-left: 10px; color: #3a4450; }
.actions { display: flex; flex-wrap: wrap; gap: 8px; margin-top: 10px; }
.actions button, .actions a.smart { font: inherit; font-size: 14px; padding: 5px 10px; border-radius: 4px; border: 1px solid #1f5f99; background: #fff; color: #1f5f99; text-decoration: none; }
.actions a.smart { background: #1f5f99; color: #fff; }
.links { font-size: 13px; margin-top: 8px; } .links a { color: #1f5f99; margin-right: 12px; }
.source { font-size: 12px; color: #5a6470; margin-top: 8px; }
`;

export interface CardViewOptions {
  title: string;
  /** Where a `smart` link's "Open" takes the browser: the EHR launcher for the link's app. */
  launch: (appUrl: string) => string;
}

function cardHtml(card: Card, options: CardViewOptions): string {
  const detail = card.detail ? (marked.parse(card.detail, { gfm: true, async: false }) as string) : '';
  const suggestions = (card.suggestions ?? []).map((s) => `<button type="button">${escape(s.label)}</button>`);
  const smart = (card.links ?? []).filter((l) => l.type === 'smart').map((l) => `<a class="smart" href="${escape(options.launch(l.url))}">${escape(l.label)}</a>`);
  const links = (card.links ?? []).filter((l) => l.type !== 'smart').map((l) => `<a href="${escape(l.url)}">${escape(l.label)}</a>`);
  return `<article class="card ${escape(card.indicator)}" data-testid="card">
  <div class="indicator">${escape(card.indicator)}</div>
  <p class="summary">${escape(card.summary)}</p>
  <div class="detail">${detail}</div>
  <div class="actions">${[...suggestions, ...smart].join('')}</div>
  ${links.length ? `<div class="links">${links.join('')}</div>` : ''}
  <div class="source">Source: ${escape(card.source.label)}</div>
</article>`;
}

/** Most urgent first, as EHRs order them. */
const URGENCY: Record<Card['indicator'], number> = { critical: 0, warning: 1, info: 2 };

export function cardViewHtml(cards: readonly Card[], options: CardViewOptions): string {
  const ordered = [...cards].sort((a, b) => URGENCY[a.indicator] - URGENCY[b.indicator]);
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${escape(options.title)}</title><style>${STYLE}</style></head>
<body><main><h1>${escape(options.title)}</h1><div class="cards">${ordered.map((c) => cardHtml(c, options)).join('\n')}</div></main></body></html>`;
}
