#!/bin/sh
# The official image starts the SQL Gateway with `bin/sql-gateway.sh start-foreground`. No gateway
# jar is obtainable for this locally built image, so say so instead of failing obscurely.
echo "error: this locally built Flink image has no SQL Gateway (no gateway jar is obtainable from PyPI)." >&2
echo "       Submit SQL with the SQL-runner jar /opt/cdc-harness/sql-runner.jar through the REST API" >&2
echo "       (POST /jars/upload, then POST /jars/<id>/run with programArgsList [\"--sql-base64\", ...])," >&2
echo "       or use the registry images (cdc-harness --images registry)." >&2
exit 1
