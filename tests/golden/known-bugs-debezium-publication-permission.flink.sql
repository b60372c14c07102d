-- Scenario `known-debezium-publication-permission`: flink dialect (upstream connector names: what `run` submits).
-- Target: PostgreSQL postgres:5432/harness as harness, Kafka kafka:9092, topic customers.
-- Columns of public.customers: from the [postgres] setup SQL's CREATE TABLE.

-- Kafka Connect: the Debezium connector (POST /connectors), writing topic crm.public.customers:
-- rewritten: "name" "customers" -> "known-debezium-publication-permission"
-- rewritten: "database.hostname" "<db-host>" -> "postgres"
-- rewritten: "database.user" "<db-user>" -> "harness"
-- rewritten: "database.password" "******" -> "******"
-- rewritten: "database.dbname" "<db-name>" -> "harness"
-- {
--   "name": "known-debezium-publication-permission",
--   "config": {
--     "connector.class": "io.debezium.connector.postgresql.PostgresConnector",
--     "database.hostname": "postgres",
--     "database.port": "5432",
--     "database.user": "harness",
--     "database.password": "******",
--     "database.dbname": "harness",
--     "topic.prefix": "crm",
--     "plugin.name": "pgoutput",
--     "slot.name": "crm_customers",
--     "table.include.list": "public.customers",
--     "decimal.handling.mode": "string",
--     "key.converter": "org.apache.kafka.connect.json.JsonConverter",
--     "key.converter.schemas.enable": "false",
--     "value.converter": "org.apache.kafka.connect.json.JsonConverter",
--     "value.converter.schemas.enable": "false"
--   }
-- }

CREATE TABLE `customers_source` (
  `id` INT,
  `name` STRING,
  PRIMARY KEY (`id`) NOT ENFORCED
) WITH (
  'connector' = 'kafka',
  'topic' = 'crm.public.customers',
  'properties.bootstrap.servers' = 'kafka:9092',
  'scan.startup.mode' = 'earliest-offset',
  'format' = 'debezium-json'
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
