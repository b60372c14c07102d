-- Scenario `jdbc-upsert-kafka`: flink dialect (upstream connector names: what `run` submits).
-- Target: PostgreSQL postgres:5432/harness as harness, Kafka kafka:9092, topic customers.

CREATE TABLE `customers_source` (
  `id` BIGINT,
  `email` STRING,
  `country` STRING,
  PRIMARY KEY (`id`) NOT ENFORCED
) WITH (
  'connector' = 'jdbc',
  'url' = 'jdbc:postgresql://postgres:5432/harness',
  'table-name' = 'public.customers',
  'username' = 'harness',
  'password' = '******',
  'scan.fetch-size' = '100'
);

CREATE TABLE `customers_sink` (
  `id` BIGINT,
  `email` STRING,
  `country` STRING,
  PRIMARY KEY (`id`) NOT ENFORCED
) WITH (
  'connector' = 'upsert-kafka',
  'topic' = 'customers',
  'properties.bootstrap.servers' = 'kafka:9092',
  'key.format' = 'json',
  'value.format' = 'json'
);

INSERT INTO `customers_sink`
SELECT `id`, `email`, `country`
FROM `customers_source`;
