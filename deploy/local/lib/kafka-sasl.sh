# shellcheck shell=bash
# SASL_SSL listener (on by default; TRIPLINE_KAFKA_SASL=0 disables it): SCRAM-SHA-256/512 over TLS
# with a self-signed CA generated under .cache/stack/kafka/tls. Sourced by kafka.sh when enabled.
# Cost: one openssl run (< 1 s, cached), and once per data dir a JVM that upserts the SCRAM users.
#
# SCRAM users: written into the metadata log at format time (StorageTool --add-scram) for a fresh
# data dir; a data dir formatted without them (an older stack) gets them upserted on the running
# broker (kafka/AddScramUsers.java, AlterUserScramCredentials over PLAINTEXT) — no data reset.
# A broker started without the listener keeps running without it until restarted (stack.sh down/up).

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

# Sets KAFKA_SASL_FORMAT_ARGS: extra StorageTool format arguments that create the SCRAM users
# (ignored by `format -g` on an already formatted data dir; kafka_sasl_ensure_users covers that).
kafka_sasl_format_args() {
  KAFKA_SASL_FORMAT_ARGS=(
    --add-scram "SCRAM-SHA-256=[name=$KAFKA_SASL_USER,password=$KAFKA_SASL_PASSWORD]"
    --add-scram "SCRAM-SHA-512=[name=$KAFKA_SASL_USER,password=$KAFKA_SASL_PASSWORD]"
  )
}

# True when the running broker was started with the SASL_SSL listener.
kafka_sasl_listening() {
  grep -q "^listeners=.*SASL_SSL://" "$KAFKA_STATE/server.properties" 2>/dev/null && port_open "$STACK_HOST" "$KAFKA_SASL_PORT"
}

# After the broker is ready: make sure the SCRAM users exist (once per data dir, marker in it).
kafka_sasl_ensure_users() {
  local marker="$KAFKA_STATE/data/.tripline-scram-users"
  [[ -f "$marker" ]] && return 0
  if ! kafka_sasl_listening; then
    log "kafka: WARNING: running without the SASL_SSL listener (started before it was enabled); restart Kafka to add it: $LOCAL_DIR/stack.sh down && $LOCAL_DIR/stack.sh up"
    return 0
  fi
  log "kafka: upserting SCRAM users ($KAFKA_SASL_USER)"
  TRIPLINE_SCRAM_PASSWORD="$KAFKA_SASL_PASSWORD" kafka_java -Dlog4j2.configurationFile="$LOCAL_DIR/kafka/log4j2.properties" \
    -Dkafka.logs.dir="$KAFKA_STATE/logs" -cp "$KAFKA_LIBS/*" "$LOCAL_DIR/kafka/AddScramUsers.java" \
    "$STACK_HOST:$KAFKA_PORT" "$KAFKA_SASL_USER" >"$KAFKA_STATE/logs/scram-users.out" 2>&1 \
    || { tail -n 20 "$KAFKA_STATE/logs/scram-users.out" >&2; die "kafka: could not create the SCRAM users"; }
  touch "$marker"
}

kafka_sasl_endpoints() {
  echo "KAFKA_SASL_BROKERS=$STACK_HOST:$KAFKA_SASL_PORT"
  echo "KAFKA_SASL_MECHANISM=scram-sha-512"
  echo "KAFKA_SASL_USERNAME=$KAFKA_SASL_USER"
  echo "KAFKA_SASL_PASSWORD=$KAFKA_SASL_PASSWORD"
  echo "KAFKA_SSL_CA_FILE=$KAFKA_TLS_DIR/ca.crt"
}
