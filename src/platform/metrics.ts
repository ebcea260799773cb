import { Registry, collectDefaultMetrics, Histogram, Gauge, Counter } from 'prom-client';

export type { Registry };

/** The process's Prometheus registry with the metrics every service exposes. */
export interface Metrics {
  readonly registry: Registry;
  readonly httpDuration: Histogram<'method' | 'route' | 'status_code'>;
  /** Adds a gauge whose value is read on each scrape. */
  gauge(
    name: string,
    help: string,
    collect: () => Promise<number | null> | number | null,
    labels?: Record<string, string>,
  ): void;
  /** Adds a gauge with one label whose values (one per label value) are read on each scrape. */
  labelledGauge(
    name: string,
    help: string,
    label: string,
    collect: () => Promise<readonly (readonly [string, number])[]>,
  ): void;
  counter<L extends string>(name: string, help: string, labelNames?: readonly L[]): Counter<L>;
  histogram<L extends string>(
    name: string,
    help: string,
    buckets: number[],
    labelNames?: readonly L[],
  ): Histogram<L>;
}

export function createMetrics(defaultLabels: Record<string, string> = {}): Metrics {
  const registry = new Registry();
  registry.setDefaultLabels(defaultLabels);
  collectDefaultMetrics({ register: registry, eventLoopMonitoringPrecision: 20 });
  const httpDuration = new Histogram({
    name: 'http_request_duration_seconds',
    help: 'HTTP request duration by route and status.',
    labelNames: ['method', 'route', 'status_code'] as const,
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    registers: [registry],
  });
  const counters = new Map<string, Counter<string>>();
  const histograms = new Map<string, Histogram<string>>();
  return {
    registry,
    httpDuration,
    gauge(name, help, collect, labels) {
      const existing = registry.getSingleMetric(name);
      if (existing) return;
      new Gauge({
        name,
        help,
        registers: [registry],
        labelNames: labels ? Object.keys(labels) : [],
        async collect() {
          try {
            const value = await collect();
            if (value !== null) {
              if (labels) this.set(labels, value);
              else this.set(value);
            }
          } catch {
            // An engine that does not answer leaves the gauge at its last value.
          }
        },
      });
    },
    labelledGauge(name, help, label, collect) {
      if (registry.getSingleMetric(name)) return;
      new Gauge({
        name,
        help,
        registers: [registry],
        labelNames: [label],
        async collect() {
          try {
            const values = await collect();
            this.reset();
            for (const [value, n] of values) this.set({ [label]: value }, n);
          } catch {
            // An engine that does not answer leaves the gauge at its last values.
          }
        },
      });
    },
    counter<L extends string>(name: string, help: string, labelNames: readonly L[] = []) {
      let c = counters.get(name);
      if (!c) {
        c = new Counter({ name, help, labelNames: [...labelNames], registers: [registry] });
        counters.set(name, c);
      }
      return c;
    },
    histogram<L extends string>(
      name: string,
      help: string,
      buckets: number[],
      labelNames: readonly L[] = [],
    ) {
      let h = histograms.get(name);
      if (!h) {
        h = new Histogram({ name, help, buckets, labelNames: [...labelNames], registers: [registry] });
        histograms.set(name, h);
      }
      return h;
    },
  };
}
