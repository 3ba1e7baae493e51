#!/usr/bin/env bash
# JWKS and discovery latency while RS256 client_credentials token requests run at c=16 against
# the axum host (issue 15: p99 under 5 ms), with wrk on loopback:
#
#   bench/pool/run.sh [SECONDS [THREADS]]
#
# Builds and starts `examples/pool_latency.rs serve` (RS256 keys, the CPU pool at its default
# size, or THREADS), drives token requests with 16 connections for SECONDS (default 20), and meanwhile
# measures /v1/keys, then discovery, with one connection each for half that time. Needs wrk
# (`apt-get install -y wrk`). Prints wrk's latency distributions.
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
seconds="${1:-20}"
threads="${2:-}"
half=$((seconds / 2))
cd "$root"
cargo build --release --quiet --features testkit,axum --example pool_latency
target="${CARGO_TARGET_DIR:-$root/target}"
out="$(mktemp)"
"$target/release/examples/pool_latency" serve $threads >"$out" &
server=$!
trap 'kill "$server" 2>/dev/null || true; rm -f "$out"' EXIT
for _ in $(seq 100); do grep -q '^CLIENT=' "$out" && break; sleep 0.1; done
issuer="$(sed -n 's/^ISSUER=//p' "$out")"
export BASIC="$(sed -n 's/^CLIENT=//p' "$out" | tr -d '\n' | base64 -w0)"
echo "server pid $server, $(grep CPU_POOL_THREADS "$out"), issuer $issuer"
wrk -t1 -c16 -d"${seconds}s" --latency -s bench/pool/token.lua "$issuer/v1/token" >"$out.token" &
load=$!
sleep 1
echo "== /v1/keys, 1 connection, during the token load"
wrk -t1 -c1 -d"$((half - 1))s" --latency "$issuer/v1/keys" | sed -n '/Latency Distribution/,/Requests\/sec/p'
echo "== discovery, 1 connection, during the token load"
wrk -t1 -c1 -d"$((half - 1))s" --latency "$issuer/.well-known/openid-configuration" | sed -n '/Latency Distribution/,/Requests\/sec/p'
wait "$load"
echo "== token requests, 16 connections"
sed -n '/Latency Distribution/,/Requests\/sec/p;/Non-2xx/p' "$out.token"
rm -f "$out.token"
