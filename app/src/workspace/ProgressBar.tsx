/**
 * How far a screening is: one bar, patients finished over patients in it, coloured by result
 * (the legend is the count tiles beside it). role=progressbar with aria-valuenow; the words say
 * the same for screen readers and for anyone who does not read colours.
 */
import type { ScreeningPage } from './types';

const SEGMENTS = ['eligible', 'excluded', 'irrelevant', 'unknown'] as const;

export function ProgressBar({ screening, labelledBy }: { screening: ScreeningPage; labelledBy: string }) {
  const { total, done, failed } = screening.progress;
  const finished = done + failed;
  const percent = total === 0 ? 100 : Math.floor((100 * finished) / total);
  const words = `${finished.toLocaleString()} of ${total.toLocaleString()} patients screened (${percent}%)`;
  const share = (n: number) => `${total === 0 ? 0 : (100 * n) / total}%`;
  return (
    <div className="ws-progress">
      <div
        className="ws-progress-track"
        role="progressbar"
        data-testid="screening-progress"
        aria-labelledby={labelledBy}
        aria-valuemin={0}
        aria-valuemax={total}
        aria-valuenow={finished}
        aria-valuetext={words}
      >
        {SEGMENTS.map((c) => (
          <span key={c} className={`ws-progress-seg ws-seg-${c}`} style={{ width: share(screening.categories[c]) }} />
        ))}
        <span className="ws-progress-seg ws-seg-failed" style={{ width: share(failed) }} />
      </div>
      <p className="ws-progress-words">
        {words}
        {screening.status === 'cancelled' && screening.progress.pending > 0 && ` · ${screening.progress.pending.toLocaleString()} not screened: cancelled`}
      </p>
    </div>
  );
}
