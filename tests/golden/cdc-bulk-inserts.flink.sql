-- Scenario `cdc-bulk-inserts`: flink dialect (upstream connector names: what `run` submits).
-- Target: PostgreSQL postgres:5432/harness as harness, Kafka kafka:9092, topic events.
-- Columns of public.events: from the [postgres] setup SQL's CREATE TABLE.

SET 'execution.checkpointing.interval' = '2s';

CREATE TABLE `events_source` (
  `id` BIGINT,
  `kind` STRING,
  `payload` STRING,
  PRIMARY KEY (`id`) NOT ENFORCED
) WITH (
  'connector' = 'postgres-cdc',
  'hostname' = 'postgres',
  'port' = '5432',
  'database-name' = 'harness',
  'schema-name' = 'public',
  'table-name' = 'events',
  'username' = 'harness',
  'password' = '******',
  'decoding.plugin.name' = 'pgoutput',
  'slot.name' = 'cdc_bulk_inserts',
  'debezium.publication.name' = 'cdc_bulk_inserts_pub'
);

CREATE TABLE `events_sink` (
  `id` BIGINT,
  `kind` STRING,
  `payload` STRING,
  PRIMARY KEY (`id`) NOT ENFORCED
) WITH (
  'connector' = 'upsert-kafka',
  'topic' = 'events',
  'properties.bootstrap.servers' = 'kafka:9092',
  'key.format' = 'json',
  'value.format' = 'json'
);

INSERT INTO `events_sink`
SELECT `id`, `kind`, `payload`
FROM `events_source`;
