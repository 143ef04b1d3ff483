// The database thread's entry when Cairn runs from source (tsx, jest): tsx's loader, passed in
// execArgv, is in place for require() from a real file, but not for a .ts entry module itself nor
// for an eval'd entry (Node 20). dist/ starts pglite-worker.js directly and never uses this file.
require(require('node:worker_threads').workerData.source);
