/**
 * Every metric tripline exports, in one place (names follow Vector's component spec:
 * `<ns>_component_received_events_total`, `..._sent_events_total`, `..._errors_total` per stage).
 * Code never spells a metric name elsewhere: it uses the typed `Metrics` object built from this table.
 */

export const STAGES = ['source', 'decode', 'match', 'window', 'detect', 'alert', 'sink'] as const;
export type Stage = (typeof STAGES)[number];

/** Request latency buckets, seconds (sinks: Elasticsearch, PagerDuty, DLQ). */
export const LATENCY_BUCKETS_SECONDS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];

interface Def<K extends 'counter' | 'gauge' | 'histogram', L extends string> {
  readonly kind: K;
  readonly name: string;
  readonly help: string;
  readonly labels: readonly L[];
  readonly buckets?: readonly number[];
}

const counter = <L extends string>(name: string, help: string, labels: readonly L[]): Def<'counter', L> => ({
  kind: 'counter',
  name,
  help,
  labels,
});
const gauge = <L extends string>(name: string, help: string, labels: readonly L[]): Def<'gauge', L> => ({
  kind: 'gauge',
  name,
  help,
  labels,
});
const histogram = <L extends string>(
  name: string,
  help: string,
  labels: readonly L[],
  buckets: readonly number[],
): Def<'histogram', L> => ({ kind: 'histogram', name, help, labels, buckets });

export const METRIC_DEFS = {
  // Vector component spec, one series per stage.
  componentReceivedEvents: counter('tripline_component_received_events_total', 'Events received by a pipeline stage.', [
    'stage',
  ]),
  componentSentEvents: counter('tripline_component_sent_events_total', 'Events emitted by a pipeline stage.', ['stage']),
  componentErrors: counter('tripline_component_errors_total', 'Errors in a pipeline stage, by error type.', [
    'stage',
    'error_type',
  ]),

  // Records, by input topic.
  recordsConsumed: counter('tripline_records_consumed_total', 'Kafka records handed to the pipeline.', ['topic']),
  recordsDecoded: counter('tripline_records_decoded_total', 'Records decoded into log events.', ['topic']),
  recordsMatched: counter('tripline_records_matched_total', 'Events that matched at least one pattern.', ['topic']),
  recordsLate: counter('tripline_records_late_total', 'Events older than the watermark minus grace, dropped.', ['topic']),
  recordsInvalid: counter('tripline_records_invalid_total', 'Records that could not be decoded, by reason.', [
    'topic',
    'reason',
  ]),
  recordTimestampFallback: counter(
    'tripline_events_record_timestamp_fallback_total',
    'Events without a usable time field that used the Kafka record timestamp.',
    ['topic'],
  ),

  // Kafka source.
  consumerLag: gauge('tripline_kafka_consumer_lag', 'Records between the high watermark and the consumer position.', [
    'topic',
    'partition',
  ]),
  offsetCommits: counter('tripline_kafka_offset_commits_total', 'Offset commits, by outcome (ok, error).', ['outcome']),
  rebalances: counter('tripline_kafka_rebalances_total', 'Consumer group rebalances (group joins).', []),
  pausedPartitions: gauge('tripline_kafka_paused_partitions', 'Partitions paused for backpressure.', []),
  dlqRecords: counter('tripline_dlq_records_total', 'Records written to the dead-letter topic, by reason.', [
    'topic',
    'reason',
  ]),

  // Scale-out stage 1 (src/shuffle/stage1-source.ts): the partials topic.
  partialsRecords: counter('tripline_partials_records_total', 'Records written to the partials topic (committed transactions only).', []),
  partialsTransactions: counter(
    'tripline_partials_transactions_total',
    'Stage 1 transactions (partials + raw offsets), by outcome (committed, aborted, abandoned).',
    ['outcome'],
  ),
  partialsTransactionDuration: histogram(
    'tripline_partials_transaction_duration_seconds',
    'Stage 1 transaction latency (begin to commit).',
    [],
    LATENCY_BUCKETS_SECONDS,
  ),

  // Engine state.
  activeGroups: gauge('tripline_active_groups', 'Live groups per pattern.', ['pattern']),
  alertTransitions: counter('tripline_alert_transitions_total', 'Alert state transitions.', ['pattern', 'state']),

  // Sinks.
  sinkRequests: counter('tripline_sink_requests_total', 'Requests sent by a sink.', ['sink']),
  sinkErrors: counter('tripline_sink_errors_total', 'Failed sink requests, by error type.', ['sink', 'error_type']),
  sinkDeadLettered: counter(
    'tripline_sink_dead_lettered_total',
    'Alert transitions and metric documents a sink refused for good, written to the sink dead-letter topic, by sink and reason.',
    ['sink', 'reason'],
  ),
  sinkRequestDuration: histogram(
    'tripline_sink_request_duration_seconds',
    'Sink request latency.',
    ['sink'],
    LATENCY_BUCKETS_SECONDS,
  ),
} as const;

export type MetricKey = keyof typeof METRIC_DEFS;
export type MetricDefs = typeof METRIC_DEFS;
