/**
 * The background refresh (CAIRN_CTGOV_REFRESH) in a running Cairn: with no trial files, the
 * trial-match service is served from trials refreshed from ClinicalTrials.gov (a local stand-in of
 * API v2); Cairn is ready and answers while the refresh is still waiting out the API's 503, and the
 * refreshed trials arrive in the store afterwards.
 */
import { afterAll, beforeAll, expect, it } from '@jest/globals';
import { loadConfig } from '../../src/config.js';
import { createLogger } from '../../src/log.js';
import { startCairn, type RunningCairn } from '../../src/server.js';
import { countTrials, loadTrial } from '../../src/services/trials/store/trial-store.js';
import { startCtgovStandIn, v2Study, type CtgovStandIn } from '../support/ctgov-standin.js';
import { HashingEmbeddings } from '../support/knowledge-embeddings.js';
import { repoPath } from '../support/repo-root.js';

let api: CtgovStandIn;
let cairn: RunningCairn | undefined;

beforeAll(async () => {
  api = await startCtgovStandIn(
    [
      v2Study('NCT05000011', { title: 'Salt Substitution in Hypertension', conditions: ['Hypertension'], lastUpdate: '2025-01-10', inclusion: '* Essential hypertension', exclusion: '* Pregnant' }),
      v2Study('NCT05000012', { title: 'Metformin in Prediabetes', conditions: ['Prediabetes'], lastUpdate: '2025-01-01', inclusion: '* HbA1c 5.7% to 6.4%', exclusion: '* Diabetes' }),
    ],
    // The first request is told to come back in 2 s.
    new Map([[1, { status: 503, retryAfter: '2' }]]),
  );
});
afterAll(async () => {
  await cairn?.close();
  await api?.close();
});

it('serves trial-match from a refresh that runs after Cairn is ready, not before', async () => {
  const config = {
    ...loadConfig({
      CAIRN_REQUIRE_AUTH: 'false',
      CAIRN_DATA_DIR: 'memory://',
      CAIRN_GUIDELINES_DIR: repoPath('tests/fixtures/guidelines'),
      CAIRN_VECTORS_DIR: 'none',
      CAIRN_TRIALS: 'none',
      CAIRN_CTGOV_BASE_URL: api.baseUrl,
      CAIRN_CTGOV_REFRESH: 'cond=hypertension',
      CAIRN_CTGOV_REQUESTS_PER_MINUTE: '600',
    }),
    port: 0,
    host: '127.0.0.1',
  };
  cairn = await startCairn(config, createLogger('silent'), { embeddings: new HashingEmbeddings() });
  await cairn.ready;
  const readyAt = performance.now();
  expect((await fetch(`${cairn.url}/readyz`)).status).toBe(200);
  const discovery = (await (await fetch(`${cairn.url}/cds-services`)).json()) as { services: Array<{ id: string }> };
  expect(discovery.services.map((s) => s.id)).toContain('trial-match');
  // The refresh is waiting out the 503's Retry-After: nothing imported yet.
  expect(await countTrials(cairn.db)).toMatchObject({ trials: 0 });

  for (let i = 0; i < 200 && (await countTrials(cairn.db)).trials === 0; i++) await new Promise((resolve) => setTimeout(resolve, 50));
  expect(performance.now() - readyAt).toBeGreaterThan(1000);
  expect(await countTrials(cairn.db)).toMatchObject({ trials: 1 });
  expect(await loadTrial(cairn.db, 'NCT05000011')).toMatchObject({ status: 'RECRUITING', lastUpdatePosted: '2025-01-10' });
  expect(api.requests[0]?.outcome).toBe('failed');
}, 60_000);

it('refuses a refresh query it cannot read before listening', async () => {
  const config = { ...loadConfig({ CAIRN_REQUIRE_AUTH: 'false', CAIRN_DATA_DIR: 'memory://', CAIRN_TRIALS: 'none', CAIRN_CTGOV_REFRESH: 'sponsor=Pfizer' }), port: 0, host: '127.0.0.1' };
  await expect(startCairn(config, createLogger('silent'), { embeddings: new HashingEmbeddings() })).rejects.toThrow('unknown query area "sponsor"');
});
