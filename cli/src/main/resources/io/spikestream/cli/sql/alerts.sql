-- Log records (JSON) in, one alert per surprising line out, exactly once.
SET 'execution.checkpointing.interval' = '10 s';

CREATE TABLE logs (
  service STRING,
  message STRING
) WITH (
  'connector' = 'kafka',
  'topic' = 'logs',
  'properties.bootstrap.servers' = 'localhost:9092',
  'properties.group.id' = 'spikestream-sql',
  'scan.startup.mode' = 'earliest-offset',
  'format' = 'json'
);

CREATE TABLE log_alerts (
  service STRING,
  line BIGINT,
  line_text STRING,
  mean_surprisal DOUBLE,
  threshold DOUBLE
) WITH (
  'connector' = 'kafka',
  'topic' = 'log-alerts',
  'properties.bootstrap.servers' = 'localhost:9092',
  'format' = 'json',
  'sink.delivery-guarantee' = 'exactly-once',
  'sink.transactional-id-prefix' = 'spikestream-sql-alerts',
  'properties.transaction.timeout.ms' = '900000'
);

INSERT INTO log_alerts
SELECT service, line, line_text, mean_surprisal, threshold
FROM score_lines(
  input => TABLE logs PARTITION BY service,
  text_column => 'message',
  model => '/abs/path/to/spikestream/models/demo-logs',
  alert_threshold => 'p99.9')
WHERE alert;
