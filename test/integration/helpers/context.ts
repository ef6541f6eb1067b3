// Values that test/integration/global-setup.ts provides to every integration test file.
export interface StackInfo {
  /** Kafka bootstrap servers, e.g. ['127.0.0.1:39092']. */
  kafkaBrokers: string[];
  /** Elasticsearch base URL, e.g. 'http://127.0.0.1:39200'. */
  elasticsearchUrl: string;
  /** Broker software version as far as it is known (pin of deploy/local, or $KAFKA_VERSION). */
  kafkaVersion: string;
  /** Version reported by the Elasticsearch node (GET _nodes). */
  elasticsearchVersion: string;
  /**
   * The stack's SASL_SSL (SCRAM) listener, as `deploy/local/stack.sh up|status` prints it
   * (KAFKA_SASL_*); undefined when it is not running, with `kafkaSaslMissing` saying why.
   */
  kafkaSasl?: KafkaSaslInfo | undefined;
  kafkaSaslMissing?: string | undefined;
}

export interface KafkaSaslInfo {
  brokers: string[];
  mechanism: string;
  username: string;
  password: string;
  /** PEM of the self-signed CA that signed the broker certificate. */
  caFile: string;
}

declare module 'vitest' {
  export interface ProvidedContext {
    stack: StackInfo;
  }
}
