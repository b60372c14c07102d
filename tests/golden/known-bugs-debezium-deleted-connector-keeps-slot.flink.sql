-- Scenario `known-debezium-deleted-connector-keeps-slot`: flink dialect (upstream connector names: what `run` submits).
-- Target: PostgreSQL postgres:5432/harness as harness, Kafka kafka:9092, topic events.
-- Columns of public.events: from the [postgres] setup SQL's CREATE TABLE.

-- Kafka Connect: the Debezium connector (POST /connectors), writing topic known_debezium_deleted_connector_keeps_slot.public.events:
-- {
--   "name": "known-debezium-deleted-connector-keeps-slot",
--   "config": {
--     "connector.class": "io.debezium.connector.postgresql.PostgresConnector",
--     "database.hostname": "postgres",
--     "database.port": "5432",
--     "database.user": "harness",
--     "database.password": "******",
--     "database.dbname": "harness",
--     "topic.prefix": "known_debezium_deleted_connector_keeps_slot",
--     "slot.name": "known_debezium_deleted_connector_keeps_slot",
--     "publication.name": "known_debezium_deleted_connector_keeps_slot_pub",
--     "publication.autocreate.mode": "disabled",
--     "plugin.name": "pgoutput",
--     "table.include.list": "public\\.events",
--     "key.converter": "org.apache.kafka.connect.json.JsonConverter",
--     "key.converter.schemas.enable": "false",
--     "value.converter": "org.apache.kafka.connect.json.JsonConverter",
--     "value.converter.schemas.enable": "false",
--     "decimal.handling.mode": "string"
--   }
-- }

CREATE TABLE `events_source` (
  `id` BIGINT,
  `payload` STRING,
  PRIMARY KEY (`id`) NOT ENFORCED
) WITH (
  'connector' = 'kafka',
  'topic' = 'known_debezium_deleted_connector_keeps_slot.public.events',
  'properties.bootstrap.servers' = 'kafka:9092',
  'scan.startup.mode' = 'earliest-offset',
  'format' = 'debezium-json'
);

CREATE TABLE `events_sink` (
  `id` BIGINT,
  `payload` STRING,
  PRIMARY KEY (`id`) NOT ENFORCED
) WITH (
  'connector' = 'upsert-kafka',
  'topic' = 'events',
  'properties.bootstrap.servers' = 'kafka:9092',
  'key.format' = 'json',
  'value.format' = 'json'
);

INSERT INTO `events_sink`
SELECT `id`, `payload`
FROM `events_source`;
