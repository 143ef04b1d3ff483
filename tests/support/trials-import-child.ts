/**
 * A trial import in its own process, for the test that kills it (SIGKILL) midway: imports the
 * trials the parent describes, one per transaction, with a slow stand-in model, and logs each
 * batch it has written (debug lines on stdout). DATABASE_URL or CAIRN_DATA_DIR name the store.
 */
import { openDatabase } from '../../src/db/database.js';
import { migrate } from '../../src/db/migrations.js';
import { createLogger } from '../../src/log.js';
import { importTrials } from '../../src/services/trials/store/trial-store.js';
import { HashingEmbeddings } from './knowledge-embeddings.js';
import { crashTestTrials } from './trials-import-crash.js';

const slow = new HashingEmbeddings();
const embed = slow.embedDocuments.bind(slow);
slow.embedDocuments = async (texts) => {
  await new Promise((r) => setTimeout(r, 150));
  return embed(texts);
};
const db = await openDatabase({ url: process.env.DATABASE_URL, dataDir: process.env.CAIRN_DATA_DIR });
await migrate(db);
await importTrials(db, crashTestTrials(), slow, { batchTrials: 1, embedBatchSize: 8, log: createLogger('debug') });
await db.close();
