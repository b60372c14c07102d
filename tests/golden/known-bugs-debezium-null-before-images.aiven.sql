-- Scenario `known-debezium-null-before-images`: aiven dialect (connector names as the Aiven console writes them; `run` submits the flink dialect).
-- Target: PostgreSQL postgres:5432/harness as harness, Kafka kafka:9092, topic accounts.
-- Columns of public.accounts: from the [postgres] setup SQL's CREATE TABLE.
-- Aiven: create the connector in Aiven for Apache Kafka Connect (console or `avn service connector create`), and the source table in Aiven for Apache Flink over its topic through the Kafka integration, which supplies 'properties.bootstrap.servers'.

-- Kafka Connect: the Debezium connector (POST /connectors), writing topic known_debezium_null_before_images.public.accounts:
-- {
--   "name": "known-debezium-null-before-images",
--   "config": {
--     "connector.class": "io.debezium.connector.postgresql.PostgresConnector",
--     "database.hostname": "postgres",
--     "database.port": "5432",
--     "database.user": "harness",
--     "database.password": "******",
--     "database.dbname": "harness",
--     "topic.prefix": "known_debezium_null_before_images",
--     "slot.name": "known_debezium_null_before_images",
--     "publication.name": "known_debezium_null_before_images_pub",
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
  `balance` INT,
  PRIMARY KEY (`id`) NOT ENFORCED
) WITH (
  'connector' = 'kafka',
  'topic' = 'known_debezium_null_before_images.public.accounts',
  'properties.bootstrap.servers' = 'kafka:9092',
  'scan.startup.mode' = 'earliest-offset',
  'format' = 'debezium-json'
);

CREATE TABLE `accounts_sink` (
  `id` INT,
  `owner` STRING,
  `balance` INT,
  PRIMARY KEY (`id`) NOT ENFORCED
) WITH (
  'connector' = 'upsert-kafka',
  'topic' = 'accounts',
  'properties.bootstrap.servers' = 'kafka:9092',
  'key.format' = 'json',
  'value.format' = 'json'
);

INSERT INTO `accounts_sink`
SELECT `id`, `owner`, `balance`
FROM `accounts_source`;
