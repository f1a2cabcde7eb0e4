/**
 * Kafka consumer lag per group, topic and partition, as the observable gauge
 * `messaging.kafka.consumer.lag`: how many records the group has not committed yet. Each consumer
 * process watches its own group: every metric-export interval it asks the brokers for the group's
 * committed offsets and each partition's high watermark (kafkajs admin `fetchOffsets` and
 * `fetchTopicOffsets`), and the gauge reports the last answer. When the brokers cannot be asked, the
 * gauge reports nothing rather than a stale number.
 */
import { metrics, type ObservableResult } from '@opentelemetry/api';
import type { Admin, Kafka } from 'kafkajs';
import { logger } from '../logger.js';
import { metricNames } from './metrics.js';
import { metricExportIntervalMs } from './resource.js';

export interface PartitionLag {
  topic: string;
  partition: number;
  lag: number;
}

export interface CommittedOffsets {
  topic: string;
  partitions: { partition: number; offset: string }[];
}

export interface TopicWatermarks {
  topic: string;
  partitions: { partition: number; high: string; low: string }[];
}

/**
 * Lag of each partition: high watermark minus the committed offset. A partition where the group has
 * committed nothing (`-1`) lags by everything still retained (high − low), which is what a consumer
 * that starts from the beginning has left to read.
 */
export function computeLag(committed: readonly CommittedOffsets[], watermarks: readonly TopicWatermarks[]): PartitionLag[] {
  const committedOf = new Map<string, number>();
  for (const { topic, partitions } of committed) {
    for (const { partition, offset } of partitions) committedOf.set(`${topic}/${partition}`, Number(offset));
  }
  const lags: PartitionLag[] = [];
  for (const { topic, partitions } of watermarks) {
    for (const { partition, high, low } of partitions) {
      const end = Number(high);
      const offset = committedOf.get(`${topic}/${partition}`) ?? -1;
      const from = offset >= 0 ? offset : Number(low);
      lags.push({ topic, partition, lag: Math.max(0, end - from) });
    }
  }
  return lags;
}

const log = logger('kafka-lag');

export class ConsumerLagMonitor {
  private admin: Admin | undefined;
  private timer: NodeJS.Timeout | undefined;
  private latest: PartitionLag[] = [];
  private polling = false;
  private readonly observe = (result: ObservableResult) => {
    for (const { topic, partition, lag } of this.latest) {
      result.observe(lag, {
        'messaging.system': 'kafka',
        'messaging.consumer.group.name': this.group,
        'messaging.destination.name': topic,
        'messaging.destination.partition.id': String(partition),
      });
    }
  };
  private readonly gauge = metrics.getMeter('ordersaga').createObservableGauge(metricNames.consumerLag, {
    description: 'Records of a partition not yet committed by the consumer group',
    unit: '{message}',
  });

  constructor(
    private readonly kafka: Kafka,
    private readonly group: string,
    private readonly topics: readonly string[],
    private readonly intervalMs = Math.max(1_000, metricExportIntervalMs()),
  ) {}

  start(): void {
    this.gauge.addCallback(this.observe);
    this.timer = setInterval(() => void this.poll(), this.intervalMs);
    this.timer.unref();
    void this.poll();
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    this.gauge.removeCallback(this.observe);
    const admin = this.admin;
    this.admin = undefined;
    await admin?.disconnect().catch(() => undefined);
  }

  /** One reading; public so a test can take one without waiting for the timer. */
  async poll(): Promise<PartitionLag[]> {
    if (this.polling) return this.latest;
    this.polling = true;
    try {
      if (!this.admin) {
        const admin = this.kafka.admin();
        await admin.connect();
        this.admin = admin;
      }
      const admin = this.admin;
      const [committed, watermarks] = await Promise.all([
        admin.fetchOffsets({ groupId: this.group, topics: [...this.topics] }),
        Promise.all(this.topics.map(async (topic) => ({ topic, partitions: await admin.fetchTopicOffsets(topic) }))),
      ]);
      this.latest = computeLag(committed, watermarks);
    } catch (error) {
      this.latest = [];
      log.debug({ err: error, group: this.group }, 'consumer lag not readable now');
    } finally {
      this.polling = false;
    }
    return this.latest;
  }
}
