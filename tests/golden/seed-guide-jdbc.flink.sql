-- Scenario `seed-guide-jdbc`: flink dialect (upstream connector names: what `run` submits).
-- Target: PostgreSQL postgres:5432/harness as harness, Kafka kafka:9092, topic seed-jdbc.

-- translated: 'connector' 'JDBC' -> 'jdbc' (upstream Flink matches connector names exactly)
-- rewritten: 'url' 'jdbc:postgresql://<external-db-host>:5432/<your_database>' -> 'jdbc:postgresql://postgres:5432/harness'
-- rewritten: 'username' '<db_user>' -> 'harness'
-- rewritten: 'password' '******' -> '******'
CREATE TABLE external_pg_jdbc_sink (
   id INT PRIMARY KEY NOT ENFORCED,
   data VARCHAR
) WITH (
   'connector' = 'jdbc',
   'url' = 'jdbc:postgresql://postgres:5432/harness',
   'table-name' = 'seed_data',
   'username' = 'harness',
   'password' = '******'
);

CREATE TABLE `seed_jdbc_sink` (
  `id` INT,
  `data` VARCHAR
) WITH (
  'connector' = 'kafka',
  'topic' = 'seed-jdbc',
  'properties.bootstrap.servers' = 'kafka:9092',
  'format' = 'json'
);

INSERT INTO `seed_jdbc_sink`
SELECT `id`, `data`
FROM external_pg_jdbc_sink;
