-- Scenario `debezium-bulk-inserts`: aiven dialect (connector names as the Aiven console writes them; `run` submits the flink dialect).
-- Target: PostgreSQL postgres:5432/harness as harness, Kafka kafka:9092, topic events.
-- Columns of public.events: from the [postgres] setup SQL's CREATE TABLE.
-- Aiven: create the connector in Aiven for Apache Kafka Connect (console or `avn service connector create`), and the source table in Aiven for Apache Flink over its topic through the Kafka integration, which supplies 'properties.bootstrap.servers'.

-- Kafka Connect: the Debezium connector (POST /connectors), writing topic debezium_bulk_inserts.public.events:
-- {
--   "name": "debezium-bulk-inserts",
--   "config": {
--     "connector.class": "io.debezium.connector.postgresql.PostgresConnector",
--     "database.hostname": "postgres",
--     "database.port": "5432",
--     "database.user": "harness",
--     "database.password": "******",
--     "database.dbname": "harness",
--     "topic.prefix": "debezium_bulk_inserts",
--     "slot.name": "debezium_bulk_inserts",
--     "publication.name": "debezium_bulk_inserts_pub",
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
  `kind` STRING,
  `payload` STRING,
  PRIMARY KEY (`id`) NOT ENFORCED
) WITH (
  'connector' = 'kafka',
  'topic' = 'debezium_bulk_inserts.public.events',
  'properties.bootstrap.servers' = 'kafka:9092',
  'scan.startup.mode' = 'earliest-offset',
  'format' = 'debezium-json'
);

CREATE TABLE `events_sink` (
  `id` BIGINT,
  `kind` STRING,
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
SELECT `id`, `kind`, `payload`
FROM `events_source`;
