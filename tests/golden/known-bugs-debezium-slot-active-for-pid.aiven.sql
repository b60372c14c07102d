-- Scenario `known-debezium-slot-active-for-pid`: aiven dialect (connector names as the Aiven console writes them; `run` submits the flink dialect).
-- Target: PostgreSQL postgres:5432/harness as harness, Kafka kafka:9092, topic orders.
-- Columns of public.orders: from the [postgres] setup SQL's CREATE TABLE.
-- Aiven: create the connector in Aiven for Apache Kafka Connect (console or `avn service connector create`), and the source table in Aiven for Apache Flink over its topic through the Kafka integration, which supplies 'properties.bootstrap.servers'.

-- Kafka Connect: the Debezium connector (POST /connectors), writing topic known_debezium_slot_active_for_pid.public.orders:
-- {
--   "name": "known-debezium-slot-active-for-pid",
--   "config": {
--     "connector.class": "io.debezium.connector.postgresql.PostgresConnector",
--     "database.hostname": "postgres",
--     "database.port": "5432",
--     "database.user": "harness",
--     "database.password": "******",
--     "database.dbname": "harness",
--     "topic.prefix": "known_debezium_slot_active_for_pid",
--     "slot.name": "known_debezium_slot_active_for_pid",
--     "publication.name": "known_debezium_slot_active_for_pid_pub",
--     "publication.autocreate.mode": "disabled",
--     "plugin.name": "pgoutput",
--     "table.include.list": "public\\.orders",
--     "key.converter": "org.apache.kafka.connect.json.JsonConverter",
--     "key.converter.schemas.enable": "false",
--     "value.converter": "org.apache.kafka.connect.json.JsonConverter",
--     "value.converter.schemas.enable": "false",
--     "decimal.handling.mode": "string",
--     "slot.max.retries": "2",
--     "slot.retry.delay.ms": "1000",
--     "errors.max.retries": "1",
--     "retriable.restart.connector.wait.ms": "1000"
--   }
-- }

CREATE TABLE `orders_source` (
  `id` INT,
  `item` STRING,
  PRIMARY KEY (`id`) NOT ENFORCED
) WITH (
  'connector' = 'kafka',
  'topic' = 'known_debezium_slot_active_for_pid.public.orders',
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
