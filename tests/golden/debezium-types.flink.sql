-- Scenario `debezium-types`: flink dialect (upstream connector names: what `run` submits).
-- Target: PostgreSQL postgres:5432/harness as harness, Kafka kafka:9092, topic typed.
-- Columns of public.typed: from the [postgres] setup SQL's CREATE TABLE.

-- Kafka Connect: the Debezium connector (POST /connectors), writing topic debezium_types.public.typed:
-- {
--   "name": "debezium-types",
--   "config": {
--     "connector.class": "io.debezium.connector.postgresql.PostgresConnector",
--     "database.hostname": "postgres",
--     "database.port": "5432",
--     "database.user": "harness",
--     "database.password": "******",
--     "database.dbname": "harness",
--     "topic.prefix": "debezium_types",
--     "slot.name": "debezium_types",
--     "publication.name": "debezium_types_pub",
--     "publication.autocreate.mode": "disabled",
--     "plugin.name": "pgoutput",
--     "table.include.list": "public\\.typed",
--     "key.converter": "org.apache.kafka.connect.json.JsonConverter",
--     "key.converter.schemas.enable": "false",
--     "value.converter": "org.apache.kafka.connect.json.JsonConverter",
--     "value.converter.schemas.enable": "false",
--     "decimal.handling.mode": "string"
--   }
-- }

SET 'table.local-time-zone' = 'UTC';

-- `day` INT: Debezium writes DATE days since 1970-01-01; the INSERT converts it to DATE.
-- `at_local` BIGINT: Debezium writes TIMESTAMP(3) milliseconds since 1970-01-01 00:00:00; the INSERT converts it to TIMESTAMP(3).
-- `at_micro` BIGINT: Debezium writes TIMESTAMP microseconds since 1970-01-01 00:00:00; the INSERT converts it to TIMESTAMP.
-- `at_time` BIGINT: Debezium writes TIME microseconds since midnight; the INSERT converts it to TIME.
CREATE TABLE `typed_source` (
  `id` INT,
  `amount` DECIMAL(10, 2),
  `big` BIGINT,
  `ratio` DOUBLE,
  `flag` BOOLEAN,
  `day` INT,
  `at_local` BIGINT,
  `at_micro` BIGINT,
  `at_zoned` TIMESTAMP_LTZ,
  `at_time` BIGINT,
  `label` STRING,
  `payload` BYTES,
  `doc` STRING,
  PRIMARY KEY (`id`) NOT ENFORCED
) WITH (
  'connector' = 'kafka',
  'topic' = 'debezium_types.public.typed',
  'properties.bootstrap.servers' = 'kafka:9092',
  'scan.startup.mode' = 'earliest-offset',
  'format' = 'debezium-json',
  'debezium-json.timestamp-format.standard' = 'ISO-8601'
);

CREATE TABLE `typed_sink` (
  `id` INT,
  `amount` DECIMAL(10, 2),
  `big` BIGINT,
  `ratio` DOUBLE,
  `flag` BOOLEAN,
  `day` DATE,
  `at_local` TIMESTAMP(3),
  `at_micro` TIMESTAMP,
  `at_zoned` TIMESTAMP_LTZ,
  `at_time` TIME,
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
SELECT `id`, `amount`, `big`, `ratio`, `flag`, TIMESTAMPADD(DAY, `day`, DATE '1970-01-01') AS `day`, CAST(TO_TIMESTAMP_LTZ(`at_local`, 3) AS TIMESTAMP(3)) AS `at_local`, CAST(CONCAT(FROM_UNIXTIME(CAST(FLOOR(`at_micro` / 1000000.0) AS BIGINT)), '.', LPAD(CAST(`at_micro` - CAST(FLOOR(`at_micro` / 1000000.0) AS BIGINT) * 1000000 AS STRING), 6, '0')) AS TIMESTAMP) AS `at_micro`, `at_zoned`, CAST(CAST(TO_TIMESTAMP_LTZ(`at_time` / 1000, 3) AS TIMESTAMP(3)) AS TIME) AS `at_time`, `label`, `payload`, `doc`
FROM `typed_source`;
