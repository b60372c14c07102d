-- Scenario `cdc-types`: flink dialect (upstream connector names: what `run` submits).
-- Target: PostgreSQL postgres:5432/harness as harness, Kafka kafka:9092, topic typed.
-- Columns of public.typed: from the [postgres] setup SQL's CREATE TABLE.

SET 'execution.checkpointing.interval' = '2s';

CREATE TABLE `typed_source` (
  `id` INT,
  `amount` DECIMAL(10, 2),
  `big` BIGINT,
  `ratio` DOUBLE,
  `flag` BOOLEAN,
  `day` DATE,
  `at_local` TIMESTAMP(3),
  `at_zoned` TIMESTAMP_LTZ,
  `label` STRING,
  `payload` BYTES,
  `doc` STRING,
  PRIMARY KEY (`id`) NOT ENFORCED
) WITH (
  'connector' = 'postgres-cdc',
  'hostname' = 'postgres',
  'port' = '5432',
  'database-name' = 'harness',
  'schema-name' = 'public',
  'table-name' = 'typed',
  'username' = 'harness',
  'password' = '******',
  'decoding.plugin.name' = 'pgoutput',
  'slot.name' = 'cdc_types',
  'debezium.publication.name' = 'cdc_types_pub'
);

CREATE TABLE `typed_sink` (
  `id` INT,
  `amount` DECIMAL(10, 2),
  `big` BIGINT,
  `ratio` DOUBLE,
  `flag` BOOLEAN,
  `day` DATE,
  `at_local` TIMESTAMP(3),
  `at_zoned` TIMESTAMP_LTZ,
  `label` STRING,
  `payload` BYTES,
  `doc` STRING,
  PRIMARY KEY (`id`) NOT ENFORCED
) WITH (
  'connector' = 'upsert-kafka',
  'topic' = 'typed',
  'properties.bootstrap.servers' = 'kafka:9092',
  'key.format' = 'json',
  'value.format' = 'json'
);

INSERT INTO `typed_sink`
SELECT `id`, `amount`, `big`, `ratio`, `flag`, `day`, `at_local`, `at_zoned`, `label`, `payload`, `doc`
FROM `typed_source`;
