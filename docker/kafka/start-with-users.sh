#!/bin/bash
# Starts the broker (the image's own entry point), then creates a SCRAM user per xmrec role with the
# password of PASSWORD_<ROLE> and its ACLs (acls.sh) over the listener that only this container
# reaches (127.0.0.1:9094). Clients come in over SASL/SCRAM; anonymous clients get nothing.
set -euo pipefail
/etc/kafka/docker/run &
broker=$!
bin=/opt/kafka/bin
until "$bin/kafka-broker-api-versions.sh" --bootstrap-server 127.0.0.1:9094 >/dev/null 2>&1; do sleep 1; done
for role in topics holdouts updater evaluator serve registry ingest client; do
  var="PASSWORD_$(echo "$role" | tr '[:lower:]' '[:upper:]')"
  "$bin/kafka-configs.sh" --bootstrap-server 127.0.0.1:9094 --alter --entity-type users --entity-name "xmrec-$role" \
      --add-config "SCRAM-SHA-512=[password=${!var:?set $var}]" >/dev/null
done
bash /xmrec/kafka/acls.sh 127.0.0.1:9094
touch /tmp/users-ready
wait "$broker"
