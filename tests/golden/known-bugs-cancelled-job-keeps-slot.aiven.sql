-- Scenario `known-cancelled-job-keeps-slot`: aiven dialect (connector names as the Aiven console writes them; `run` submits the flink dialect).
-- Target: PostgreSQL postgres:5432/harness as harness, Kafka kafka:9092, topic events.
-- Columns of public.events: from the [postgres] setup SQL's CREATE TABLE.

-- Job settings (set them on the deployment: they are not part of a table's SQL):
-- SET 'execution.checkpointing.interval' = '2s';

CREATE TABLE `events_source` (
  `id` BIGINT,
  `payload` STRING,
  PRIMARY KEY (`id`) NOT ENFORCED
) WITH (
  'connector' = 'cdc-postgres',
  'hostname' = 'postgres',
  'port' = '5432',
  'database-name' = 'harness',
  'schema-name' = 'public',
  'table-name' = 'events',
  'username' = 'harness',
  'password' = '******',
  'decoding.plugin.name' = 'pgoutput',
  'slot.name' = 'known_cancelled_job_keeps_slot',
  'debezium.publication.name' = 'known_cancelled_job_keeps_slot_pub'
);

CREATE TABLE `events_sink` (
  `id` BIGINT,
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
SELECT `id`, `payload`
FROM `events_source`;
