#!/usr/bin/env bash
# Side-by-side HTTP load test of the `authserver` binary against panva's node-oidc-provider, on
# loopback, with wrk, in interleaved rounds (ours, peer, ours, peer…) so background noise hits
# both alike. Prints one RESULT line per run, then RATIO lines (ours/peer) and the issue-15 and
# issue-14 targets as PASS/FAIL. See README.md beside this file.
#
#   bench/http/compare.sh                      # about 25 minutes with the defaults
#   SCENARIOS="token get" ROUNDS=1 D=5 bench/http/compare.sh
#
# Environment [default]:
#   SCENARIOS ["mem refused token algs get loaded introspect"]  any subset, in any order
#   ROUNDS [2]  D [15]  WARM [5]  CONNS ["2 16"]   rounds, measured and warm-up seconds, wrk -c
#   MEM_TOKENS [100000]   tokens issued before the "after" RSS sample (mem)
#   REFUSED [10000]       refused requests with a 60 KB client_id before the RSS sample (refused)
#   ALT_BACKEND [""]      also measure RS256 with this crypto feature instead of the default
#                         backend (e.g. ring or aws-lc-rs), built in $WORK/target-alt
#   WORK [target/bench-http]   scratch: npm packages, logs, results
#   BUILD [1]             run cargo build --release (a no-op when up to date)
#   PORT_BASE [19700]     uses PORT_BASE..PORT_BASE+3 on 127.0.0.1
#   OURS_LOG [warn]       RUST_LOG for authserver: its per-request access log (info) costs about
#                         4 µs of CPU per request, and the peer writes none
set -uo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
SCENARIOS=${SCENARIOS:-"mem refused token algs get loaded introspect"}
ROUNDS=${ROUNDS:-2}; D=${D:-15}; WARM=${WARM:-5}; CONNS=${CONNS:-"2 16"}
MEM_TOKENS=${MEM_TOKENS:-100000}; REFUSED=${REFUSED:-10000}
ALT_BACKEND=${ALT_BACKEND:-}; BUILD=${BUILD:-1}
WORK=${WORK:-$ROOT/target/bench-http}; PORT_BASE=${PORT_BASE:-19700}; OURS_LOG=${OURS_LOG:-warn}
P_OURS=$PORT_BASE; P_PEER=$((PORT_BASE + 1)); P_ALT=$((PORT_BASE + 2)); P_PEER2=$((PORT_BASE + 3))
export BASIC; BASIC=$(printf '%s' 'bench-client:bench-secret-0123456789abcdef0123456789abcdef' | base64 -w0)

mkdir -p "$WORK" || exit 2
OUT=$WORK/results-$(date +%Y%m%d-%H%M%S).txt
exec > >(tee "$OUT") 2>&1
has() { [[ " $SCENARIOS " == *" $1 "* ]]; }
die() { echo "compare.sh: $*"; exit 1; }

command -v wrk >/dev/null || die "wrk is missing (Debian: apt-get install -y wrk)"
command -v node >/dev/null || die "node is missing (node-oidc-provider 9 needs Node 18 or later)"
mkdir -p "$WORK/peer" && cp "$HERE/peer/package.json" "$HERE/peer/server.mjs" "$WORK/peer/"
[ -d "$WORK/peer/node_modules/oidc-provider" ] ||
  (cd "$WORK/peer" && npm install --no-audit --no-fund >"$WORK/npm.log" 2>&1) ||
  die "npm install failed (see $WORK/npm.log)"

# ---- builds: the binary with the default features, and optionally the other crypto backend ----
OURS=$ROOT/target/release/authserver
ALT=$WORK/target-alt/release/authserver
if [ "$BUILD" = 1 ]; then
  (cd "$ROOT" && cargo build -q --release -F server --bin authserver) || die "cargo build failed"
  if [ -n "$ALT_BACKEND" ]; then
    (cd "$ROOT" && CARGO_TARGET_DIR=$WORK/target-alt cargo build -q --release --bin authserver \
      --no-default-features -F "server,$ALT_BACKEND") || die "the $ALT_BACKEND build failed"
  fi
fi
[ -x "$OURS" ] || die "no binary at $OURS"

# One org file per signing algorithm: org.json with credentials.signing.alg set.
for alg in RS256 ES256 PS256 EdDSA; do
  python3 - "$HERE/org.json" "$WORK/org-$alg.json" "$alg" <<'PY'
import json, sys
org = json.load(open(sys.argv[1]))
org["authorizationServers"][0]["credentials"] = {"signing": {"alg": sys.argv[3]}}
json.dump(org, open(sys.argv[2], "w"), indent=1)
PY
done

# ---- servers: started and stopped by PID, nothing else is touched ----
PIDS=()
cleanup() { for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null; done; wait 2>/dev/null; }
trap cleanup EXIT
trap 'exit 130' INT TERM
wait_up() { for _ in $(seq 150); do curl -sf -o /dev/null "$1" && return 0; sleep 0.1; done; die "nothing answers at $1"; }
start_ours() { # binary port alg label -> SPID
  RUST_LOG=$OURS_LOG "$1" --port "$2" --org "$WORK/org-$3.json" --database memory --no-rate-limits >"$WORK/$4.log" 2>&1 &
  SPID=$!; PIDS+=("$SPID"); wait_up "http://127.0.0.1:$2/oauth2/default/v1/keys"; }
start_peer() { # port alg format label -> SPID
  (cd "$WORK/peer" && PORT=$1 ALG=$2 TOKEN_FORMAT=$3 exec node server.mjs) >"$WORK/$4.log" 2>&1 &
  SPID=$!; PIDS+=("$SPID"); wait_up "http://127.0.0.1:$1/jwks"; }
stop() { kill "$1" 2>/dev/null; wait "$1" 2>/dev/null; local keep=(); for p in "${PIDS[@]}"; do [ "$p" != "$1" ] && keep+=("$p"); done; PIDS=("${keep[@]}"); }
rss() { awk '/VmRSS/{print $2}' "/proc/$1/status" 2>/dev/null; }
cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat" 2>/dev/null || echo 0; }
token() { curl -s -u 'bench-client:bench-secret-0123456789abcdef0123456789abcdef' \
  -d grant_type=client_credentials -d scope=read "$1" | python3 -c 'import json,sys; print(json.load(sys.stdin)["access_token"])'; }
header() { python3 -c 'import base64,sys; h=sys.argv[1].split(".")[0]; print(base64.urlsafe_b64decode(h + "=" * (-len(h) % 4)).decode())' "$1"; }
ours_url() { echo "http://127.0.0.1:$1/oauth2/default/v1/$2"; }
peer_url() { case $2 in token) echo "http://127.0.0.1:$1/token" ;; keys) echo "http://127.0.0.1:$1/jwks" ;;
  introspect) echo "http://127.0.0.1:$1/token/introspection" ;; disco) echo "http://127.0.0.1:$1/.well-known/openid-configuration" ;; esac; }
disco_url() { echo "http://127.0.0.1:$1/oauth2/default/.well-known/openid-configuration"; }

# run PID LABEL URL KIND CONNS SECONDS: one wrk run, its latency and the server's CPU per request.
run() {
  local pid=$1 label=$2 url=$3 kind=$4 c=$5 secs=$6 hz load c0 c1 log
  hz=$(getconf CLK_TCK); load=$(cut -d' ' -f1 /proc/loadavg); log=$(mktemp)
  c0=$(cpu_ticks "$pid")
  KIND=$kind wrk -t1 -c"$c" -d"${secs}s" --timeout 10s -s "$HERE/load.lua" "$url" >"$log" 2>&1
  c1=$(cpu_ticks "$pid")
  local reqs rps
  reqs=$(awk '/requests in/{print $1}' "$log"); rps=$(awk '/Requests\/sec/{print $2}' "$log")
  [ -n "$reqs" ] || { echo "WRKFAIL label=$label c=$c $(tr '\n' ' ' <"$log")"; rm -f "$log"; return; }
  echo "RESULT round=${ROUND:-0} label=$label c=$c rps=$rps reqs=$reqs $(grep -h '^LAT\|^CHECK' "$log" | tr '\n' ' ')" \
    "cpu_us_per_req=$(awk -v a="$c0" -v b="$c1" -v hz="$hz" -v n="$reqs" 'BEGIN{printf "%.0f", (b-a)/hz*1e6/n}')" \
    "rss_kb=$(rss "$pid") load=$load $(grep -h 'Non-2xx\|Socket errors' "$log" | tr '\n' ' ')"
  rm -f "$log"
}
measure() { run "$1" warmup "$3" "$4" "$5" "$WARM" >/dev/null; run "$@" "$D"; }

echo "== $(date -Is) authserver $(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null) ($(grep "^default" "$ROOT/Cargo.toml"))"
echo "== peer node-oidc-provider $(node -p "require('$WORK/peer/node_modules/oidc-provider/package.json').version") on node $(node -v); $(wrk -v 2>&1 | head -1 | cut -d' ' -f1-2)"
echo "== $(nproc) cores: $(sed -n 's/^model name[^:]*: //p' /proc/cpuinfo | head -1); loopback; wrk -t1; ${WARM}s warm-up then ${D}s measured; $ROUNDS interleaved rounds"

# ---- memory: RSS idle, then after MEM_TOKENS tokens (fresh processes) ----
# until_done PID LABEL URL KIND COUNT: drives COUNT requests at c=16, then prints the RSS.
until_done() {
  local pid=$1 label=$2 stopf=$WORK/stop.$2 idle t0=$SECONDS
  sleep 1; idle=$(rss "$pid"); rm -f "$stopf"
  STOP_AFTER=$5 STOP_FILE=$stopf KIND=$4 wrk -t1 -c16 -d1200s --timeout 10s -s "$HERE/load.lua" "$3" >"$WORK/$2.wrk" 2>&1 &
  local w=$!
  while [ ! -e "$stopf" ] && kill -0 "$w" 2>/dev/null; do sleep 0.2; done
  kill -INT "$w" 2>/dev/null; wait "$w" 2>/dev/null; sleep 1
  echo "MEM label=$label rss_idle_kb=$idle rss_after_kb=$(rss "$pid") requests=$5 secs=$((SECONDS - t0)) $(grep -h '^CHECK' "$WORK/$2.wrk")"
}
if has mem; then
  start_ours "$OURS" "$P_OURS" RS256 mem-ours; until_done "$SPID" ours "$(ours_url "$P_OURS" token)" token "$MEM_TOKENS"; stop "$SPID"
  start_peer "$P_PEER" RS256 jwt mem-peer; until_done "$SPID" peer "$(peer_url "$P_PEER" token)" token "$MEM_TOKENS"; stop "$SPID"
fi
if has refused; then
  start_ours "$OURS" "$P_OURS" RS256 refused-ours; until_done "$SPID" refused-ours "$(ours_url "$P_OURS" token)" refused "$REFUSED"; stop "$SPID"
fi

# ---- throughput, latency and CPU per request ----
start_ours "$OURS" "$P_OURS" RS256 ours; OURS_PID=$SPID
start_peer "$P_PEER" RS256 jwt peer; PEER_PID=$SPID
echo "SAMPLE ours $(header "$(token "$(ours_url "$P_OURS" token)")")"
echo "SAMPLE peer $(header "$(token "$(peer_url "$P_PEER" token)")")"
if [ -n "$ALT_BACKEND" ]; then start_ours "$ALT" "$P_ALT" RS256 alt; ALT_PID=$SPID; fi

rounds() { for ROUND in $(seq "$ROUNDS"); do for c in $CONNS; do "$@" "$c"; done; done; }
token_round() {
  measure "$OURS_PID" token-RS256/ours "$(ours_url "$P_OURS" token)" token "$1"
  measure "$PEER_PID" token-RS256/peer "$(peer_url "$P_PEER" token)" token "$1"
  [ -z "$ALT_BACKEND" ] || measure "$ALT_PID" "token-RS256/ours-$ALT_BACKEND" "$(ours_url "$P_ALT" token)" token "$1"
}
get_round() {
  measure "$OURS_PID" GET-jwks/ours "$(ours_url "$P_OURS" keys)" get "$1"
  measure "$PEER_PID" GET-jwks/peer "$(peer_url "$P_PEER" keys)" get "$1"
  measure "$OURS_PID" GET-discovery/ours "$(disco_url "$P_OURS")" get "$1"
  measure "$PEER_PID" GET-discovery/peer "$(peer_url "$P_PEER" disco)" get "$1"
}
# JWKS and discovery latency while RS256 token requests run at c=16 on the same server.
loaded() { # pid label token_url get_url kind-of-get
  KIND=token wrk -t1 -c16 -d"$((D + 2))s" --timeout 10s -s "$HERE/load.lua" "$3" >/dev/null 2>&1 &
  local w=$!; sleep 1
  run "$1" "$2" "$4" get 2 "$D"; wait "$w"
}
loaded_round() {
  loaded "$OURS_PID" "loaded-jwks/ours" "$(ours_url "$P_OURS" token)" "$(ours_url "$P_OURS" keys)"
  loaded "$PEER_PID" "loaded-jwks/peer" "$(peer_url "$P_PEER" token)" "$(peer_url "$P_PEER" keys)"
  loaded "$OURS_PID" "loaded-discovery/ours" "$(ours_url "$P_OURS" token)" "$(disco_url "$P_OURS")"
  loaded "$PEER_PID" "loaded-discovery/peer" "$(peer_url "$P_PEER" token)" "$(peer_url "$P_PEER" disco)"
}
has token && rounds token_round
has get && rounds get_round
if has loaded; then for ROUND in $(seq "$ROUNDS"); do loaded_round; done; fi
if has introspect; then
  # node-oidc-provider does not introspect JWT access tokens (unsupported_token_type), so it
  # introspects an opaque one; ours checks its JWT.
  start_peer "$P_PEER2" RS256 opaque peer-opaque; OPAQUE_PID=$SPID
  OURS_TOKEN=$(token "$(ours_url "$P_OURS" token)"); PEER_TOKEN=$(token "$(peer_url "$P_PEER2" token)")
  introspect_round() {
    TOKEN=$OURS_TOKEN measure "$OURS_PID" introspect/ours "$(ours_url "$P_OURS" introspect)" introspect "$1"
    TOKEN=$PEER_TOKEN measure "$OPAQUE_PID" introspect/peer "$(peer_url "$P_PEER2" introspect)" introspect "$1"
  }
  rounds introspect_round; stop "$OPAQUE_PID"
fi
if has algs; then
  stop "$OURS_PID"; stop "$PEER_PID"
  for alg in ES256 PS256 EdDSA; do
    start_ours "$OURS" "$P_OURS" "$alg" "ours-$alg"; OURS_PID=$SPID
    start_peer "$P_PEER" "$alg" jwt "peer-$alg"; PEER_PID=$SPID
    echo "SAMPLE ours $(header "$(token "$(ours_url "$P_OURS" token)")") / peer $(header "$(token "$(peer_url "$P_PEER" token)")")"
    alg_round() {
      measure "$OURS_PID" "token-$alg/ours" "$(ours_url "$P_OURS" token)" token "$1"
      measure "$PEER_PID" "token-$alg/peer" "$(peer_url "$P_PEER" token)" token "$1"
    }
    rounds alg_round; stop "$OURS_PID"; stop "$PEER_PID"
  done
fi

python3 "$HERE/summarize.py" "$OUT"
echo "(full log: $OUT)"
