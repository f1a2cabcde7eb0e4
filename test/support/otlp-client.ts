/**
 * What a test asks the OTLP receiver process (test/support/otlp-receiver-main.ts) that
 * infra/local/test.sh runs beside the estate: its address, and typed reads of what it holds.
 */
import type { ReceivedLogRecord, ReceivedMetricPoint, ReceivedSpan, ReceiverStatus, SpanQuery } from './otlp-receiver.js';

export const otlpReceiverUrl = process.env.OTLP_RECEIVER_URL ?? `http://127.0.0.1:${process.env.OTLP_RECEIVER_PORT ?? 4319}`;

export class OtlpReceiverClient {
  constructor(readonly baseUrl: string = otlpReceiverUrl) {}

  private async get<T>(path: string, query: Record<string, string | number | undefined> = {}): Promise<T> {
    const url = new URL(path, this.baseUrl);
    for (const [key, value] of Object.entries(query)) if (value !== undefined) url.searchParams.set(key, String(value));
    const response = await fetch(url, { signal: AbortSignal.timeout(10_000) });
    if (!response.ok) throw new Error(`GET ${url} answered ${response.status}: ${await response.text()}`);
    return (await response.json()) as T;
  }

  status(): Promise<ReceiverStatus> {
    return this.get('/api/status');
  }

  trace(traceId: string): Promise<ReceivedSpan[]> {
    return this.get(`/api/traces/${traceId}`);
  }

  spans(query: SpanQuery = {}): Promise<ReceivedSpan[]> {
    return this.get('/api/spans', { ...query });
  }

  metrics(query: { name?: string; service?: string } = {}): Promise<ReceivedMetricPoint[]> {
    return this.get('/api/metrics', query);
  }

  logs(query: { traceId?: string; service?: string; limit?: number } = {}): Promise<ReceivedLogRecord[]> {
    return this.get('/api/logs', query);
  }
}
