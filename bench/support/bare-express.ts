/**
 * The ceiling for bench/hooks.ts: a bare express server that parses a JSON body as Cairn's hook
 * route does (same limit and media types) and answers a small JSON object. It runs as its own
 * process, like Cairn, so neither shares an event loop with the load generator.
 */
import express from 'express';

const app = express();
app.disable('x-powered-by');
app.use(express.json({ limit: '10mb', type: ['application/json', 'application/*+json'] }));
app.post('/cds-services/:id', (req, res) => {
  res.json({ cards: [], keys: Object.keys(req.body as object).length });
});
const server = app.listen(Number(process.env.PORT ?? 0), '127.0.0.1', () => {
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  process.stdout.write(`${JSON.stringify({ ready: `http://127.0.0.1:${port}` })}\n`);
});
server.keepAliveTimeout = 65_000;
process.on('SIGTERM', () => server.close(() => process.exit(0)));
