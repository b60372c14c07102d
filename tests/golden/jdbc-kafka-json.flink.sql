-- Scenario `jdbc-kafka-json`: flink dialect (upstream connector names: what `run` submits).
-- Target: PostgreSQL postgres:5432/harness as harness, Kafka kafka:9092, topic products.
-- Columns of public.products: from the [postgres] setup SQL's CREATE TABLE.

CREATE TABLE `products_source` (
  `id` INT,
  `name` STRING,
  `price` DECIMAL(8, 2),
  PRIMARY KEY (`id`) NOT ENFORCED
) WITH (
  'connector' = 'jdbc',
  'url' = 'jdbc:postgresql://postgres:5432/harness',
  'table-name' = 'public.products',
  'username' = 'harness',
  'password' = '******'
);

CREATE TABLE `products_sink` (
  `id` INT,
  `name` STRING,
  `price` DECIMAL(8, 2)
) WITH (
  'connector' = 'kafka',
  'topic' = 'products',
  'properties.bootstrap.servers' = 'kafka:9092',
  'format' = 'json'
);

INSERT INTO `products_sink`
SELECT `id`, `name`, `price`
FROM `products_source`;
