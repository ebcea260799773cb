#!/usr/bin/env bash
# Checks the deploy files with the tools that can run without a cluster or a container engine:
# promtool (config, rules, rule unit tests), nginx -t on the routing config generated for local
# ports, docker compose config on both compose files, kubectl kustomize, hadolint on the
# Dockerfile where it is installed, and the deploy tests (manifest consistency, the Dockerfile's
# base image against the supported Node.js lines, nginx routing in front of stub upstreams,
# tracing).
#
# Needs the Debian packages prometheus (promtool) and nginx; docker compose (plugin or the
# Debian docker-compose package) and kubectl are used when present.
set -euo pipefail
cd "$(dirname "$0")/.."

passed=0
failed=0
skipped=0
ok() { echo "check-deploy: ok    $1"; passed=$((passed + 1)); }
skip() { echo "check-deploy: skip  $1"; skipped=$((skipped + 1)); }
fail() { echo "check-deploy: FAIL  $1" >&2; failed=$((failed + 1)); }
run() {
  local label=$1
  shift
  if "$@" >/tmp/check-deploy.$$.log 2>&1; then ok "$label"; else
    cat /tmp/check-deploy.$$.log >&2
    fail "$label"
  fi
}
trap 'rm -f /tmp/check-deploy.$$.log; [ -n "${prefix:-}" ] && rm -rf "$prefix"' EXIT

# ---- Prometheus ----
if command -v promtool >/dev/null; then
  run "promtool check config deploy/prometheus/prometheus.yml" promtool check config deploy/prometheus/prometheus.yml
  run "promtool check rules deploy/prometheus/alerts.yml" promtool check rules deploy/prometheus/alerts.yml
  run "promtool test rules deploy/prometheus/alerts.test.yml" promtool test rules deploy/prometheus/alerts.test.yml
  # Debian builds Prometheus without Kubernetes discovery; check the k8s config where it has it.
  if promtool check config deploy/prometheus/prometheus.k8s.yml >/tmp/check-deploy.$$.log 2>&1; then
    ok "promtool check config deploy/prometheus/prometheus.k8s.yml"
  elif grep -q 'kubernetes_sd_configs not found' /tmp/check-deploy.$$.log; then
    skip "prometheus.k8s.yml: this promtool has no Kubernetes discovery (YAML checked by the tests)"
  else
    cat /tmp/check-deploy.$$.log >&2
    fail "promtool check config deploy/prometheus/prometheus.k8s.yml"
  fi
else
  fail "promtool not found (apt-get install prometheus)"
fi

# ---- nginx: the shipped routing with local upstreams ----
NGINX=$(command -v nginx || ls /usr/sbin/nginx 2>/dev/null || true)
if [ -n "$NGINX" ]; then
  prefix=$(mktemp -d /tmp/kino-nginx-check.XXXXXX)
  args=()
  port=18200
  for s in auth catalog ugc files notifications admin; do
    args+=(--upstream "$s=127.0.0.1:$port,127.0.0.1:$((port + 1))")
    port=$((port + 2))
  done
  node scripts/nginx-conf.mjs --prefix "$prefix" --listen 127.0.0.1:18199 "${args[@]}" >"$prefix/nginx.conf"
  run "nginx -t (deploy/nginx/kinoservice.conf, generated for local ports)" \
    "$NGINX" -t -p "$prefix" -e "$prefix/error.log" -c "$prefix/nginx.conf"
else
  fail "nginx not found (apt-get install nginx)"
fi

# ---- docker compose ----
compose=()
if docker compose version >/dev/null 2>&1; then
  compose=(docker compose)
elif command -v docker-compose >/dev/null; then
  compose=(docker-compose)
fi
if [ ${#compose[@]} -gt 0 ]; then
  for f in deploy/compose/compose.yml deploy/compose/compose.distributed.yml; do
    run "${compose[*]} -f $f config -q" "${compose[@]}" --env-file deploy/compose/.env.example -f "$f" config -q
  done
else
  skip "docker compose config: neither the compose plugin nor docker-compose is installed (apt-get install docker-compose)"
fi

# ---- Kubernetes ----
if command -v kubectl >/dev/null; then
  run "kubectl kustomize deploy/k8s" kubectl kustomize deploy/k8s
else
  skip "kubectl kustomize: kubectl is not installed (manifests checked by the tests)"
fi

# ---- Dockerfile ----
# hadolint is not packaged for Debian 12; the deploy tests check the base image and the stages.
if command -v hadolint >/dev/null; then
  run "hadolint Dockerfile" hadolint Dockerfile
else
  skip "hadolint: not installed (base image, stages and user checked by the tests)"
fi

# ---- tests of the deploy files ----
run "vitest test/deploy (manifests, Dockerfile and Node.js lines, nginx routing, tracing)" \
  npx vitest run test/deploy/manifests.test.ts test/deploy/node-versions.test.ts test/deploy/nginx.test.ts \
  test/deploy/tracing.test.ts
sed 's/\x1b\[[0-9;]*m//g' /tmp/check-deploy.$$.log | grep -E '^ *(Test Files|Tests) ' || true

echo "check-deploy: $passed passed, $failed failed, $skipped skipped"
[ "$failed" -eq 0 ]
