-- Scenario `jdbc-types`: flink dialect (upstream connector names: what `run` submits).
-- Target: PostgreSQL postgres:5432/harness as harness, Kafka kafka:9092, topic typed.

CREATE TABLE `typed_read_source` (
  `id` INT,
  `amount` DECIMAL(10, 2),
  `big` BIGINT,
  `ratio` DOUBLE,
  `flag` BOOLEAN,
  `day` DATE,
  `at_local` TIMESTAMP(3),
  `at_zoned` TIMESTAMP,
  `label` STRING,
  `payload` BYTES,
  `doc` STRING,
  PRIMARY KEY (`id`) NOT ENFORCED
) WITH (
  'connector' = 'jdbc',
  'url' = 'jdbc:postgresql://postgres:5432/harness',
  'table-name' = 'public.typed_read',
  'username' = 'harness',
  'password' = '******'
);

CREATE TABLE `typed_sink` (
  `id` INT,
  `amount` DECIMAL(10, 2),
  `big` BIGINT,
  `ratio` DOUBLE,
  `flag` BOOLEAN,
  `day` DATE,
  `at_local` TIMESTAMP(3),
  `at_zoned` TIMESTAMP,
  `label` STRING,
  `payload` BYTES,
  `doc` STRING
) WITH (
  'connector' = 'kafka',
  'topic' = 'typed',
  'properties.bootstrap.servers' = 'kafka:9092',
  'format' = 'json'
);

INSERT INTO `typed_sink`
SELECT `id`, `amount`, `big`, `ratio`, `flag`, `day`, `at_local`, `at_zoned`, `label`, `payload`, `doc`
FROM `typed_read_source`;
