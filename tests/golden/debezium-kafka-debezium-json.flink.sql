-- Scenario `debezium-kafka-debezium-json`: flink dialect (upstream connector names: what `run` submits).
-- Target: PostgreSQL postgres:5432/harness as harness, Kafka kafka:9092, topic accounts.
-- Columns of public.accounts: from the [postgres] setup SQL's CREATE TABLE.

-- Kafka Connect: the Debezium connector (POST /connectors), writing topic debezium_kafka_debezium_json.public.accounts:
-- {
--   "name": "debezium-kafka-debezium-json",
--   "config": {
--     "connector.class": "io.debezium.connector.postgresql.PostgresConnector",
--     "database.hostname": "postgres",
--     "database.port": "5432",
--     "database.user": "harness",
--     "database.password": "******",
--     "database.dbname": "harness",
--     "topic.prefix": "debezium_kafka_debezium_json",
--     "slot.name": "debezium_kafka_debezium_json",
--     "publication.name": "debezium_kafka_debezium_json_pub",
--     "publication.autocreate.mode": "disabled",
--     "plugin.name": "pgoutput",
--     "table.include.list": "public\\.accounts",
--     "key.converter": "org.apache.kafka.connect.json.JsonConverter",
--     "key.converter.schemas.enable": "false",
--     "value.converter": "org.apache.kafka.connect.json.JsonConverter",
--     "value.converter.schemas.enable": "false",
--     "decimal.handling.mode": "string"
--   }
-- }

CREATE TABLE `accounts_source` (
  `id` INT,
  `owner` STRING,
  `balance` DECIMAL(10, 2),
  PRIMARY KEY (`id`) NOT ENFORCED
) WITH (
  'connector' = 'kafka',
  'topic' = 'debezium_kafka_debezium_json.public.accounts',
  'properties.bootstrap.servers' = 'kafka:9092',
  'scan.startup.mode' = 'earliest-offset',
  'format' = 'debezium-json'
);

CREATE TABLE `accounts_sink` (
  `id` INT,
  `owner` STRING,
  `balance` DECIMAL(10, 2)
) WITH (
  'connector' = 'kafka',
  'topic' = 'accounts',
  'properties.bootstrap.servers' = 'kafka:9092',
  'format' = 'debezium-json'
);

INSERT INTO `accounts_sink`
SELECT `id`, `owner`, `balance`
FROM `accounts_source`;
