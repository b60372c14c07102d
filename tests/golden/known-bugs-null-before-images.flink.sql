-- Scenario `known-null-before-images`: flink dialect (upstream connector names: what `run` submits).
-- Target: PostgreSQL postgres:5432/harness as harness, Kafka kafka:9092, topic accounts.
-- Columns of public.accounts: from the [postgres] setup SQL's CREATE TABLE.

SET 'execution.checkpointing.interval' = '2s';
SET 'restart-strategy.type' = 'none';

CREATE TABLE `accounts_source` (
  `id` INT,
  `owner` STRING,
  `balance` INT,
  PRIMARY KEY (`id`) NOT ENFORCED
) WITH (
  'connector' = 'postgres-cdc',
  'hostname' = 'postgres',
  'port' = '5432',
  'database-name' = 'harness',
  'schema-name' = 'public',
  'table-name' = 'accounts',
  'username' = 'harness',
  'password' = '******',
  'decoding.plugin.name' = 'pgoutput',
  'slot.name' = 'known_null_before_images',
  'debezium.publication.name' = 'known_null_before_images_pub'
);

CREATE TABLE `accounts_sink` (
  `id` INT,
  `owner` STRING,
  `balance` INT
) WITH (
  'connector' = 'kafka',
  'topic' = 'accounts',
  'properties.bootstrap.servers' = 'kafka:9092',
  'format' = 'debezium-json'
);

INSERT INTO `accounts_sink`
SELECT `id`, `owner`, `balance`
FROM `accounts_source`;
