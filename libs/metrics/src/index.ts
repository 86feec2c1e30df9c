export { createServiceMetrics } from './service-metrics.js';
export type { HttpRequestMetrics, ServiceMetrics } from './service-metrics.js';
export { LabelBudget, OVERFLOW_LABEL } from './label-budget.js';
export { exportMetrics, startMetricsServer } from './metrics-server.js';
export type { MetricsServer } from './metrics-server.js';
export { Counter, Gauge, Histogram } from 'prom-client';
