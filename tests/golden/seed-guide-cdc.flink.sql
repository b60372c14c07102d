-- Scenario `seed-guide-cdc`: flink dialect (upstream connector names: what `run` submits).
-- Target: PostgreSQL postgres:5432/harness as harness, Kafka kafka:9092, topic seed-cdc.

SET 'execution.checkpointing.interval' = '2s';

-- translated: 'connector' 'cdc-postgres' -> 'postgres-cdc' (upstream Flink matches connector names exactly)
-- rewritten: 'hostname' '<external-db-host>' -> 'postgres'
-- rewritten: 'database-name' '<your_database>' -> 'harness'
-- rewritten: 'username' '<db_user>' -> 'harness'
-- rewritten: 'password' '******' -> '******'
-- rewritten: 'slot.name' '<your_slot_name>' -> 'seed_guide_cdc'
-- added: 'debezium.publication.name' = 'seed_guide_cdc_pub'
CREATE TABLE external_pg_cdc_source (
  id INT PRIMARY KEY NOT ENFORCED,
  data VARCHAR
) WITH (
  'connector' = 'postgres-cdc',
  'hostname' = 'postgres',
  'port' = '5432',
  'database-name' = 'harness',
  'schema-name' = 'public',
  'table-name' = 'seed_data',
  'username' = 'harness',
  'password' = '******',
  'decoding.plugin.name' = 'pgoutput',
  'slot.name' = 'seed_guide_cdc',
  'debezium.publication.name' = 'seed_guide_cdc_pub'
);

CREATE TABLE `seed_cdc_sink` (
  `id` INT,
  `data` VARCHAR,
  PRIMARY KEY (`id`) NOT ENFORCED
) WITH (
  'connector' = 'upsert-kafka',
  'topic' = 'seed-cdc',
  'properties.bootstrap.servers' = 'kafka:9092',
  'key.format' = 'json',
  'value.format' = 'json'
);

INSERT INTO `seed_cdc_sink`
SELECT `id`, `data`
FROM external_pg_cdc_source;
