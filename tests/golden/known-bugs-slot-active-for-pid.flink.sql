-- Scenario `known-slot-active-for-pid`: flink dialect (upstream connector names: what `run` submits).
-- Target: PostgreSQL postgres:5432/harness as harness, Kafka kafka:9092, topic orders.
-- Columns of public.orders: from the [postgres] setup SQL's CREATE TABLE.

SET 'execution.checkpointing.interval' = '2s';

CREATE TABLE `orders_source` (
  `id` INT,
  `item` STRING,
  PRIMARY KEY (`id`) NOT ENFORCED
) WITH (
  'connector' = 'postgres-cdc',
  'hostname' = 'postgres',
  'port' = '5432',
  'database-name' = 'harness',
  'schema-name' = 'public',
  'table-name' = 'orders',
  'username' = 'harness',
  'password' = '******',
  'decoding.plugin.name' = 'pgoutput',
  'slot.name' = 'known_slot_active_for_pid',
  'debezium.publication.name' = 'known_slot_active_for_pid_pub'
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
