-- Scenario `debezium-upsert-kafka`: aiven dialect (connector names as the Aiven console writes them; `run` submits the flink dialect).
-- Target: PostgreSQL postgres:5432/harness as harness, Kafka kafka:9092, topic orders.
-- Columns of public.orders: from the [postgres] setup SQL's CREATE TABLE.
-- Aiven: create the connector in Aiven for Apache Kafka Connect (console or `avn service connector create`), and the source table in Aiven for Apache Flink over its topic through the Kafka integration, which supplies 'properties.bootstrap.servers'.

-- Kafka Connect: the Debezium connector (POST /connectors), writing topic debezium_upsert_kafka.public.orders:
-- {
--   "name": "debezium-upsert-kafka",
--   "config": {
--     "connector.class": "io.debezium.connector.postgresql.PostgresConnector",
--     "database.hostname": "postgres",
--     "database.port": "5432",
--     "database.user": "harness",
--     "database.password": "******",
--     "database.dbname": "harness",
--     "topic.prefix": "debezium_upsert_kafka",
--     "slot.name": "debezium_upsert_kafka",
--     "publication.name": "debezium_upsert_kafka_pub",
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
  `quantity` INT,
  PRIMARY KEY (`id`) NOT ENFORCED
) WITH (
  'connector' = 'kafka',
  'topic' = 'debezium_upsert_kafka.public.orders',
  'properties.bootstrap.servers' = 'kafka:9092',
  'scan.startup.mode' = 'earliest-offset',
  'format' = 'debezium-json'
);

CREATE TABLE `orders_sink` (
  `id` INT,
  `item` STRING,
  `quantity` INT,
  PRIMARY KEY (`id`) NOT ENFORCED
) WITH (
  'connector' = 'upsert-kafka',
  'topic' = 'orders',
  'properties.bootstrap.servers' = 'kafka:9092',
  'key.format' = 'json',
  'value.format' = 'json'
);

INSERT INTO `orders_sink`
SELECT `id`, `item`, `quantity`
FROM `orders_source`;
