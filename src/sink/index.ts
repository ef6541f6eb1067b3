/** The output edge: every sink implements Sink<T> (see sink.ts). */
export type { Sink, SendResult, DeadLetter, SinkHealth } from './sink.js';
export { Batcher, chunk, DEFAULT_BATCH_LIMITS } from './batcher.js';
export type { BatchLimits } from './batcher.js';
export { withRetry, DEFAULT_RETRY_POLICY } from './retry.js';
export type { RetryPolicy } from './retry.js';
export * from './elasticsearch/index.js';
export * from './pagerduty/index.js';
export { KafkaAlertSink, createAlertProducer } from './kafka/alert-sink.js';
export type { KafkaAlertSinkOptions } from './kafka/alert-sink.js';
