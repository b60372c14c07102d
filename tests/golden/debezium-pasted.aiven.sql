-- Scenario `debezium-pasted`: aiven dialect (connector names as the Aiven console writes them; `run` submits the flink dialect).
-- Target: PostgreSQL postgres:5432/harness as harness, Kafka kafka:9092, topic orders-out.
-- Aiven: create the connector in Aiven for Apache Kafka Connect (console or `avn service connector create`), and the source table in Aiven for Apache Flink over its topic through the Kafka integration, which supplies 'properties.bootstrap.servers'.

-- Kafka Connect: the Debezium connector (POST /connectors), writing topic shop.public.inventory_orders:
-- rewritten: "name" "inventory-connector" -> "debezium-pasted"
-- rewritten: "database.hostname" "prod-db.example.com" -> "postgres"
-- rewritten: "database.user" "debezium" -> "harness"
-- rewritten: "database.password" "******" -> "******"
-- rewritten: "database.dbname" "shop" -> "harness"
-- {
--   "name": "debezium-pasted",
--   "config": {
--     "connector.class": "io.debezium.connector.postgresql.PostgresConnector",
--     "database.hostname": "postgres",
--     "database.port": "5432",
--     "database.user": "harness",
--     "database.password": "******",
--     "database.dbname": "harness",
--     "topic.prefix": "shop",
--     "plugin.name": "pgoutput",
--     "slot.name": "shop_slot",
--     "publication.name": "shop_publication",
--     "publication.autocreate.mode": "disabled",
--     "table.include.list": "public.inventory_orders",
--     "decimal.handling.mode": "string",
--     "key.converter": "org.apache.kafka.connect.json.JsonConverter",
--     "key.converter.schemas.enable": "false",
--     "value.converter": "org.apache.kafka.connect.json.JsonConverter",
--     "value.converter.schemas.enable": "false"
--   }
-- }

-- rewritten: 'properties.bootstrap.servers' 'kafka.example.com:9092' -> 'kafka:9092'
CREATE TABLE orders_src (
  id INT,
  placed INT,
  total DECIMAL(8, 2),
  PRIMARY KEY (id) NOT ENFORCED
) WITH (
  'connector' = 'kafka',
  'topic' = 'shop.public.inventory_orders',
  'properties.bootstrap.servers' = 'kafka:9092',
  'scan.startup.mode' = 'earliest-offset',
  'format' = 'debezium-json'
);

CREATE TABLE `orders_out_sink` (
  `id` INT,
  `placed` DATE,
  `total` DECIMAL(8, 2),
  PRIMARY KEY (`id`) NOT ENFORCED
) WITH (
  'connector' = 'upsert-kafka',
  'topic' = 'orders-out',
  'properties.bootstrap.servers' = 'kafka:9092',
  'key.format' = 'json',
  'value.format' = 'json'
);

-- INSERT from the scenario's [flink] insert.
INSERT INTO orders_out_sink
SELECT id, TIMESTAMPADD(DAY, placed, DATE '1970-01-01'), total FROM orders_src;
