#!/usr/bin/env bash
# Entrypoint of cdc-harness's local Kafka Connect image. It takes the environment the official
# quay.io/debezium/connect image takes, so the harness configures either the same way:
#   BOOTSTRAP_SERVERS       the broker (required)
#   CONNECT_<NAME>          a worker property: CONNECT_OFFSET_FLUSH_INTERVAL_MS=1000 sets
#                           offset.flush.interval.ms=1000 (`_` becomes `.`, lower case)
#   HEAP_OPTS               JVM heap flags (default -Xms256m -Xmx512m)
#   IMAGE start | IMAGE <any command>
# It runs a standalone worker where the official image runs a distributed one: the standalone
# worker keeps its offsets in a file and needs neither internal compacted topics nor group
# membership on the broker (tansu, the local stand-in for Kafka, joins groups slowly), and the
# REST API (connectors created, paused, resumed, restarted and deleted) is the same.
set -Eeuo pipefail

CONFIG=/opt/connect/config/worker.properties

write_config() {
    : "${BOOTSTRAP_SERVERS:?BOOTSTRAP_SERVERS must name the broker}"
    {
        echo "bootstrap.servers=${BOOTSTRAP_SERVERS}"
        echo "listeners=http://0.0.0.0:8083"
        echo "offset.storage.file.filename=/var/lib/connect/offsets"
        # plugin.path must not be empty; the jars are on the class path and found by ServiceLoader
        # (this reflections version is too old for Connect 3.9's scanner).
        echo "plugin.path=/opt/connect/plugins"
        echo "plugin.discovery=service_load"
        echo "key.converter=org.apache.kafka.connect.json.JsonConverter"
        echo "value.converter=org.apache.kafka.connect.json.JsonConverter"
        local name key
        while IFS='=' read -r name _; do
            case "$name" in
                CONNECT_*)
                    key="$(printf '%s' "${name#CONNECT_}" | tr '[:upper:]_' '[:lower:].')"
                    echo "${key}=${!name}"
                    ;;
            esac
        done < <(env)
    } > "$CONFIG"
}

case "${1:-start}" in
    start)
        write_config
        # C1 only and the serial collector: a small worker on a 2-core machine starts sooner.
        exec java ${HEAP_OPTS:--Xms256m -Xmx512m} -XX:TieredStopAtLevel=1 -XX:+UseSerialGC \
            -Dlog4j2.configurationFile=/opt/connect/config/log4j2.properties \
            -cp '/opt/connect/libs/*' org.apache.kafka.connect.cli.ConnectStandalone "$CONFIG"
        ;;
    *)
        exec "$@"
        ;;
esac
