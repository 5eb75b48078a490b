#!/usr/bin/env bash
# Regenerate broker/upstox/proto/MarketDataFeedV3_pb2.py from the published MarketDataFeedV3.proto with
# protoc from grpcio-tools (pinned here, installed into a throw-away virtualenv so it never enters the
# app's). Run after Upstox publishes a new schema; commit both files.
set -euo pipefail
cd "$(dirname "$0")/.."
GRPCIO_TOOLS=grpcio-tools==1.85.4
venv=$(mktemp -d)
trap 'rm -rf "$venv"' EXIT
python3 -m venv "$venv"
"$venv/bin/pip" install --quiet --disable-pip-version-check "$GRPCIO_TOOLS" \
  "$(grep -i '^protobuf==' requirements.txt)"
"$venv/bin/python" -m grpc_tools.protoc --proto_path=broker/upstox/proto --python_out=broker/upstox/proto \
  --pyi_out=broker/upstox/proto broker/upstox/proto/MarketDataFeedV3.proto
echo "generated broker/upstox/proto/MarketDataFeedV3_pb2.py"
