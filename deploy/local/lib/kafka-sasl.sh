# shellcheck shell=bash
# Optional SASL_SSL listener (TRIPLINE_KAFKA_SASL=1): SCRAM-SHA-256/512 over TLS with a
# self-signed CA generated under .cache/stack/kafka/tls. Sourced by kafka.sh only when enabled.
#
# SCRAM users are written into the metadata log at format time (StorageTool --add-scram), so a
# data dir formatted without SASL must be reset first: stack.sh down && rm -rf .cache/stack/kafka/data

KAFKA_SASL_USER="${TRIPLINE_KAFKA_SASL_USER:-tripline}"
KAFKA_SASL_PASSWORD="${TRIPLINE_KAFKA_SASL_PASSWORD:-tripline-local-secret}"
KAFKA_TLS_DIR="$KAFKA_STATE/tls"
KAFKA_TLS_PASSWORD="tripline-local-keystore"

kafka_sasl_tls() {
  [[ -s "$KAFKA_TLS_DIR/broker.p12" && -s "$KAFKA_TLS_DIR/ca.crt" ]] && return 0
  command -v openssl >/dev/null || die "openssl not found (install the 'openssl' package)"
  mkdir -p "$KAFKA_TLS_DIR"
  log "kafka: generating a self-signed CA and broker certificate in $KAFKA_TLS_DIR"
  (
    cd "$KAFKA_TLS_DIR"
    openssl req -x509 -newkey rsa:2048 -nodes -days 3650 -subj "/CN=tripline-local-ca" \
      -keyout ca.key -out ca.crt 2>/dev/null
    openssl req -newkey rsa:2048 -nodes -subj "/CN=localhost" -keyout broker.key -out broker.csr 2>/dev/null
    printf 'subjectAltName=DNS:localhost,IP:127.0.0.1\nextendedKeyUsage=serverAuth\n' >broker.ext
    openssl x509 -req -in broker.csr -CA ca.crt -CAkey ca.key -CAcreateserial -days 3650 \
      -extfile broker.ext -out broker.crt 2>/dev/null
    openssl pkcs12 -export -in broker.crt -inkey broker.key -certfile ca.crt -name broker \
      -passout "pass:$KAFKA_TLS_PASSWORD" -out broker.p12
    rm -f broker.csr broker.ext
  ) || die "kafka: TLS material generation failed"
}

# Lines appended to server.properties.
kafka_sasl_config() {
  kafka_sasl_tls
  local m
  echo "# SASL_SSL listener (TRIPLINE_KAFKA_SASL=1)"
  echo "listener.name.sasl_ssl.sasl.enabled.mechanisms=SCRAM-SHA-256,SCRAM-SHA-512"
  for m in scram-sha-256 scram-sha-512; do
    echo "listener.name.sasl_ssl.$m.sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required;"
  done
  echo "listener.name.sasl_ssl.ssl.keystore.type=PKCS12"
  echo "listener.name.sasl_ssl.ssl.keystore.location=$KAFKA_TLS_DIR/broker.p12"
  echo "listener.name.sasl_ssl.ssl.keystore.password=$KAFKA_TLS_PASSWORD"
  echo "listener.name.sasl_ssl.ssl.key.password=$KAFKA_TLS_PASSWORD"
}

# Sets KAFKA_SASL_FORMAT_ARGS: extra StorageTool format arguments that create the SCRAM users.
kafka_sasl_format_args() {
  if [[ -f "$KAFKA_STATE/data/meta.properties" && ! -f "$KAFKA_STATE/sasl.formatted" ]]; then
    die "kafka: data dir was formatted without SASL users; run: $LOCAL_DIR/stack.sh down && rm -rf $KAFKA_STATE/data"
  fi
  KAFKA_SASL_FORMAT_ARGS=(
    --add-scram "SCRAM-SHA-256=[name=$KAFKA_SASL_USER,password=$KAFKA_SASL_PASSWORD]"
    --add-scram "SCRAM-SHA-512=[name=$KAFKA_SASL_USER,password=$KAFKA_SASL_PASSWORD]"
  )
  touch "$KAFKA_STATE/sasl.formatted"
}

kafka_sasl_endpoints() {
  echo "KAFKA_SASL_BROKERS=$STACK_HOST:$KAFKA_SASL_PORT"
  echo "KAFKA_SASL_MECHANISM=scram-sha-512"
  echo "KAFKA_SASL_USERNAME=$KAFKA_SASL_USER"
  echo "KAFKA_SASL_PASSWORD=$KAFKA_SASL_PASSWORD"
  echo "KAFKA_SSL_CA_FILE=$KAFKA_TLS_DIR/ca.crt"
}
