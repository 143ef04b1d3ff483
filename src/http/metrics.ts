import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/** Prometheus metrics of one app instance (own registry, so tests can run several apps in one process). */
export interface Metrics {
  registry: Registry;
  httpDuration: Histogram<'method' | 'route' | 'status'>;
  hookDuration: Histogram<'service' | 'outcome'>;
  fhirFetchDuration: Histogram<'outcome'>;
  errors: Counter<'kind'>;
  /** Hook calls refused with 503 by admission control (admission.ts), by reason. */
  hookShed: Counter<'reason'>;
  /** Hook calls admitted and not yet answered: what CAIRN_HOOK_MAX_IN_FLIGHT bounds. */
  hookInFlight: Gauge;
}

// Hooks should answer in about 500 ms (CDS Hooks 2.0.1 §Latency); buckets resolve that range finely.
const LATENCY_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 1.5, 2.5, 5];

export function createMetrics(): Metrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'cairn_' });
  return {
    registry,
    httpDuration: new Histogram({
      name: 'cairn_http_request_duration_seconds',
      help: 'HTTP request latency by route template and status',
      labelNames: ['method', 'route', 'status'],
      buckets: LATENCY_BUCKETS,
      registers: [registry],
    }),
    hookDuration: new Histogram({
      name: 'cairn_hook_duration_seconds',
      help: 'CDS service invocation latency by service and outcome (cards, no-cards, deadline, 4xx)',
      labelNames: ['service', 'outcome'],
      buckets: LATENCY_BUCKETS,
      registers: [registry],
    }),
    fhirFetchDuration: new Histogram({
      name: 'cairn_fhir_fetch_duration_seconds',
      help: "Latency of calls to the EHR's FHIR server by outcome",
      labelNames: ['outcome'],
      buckets: LATENCY_BUCKETS,
      registers: [registry],
    }),
    errors: new Counter({
      name: 'cairn_errors_total',
      help: 'Errors by kind (auth, bad-request, prefetch, service, internal)',
      labelNames: ['kind'],
      registers: [registry],
    }),
    hookShed: new Counter({
      name: 'cairn_hook_shed_total',
      help: 'Hook calls answered 503 + Retry-After to keep the deadline under overload, by reason (in-flight, event-loop-delay, queued)',
      labelNames: ['reason'],
      registers: [registry],
    }),
    hookInFlight: new Gauge({
      name: 'cairn_hook_in_flight',
      help: 'Hook calls admitted and not yet answered (bounded by CAIRN_HOOK_MAX_IN_FLIGHT)',
      registers: [registry],
    }),
  };
}
