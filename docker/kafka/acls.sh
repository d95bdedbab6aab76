#!/bin/bash
# The ACLs of every role's Kafka user, as io.xmrec.schemas.Access defines them: each role writes only its own
# outputs. Run by start-with-users.sh against the broker's in-container listener: acls.sh HOST:PORT
# Written by `xmrec manifests` from the code; change io.xmrec.schemas.TopicSetup or
# Access and run it again instead of editing this file.
set -euo pipefail
acl() { /opt/kafka/bin/kafka-acls.sh --bootstrap-server "$1" --add "${@:2}" >/dev/null; }
acl "$1" --allow-principal User:xmrec-topics --operation Create --operation Describe --topic xmrec. --resource-pattern-type prefixed
acl "$1" --allow-principal User:xmrec-holdouts --operation Write --operation Describe --topic xmrec.deadletter
acl "$1" --allow-principal User:xmrec-holdouts --operation Write --operation Describe --topic xmrec.holdouts
acl "$1" --allow-principal User:xmrec-holdouts --operation Write --operation Describe --topic xmrec.train
acl "$1" --allow-principal User:xmrec-holdouts --operation Read --operation Describe --topic xmrec.reviews. --resource-pattern-type prefixed
acl "$1" --allow-principal User:xmrec-holdouts --operation Read --group xmrec-holdouts --resource-pattern-type prefixed
acl "$1" --allow-principal User:xmrec-holdouts --operation Write --operation Describe --transactional-id xmrec-holdouts --resource-pattern-type prefixed
acl "$1" --allow-principal User:xmrec-updater --operation Write --operation Describe --operation Read --topic xmrec.forks
acl "$1" --allow-principal User:xmrec-updater --operation Write --operation Describe --operation Read --topic xmrec.model-deltas
acl "$1" --allow-principal User:xmrec-updater --operation Write --operation Describe --operation Read --topic xmrec.models
acl "$1" --allow-principal User:xmrec-updater --operation Write --operation Describe --topic xmrec.updates
acl "$1" --allow-principal User:xmrec-updater --operation Read --operation Describe --topic xmrec.holdouts
acl "$1" --allow-principal User:xmrec-updater --operation Read --operation Describe --topic xmrec.reviews. --resource-pattern-type prefixed
acl "$1" --allow-principal User:xmrec-updater --operation Read --operation Describe --topic xmrec.train
acl "$1" --allow-principal User:xmrec-updater --operation Read --group xmrec-updater --resource-pattern-type prefixed
acl "$1" --allow-principal User:xmrec-updater --operation Write --operation Describe --transactional-id xmrec-updater- --resource-pattern-type prefixed
acl "$1" --allow-principal User:xmrec-evaluator --operation Write --operation Describe --operation Read --operation Create --topic xmrec-evaluator --resource-pattern-type prefixed
acl "$1" --allow-principal User:xmrec-evaluator --operation Write --operation Describe --operation Read --topic xmrec.metrics
acl "$1" --allow-principal User:xmrec-evaluator --operation Read --operation Describe --topic xmrec.deadletter
acl "$1" --allow-principal User:xmrec-evaluator --operation Read --operation Describe --topic xmrec.holdouts
acl "$1" --allow-principal User:xmrec-evaluator --operation Read --operation Describe --topic xmrec.model-deltas
acl "$1" --allow-principal User:xmrec-evaluator --operation Read --operation Describe --topic xmrec.models
acl "$1" --allow-principal User:xmrec-evaluator --operation Read --operation Describe --topic xmrec.reviews. --resource-pattern-type prefixed
acl "$1" --allow-principal User:xmrec-evaluator --operation Read --operation Describe --topic xmrec.train
acl "$1" --allow-principal User:xmrec-evaluator --operation Read --operation Describe --topic xmrec.updates
acl "$1" --allow-principal User:xmrec-evaluator --operation Read --group xmrec-evaluator --resource-pattern-type prefixed
acl "$1" --allow-principal User:xmrec-serve --operation Read --operation Describe --topic xmrec.model-deltas
acl "$1" --allow-principal User:xmrec-serve --operation Read --operation Describe --topic xmrec.models
acl "$1" --allow-principal User:xmrec-serve --operation Read --operation Describe --topic xmrec.reviews. --resource-pattern-type prefixed
acl "$1" --allow-principal User:xmrec-registry --operation Write --operation Describe --operation Read --operation Create --topic _schemas
acl "$1" --allow-principal User:xmrec-registry --operation Read --group xmrec-registry --resource-pattern-type prefixed
acl "$1" --allow-principal User:xmrec-ingest --operation Write --operation Describe --topic xmrec.reviews. --resource-pattern-type prefixed
acl "$1" --allow-principal User:xmrec-client --operation Write --operation Describe --topic xmrec.reviews. --resource-pattern-type prefixed
acl "$1" --allow-principal User:xmrec-client --operation Read --operation Describe --topic xmrec.model-deltas
acl "$1" --allow-principal User:xmrec-client --operation Read --operation Describe --topic xmrec.models
acl "$1" --allow-principal User:xmrec-client --operation Read --group xmrec-client --resource-pattern-type prefixed
