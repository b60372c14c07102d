-- Scenario `known-publication-permission`: flink dialect (upstream connector names: what `run` submits).
-- Target: PostgreSQL postgres:5432/harness as harness, Kafka kafka:9092, topic customers.
-- Columns of public.customers: from the [postgres] setup SQL's CREATE TABLE.

SET 'execution.checkpointing.interval' = '2s';

CREATE TABLE `customers_source` (
  `id` INT,
  `name` STRING,
  PRIMARY KEY (`id`) NOT ENFORCED
) WITH (
  'connector' = 'postgres-cdc',
  'hostname' = 'postgres',
  'port' = '5432',
  'database-name' = 'harness',
  'schema-name' = 'public',
  'table-name' = 'customers',
  'username' = 'harness',
  'password' = '******',
  'decoding.plugin.name' = 'pgoutput',
  'slot.name' = 'known_publication_permission',
  'debezium.publication.name' = 'dbz_publication'
);

CREATE TABLE `customers_sink` (
  `id` INT,
  `name` STRING,
  PRIMARY KEY (`id`) NOT ENFORCED
) WITH (
  'connector' = 'upsert-kafka',
  'topic' = 'customers',
  'properties.bootstrap.servers' = 'kafka:9092',
  'key.format' = 'json',
  'value.format' = 'json'
);

INSERT INTO `customers_sink`
SELECT `id`, `name`
FROM `customers_source`;
