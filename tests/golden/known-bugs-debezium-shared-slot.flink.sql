-- Scenario `known-debezium-shared-slot`: flink dialect (upstream connector names: what `run` submits).
-- Target: PostgreSQL postgres:5432/harness as harness, Kafka kafka:9092, topic orders.
-- Columns of public.orders: from the [postgres] setup SQL's CREATE TABLE.

-- Kafka Connect: the Debezium connector (POST /connectors), writing topic known_debezium_shared_slot.public.orders:
-- {
--   "name": "known-debezium-shared-slot",
--   "config": {
--     "connector.class": "io.debezium.connector.postgresql.PostgresConnector",
--     "database.hostname": "postgres",
--     "database.port": "5432",
--     "database.user": "harness",
--     "database.password": "******",
--     "database.dbname": "harness",
--     "topic.prefix": "known_debezium_shared_slot",
--     "slot.name": "known_debezium_shared_slot",
--     "publication.name": "known_debezium_shared_slot_pub",
--     "publication.autocreate.mode": "disabled",
--     "plugin.name": "pgoutput",
--     "table.include.list": "public\\.orders",
--     "key.converter": "org.apache.kafka.connect.json.JsonConverter",
--     "key.converter.schemas.enable": "false",
--     "value.converter": "org.apache.kafka.connect.json.JsonConverter",
--     "value.converter.schemas.enable": "false",
--     "decimal.handling.mode": "string"
--   }
-- }

CREATE TABLE `orders_source` (
  `id` INT,
  `item` STRING,
  PRIMARY KEY (`id`) NOT ENFORCED
) WITH (
  'connector' = 'kafka',
  'topic' = 'known_debezium_shared_slot.public.orders',
  'properties.bootstrap.servers' = 'kafka:9092',
  'scan.startup.mode' = 'earliest-offset',
  'format' = 'debezium-json'
);

CREATE TABLE `orders_sink` (
  `id` INT,
  `item` STRING,
  PRIMARY KEY (`id`) NOT ENFORCED
) WITH (
  'connector' = 'upsert-kafka',
  'topic' = 'orders',
  'properties.bootstrap.servers' = 'kafka:9092',
  'key.format' = 'json',
  'value.format' = 'json'
);

INSERT INTO `orders_sink`
SELECT `id`, `item`
FROM `orders_source`;
