#!/usr/bin/env bash
# The README's path, run from outside as a new user would: a fresh clone, its install, `npm start`
# in the background, then `npx kino createsuperuser` and `npx kino import practicum-sql …` in a
# second process while it runs; the new admin logs in, the API serves the imported films,
# /api/openapi.json answers, metrics are on their own port only; Ctrl-C and a restart keep all of it.
#
# To keep CI time sane the clone reuses this checkout's node_modules (hard links, never written
# to) instead of downloading them, then runs what `npm install` runs next: the `prepare` build.
# Usage: scripts/ci-readme-path.sh [path/to/content_dump.sql]
set -uo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
dump=${1:-${KINO_SHARED_DATA:-$(cd "$repo/.." && pwd)/shared/data/practicum}/content_dump.sql}
work=$(mktemp -d "${TMPDIR:-/tmp}/kino-readme-XXXXXX")
clone="$work/kinoservice"
failed=0
server=""

ok() { printf 'ok    %s\n' "$*"; }
fail() {
  printf 'FAIL  %s\n' "$*"
  failed=1
}
cleanup() {
  if [ -n "$server" ] && kill -0 "$server" 2>/dev/null; then kill -KILL -- "-$server" 2>/dev/null; fi
  rm -rf "$work"
}
trap cleanup EXIT

# The embedded shape: no server engines, whatever CI exported.
unset DATABASE_URL REDIS_URL NATS_URL S3_ENDPOINT SMTP_URL
export KINO_DATA_DIR="$work/data" LOG_LEVEL=info
free_port() { node -e 'const s=require("net").createServer().listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})'; }
port=$(free_port)
metrics_port=$(free_port)
while [ "$metrics_port" = "$port" ]; do metrics_port=$(free_port); done
export PORT=$port METRICS_PORT=$metrics_port
base="http://127.0.0.1:$port"
metrics="http://127.0.0.1:$metrics_port/metrics"
login='readme-admin'
password="Readme-$(date +%s)-Pass!"

[ -f "$dump" ] || { fail "dump not found: $dump"; exit 1; }

# ---- git clone && npm install
git clone -q "$repo" "$clone" && ok "git clone of $(git -C "$repo" rev-parse --short HEAD)" || { fail "git clone"; exit 1; }
# `npm install` = the packages (hard-linked from the checkout, with its workspace links such as
# node_modules/.bin/kino) + its `prepare` script (the build).
cp -al "$repo/node_modules" "$clone/node_modules"
if (cd "$clone" && npm run build >"$work/install.log" 2>&1); then
  ok "install (node_modules linked from the checkout) and build"
else
  tail -20 "$work/install.log"
  fail "install/build"
  exit 1
fi

# ---- npm start in the background (its own process group, as a terminal would run it)
start_server() { # $1: log file
  (cd "$clone" && exec setsid npm start >"$1" 2>&1) &
  server=$!
  for _ in $(seq 1 300); do
    curl -fsS -o /dev/null "$base/ready" 2>/dev/null && return 0
    kill -0 "$server" 2>/dev/null || return 1
    sleep 1
  done
  return 1
}
stop_server() { # $1: its log. Ctrl-C: SIGINT to the foreground process group
  kill -INT -- "-$server" 2>/dev/null
  for _ in $(seq 1 30); do
    kill -0 "$server" 2>/dev/null || break
    sleep 1
  done
  if kill -0 "$server" 2>/dev/null; then
    fail "still running 30 s after Ctrl-C"
    kill -KILL -- "-$server" 2>/dev/null
  fi
  wait "$server" 2>/dev/null
  local code=$?
  server=""
  # npm itself reports the SIGINT it got (130, as a shell does after Ctrl-C); the server under it
  # must have shut down cleanly.
  [ "$code" = 0 ] || [ "$code" = 130 ] || return 1
  grep -q '"msg":"stopped"' "$1"
}
kino() { (cd "$clone" && npx kino "$@"); }
http_status() { curl -s -o /dev/null -w '%{http_code}' "$@"; }
token() {
  curl -s -X POST "$base/api/v1/auth/login" -H 'content-type: application/json' \
    -d "{\"login\":\"$login\",\"password\":\"$password\"}" |
    node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>{try{process.stdout.write(JSON.parse(s).access_token??"")}catch{}})'
}
total() { # X-Total-Count of the film list, as $1 (a token) or anonymously
  local auth=()
  [ -n "${1:-}" ] && auth=(-H "authorization: Bearer $1")
  curl -s -D - -o /dev/null "${auth[@]}" "$base/api/v1/films?page_size=1" | tr -d '\r' |
    awk -F': ' 'tolower($1)=="x-total-count"{print $2}'
}
openapi() {
  local status
  status=$(curl -s -o "$work/openapi.json" -w '%{http_code}' "$base/api/openapi.json")
  if [ "$status" = 200 ] && node -e 'const d=JSON.parse(require("fs").readFileSync(process.argv[1],"utf8"));if(!d.openapi||!d.paths)process.exit(1)' "$work/openapi.json"; then
    ok "/api/openapi.json answers 200 with an OpenAPI document ($1)"
  else
    fail "/api/openapi.json answers $status ($1)"
  fi
}

if start_server "$work/server-1.log"; then ok "npm start is ready on $base"; else
  tail -30 "$work/server-1.log"
  fail "npm start did not become ready"
  exit 1
fi
grep -q "$(cat "$KINO_DATA_DIR/admin-password.txt" 2>/dev/null || echo no-password-file)" "$work/server-1.log" &&
  fail "the generated admin password is in the server output" || ok "the generated admin password is not in the server output"
demo=$(total "")
# The README's table: metrics on their own private port, not on the API's.
if grep -qF "Metrics   $metrics" "$work/server-1.log" && curl -fsS "$metrics" | grep -q '^kino_outbox_backlog'; then
  ok "the banner names $metrics and it serves the kino_ metrics"
else
  fail "no kino_ metrics at $metrics (or the banner does not name it)"
fi
status=$(http_status "$base/metrics")
[ "$status" = 404 ] && ok "the API port answers 404 for /metrics" || fail "the API port answers $status for /metrics"

# ---- a second terminal while it runs
if KINO_ADMIN_PASSWORD="$password" kino createsuperuser --login "$login" --email readme@example.com >"$work/su.log" 2>&1; then
  ok "npx kino createsuperuser: $(tail -1 "$work/su.log")"
else
  cat "$work/su.log"
  fail "npx kino createsuperuser"
fi
admin=$(token)
[ -n "$admin" ] && ok "the new admin logs in at once" || fail "the new admin cannot log in"
before=$(total "$admin")

if kino import practicum-sql "$dump" >"$work/import.out" 2>"$work/import.err"; then
  ok "npx kino import practicum-sql: $(head -1 "$work/import.out")"
else
  cat "$work/import.out" "$work/import.err"
  fail "npx kino import practicum-sql"
fi
grep -q 'Importing practicum-sql: .*(100%)' "$work/import.err" && ok "import progress streamed while it ran" || fail "no import progress"
after=$(total "$admin")
if [ "$after" = 999 ] || [ "$after" = $((before + 999)) ]; then
  ok "the API serves the 999 imported films (X-Total-Count $after as the admin; $before before the import, $demo anonymously)"
else
  fail "X-Total-Count $after as the admin after the import ($before before): want 999 more"
fi
anonymous=$(total "")
openapi "first start"

# ---- Ctrl-C, then a restart keeps everything
if stop_server "$work/server-1.log"; then ok "Ctrl-C stops it cleanly"; else
  tail -5 "$work/server-1.log"
  fail "Ctrl-C did not stop it cleanly"
fi
[ -e "$KINO_DATA_DIR/kino.pid" ] && fail "the data folder is still locked after Ctrl-C" || ok "the data folder is released"
if start_server "$work/server-2.log"; then ok "npm start again is ready"; else
  tail -30 "$work/server-2.log"
  fail "the restart did not become ready"
  exit 1
fi
admin=$(token)
[ -n "$admin" ] && ok "the admin still logs in after the restart" || fail "the admin cannot log in after the restart"
[ "$(total "$admin")" = "$after" ] && ok "still $after films for the admin" || fail "films after the restart: $(total "$admin"), want $after"
[ "$(total "")" = "$anonymous" ] && ok "still $anonymous films anonymously" || fail "anonymous films after the restart: $(total ""), want $anonymous"
openapi "after the restart"
stop_server "$work/server-2.log" && ok "Ctrl-C stops it cleanly again" || fail "the second Ctrl-C did not stop it cleanly"

if [ "$failed" = 0 ]; then echo "README path: ok"; else echo "README path: FAIL"; fi
exit "$failed"
