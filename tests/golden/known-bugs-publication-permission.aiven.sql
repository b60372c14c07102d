-- Scenario `known-publication-permission`: aiven dialect (connector names as the Aiven console writes them; `run` submits the flink dialect).
-- Target: PostgreSQL postgres:5432/harness as harness, Kafka kafka:9092, topic customers.
-- Columns of public.customers: from the [postgres] setup SQL's CREATE TABLE.

-- Job settings (set them on the deployment: they are not part of a table's SQL):
-- SET 'execution.checkpointing.interval' = '2s';

CREATE TABLE `customers_source` (
  `id` INT,
  `name` STRING,
  PRIMARY KEY (`id`) NOT ENFORCED
) WITH (
  'connector' = 'cdc-postgres',
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
