#!/usr/bin/env bash
# Checks deploy/ as far as this machine allows, without building images or reaching a cluster:
#   1. the shell scripts parse (bash -n);
#   2. both kustomizations render (kubectl kustomize, or kustomize), with throwaway secrets;
#   3. every YAML file parses, and deploy/check.py checks compose, the rendered manifests and the
#      Dockerfiles against each other and against the services' configuration (see its docstring);
#   4. `docker compose config` validates the compose file, when a compose CLI is installed
#      (it needs no running engine for that);
#   5. deploy/check_monitoring.py checks the Prometheus alert rules and the Grafana dashboard in
#      deploy/monitoring (see its docstring; `promtool check rules` too when promtool is installed).
# Needs python3 with PyYAML (installed with apt when missing and run as root); without it, falls
# back to parsing the YAML with ruby and skips the deeper checks. Exits non-zero on any problem.
set -euo pipefail
DEPLOY="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO="$(dirname "$DEPLOY")"
WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT
failed=0
say() { printf '[check] %s\n' "$*"; }
fail() { printf '[check] FAILED: %s\n' "$*"; failed=1; }

# 1. Shell scripts.
while IFS= read -r script; do
  bash -n "$script" || fail "$script does not parse"
done < <(find "$DEPLOY" -name '*.sh' | sort)
say "shell scripts parse"

# 2. Render the kustomizations from a copy, with a secrets.env made of placeholders.
rendered=()
kustomize_cmd=()
if command -v kubectl >/dev/null; then kustomize_cmd=(kubectl kustomize)
elif command -v kustomize >/dev/null; then kustomize_cmd=(kustomize build)
fi
if [ ${#kustomize_cmd[@]} -gt 0 ]; then
  cp -r "$DEPLOY/kubernetes" "$WORK/kubernetes"
  printf 'api-token=check-token\nsecrets-key=%s\n' "$(head -c 32 /dev/urandom | base64 | tr -d '\n')" > "$WORK/kubernetes/base/secrets.env"
  printf 'AWS_ACCESS_KEY_ID=check\nAWS_SECRET_ACCESS_KEY=check\n' > "$WORK/kubernetes/components/s3/s3.env"
  for variant in plain knative s3 knative-s3; do
    dir="$WORK/kubernetes"; [ "$variant" = plain ] || dir="$WORK/kubernetes/$variant"
    if "${kustomize_cmd[@]}" "$dir" > "$WORK/$variant.yaml" 2> "$WORK/$variant.err"; then
      rendered+=(--rendered "kubernetes/$variant=$WORK/$variant.yaml")
      say "kustomization $variant renders ($(grep -c '^kind:' "$WORK/$variant.yaml") resources)"
    else
      fail "kustomization $variant does not render: $(cat "$WORK/$variant.err")"
    fi
  done
else
  say "SKIPPED rendering the kustomizations: neither kubectl nor kustomize is installed"
fi

# 3. YAML and cross-checks.
if ! python3 -c 'import yaml' 2>/dev/null && [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null; then
  say "installing python3-yaml (apt-get)"
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q python3-yaml >/dev/null 2>&1 \
    || { apt-get update -q >/dev/null 2>&1; DEBIAN_FRONTEND=noninteractive apt-get install -y -q python3-yaml >/dev/null 2>&1; } || true
fi
if python3 -c 'import yaml' 2>/dev/null; then
  python3 "$DEPLOY/check.py" --repo "$REPO" "${rendered[@]}" || fail "deploy/check.py found problems (above)"
  python3 "$DEPLOY/check_monitoring.py" --repo "$REPO" || fail "deploy/check_monitoring.py found problems (above)"
elif command -v ruby >/dev/null; then
  say "no PyYAML: only parsing the YAML files with ruby (deeper checks skipped)"
  while IFS= read -r file; do
    ruby -ryaml -e 'YAML.load_stream(File.read(ARGV[0]))' "$file" || fail "$file does not parse"
  done < <(find "$DEPLOY" -name '*.yaml' -o -name '*.yml' | sort)
else
  fail "no YAML parser: install python3-yaml (or ruby)"
fi

# 4. The compose CLI's own validation, with placeholder secrets.
compose_cmd=()
if docker compose version >/dev/null 2>&1; then compose_cmd=(docker compose)
elif command -v docker-compose >/dev/null; then compose_cmd=(docker-compose)
fi
if [ ${#compose_cmd[@]} -gt 0 ]; then
  : > "$WORK/empty.env"   # the placeholders below, not a developer's own .env
  if (cd "$DEPLOY/compose" && TIDELINE_API_TOKEN=t TIDELINE_SECRETS_KEY=k SOURCE_POSTGRES_PASSWORD=p TARGET_POSTGRES_PASSWORD=p \
        "${compose_cmd[@]}" --env-file "$WORK/empty.env" -f compose.yaml config >"$WORK/compose.out" 2>&1); then
    say "${compose_cmd[*]} config: compose.yaml is valid"
  else
    fail "${compose_cmd[*]} config rejects compose.yaml: $(cat "$WORK/compose.out")"
  fi
else
  say "SKIPPED docker compose config: no compose CLI installed (deploy/check.py checked the file's structure)"
fi

if [ "$failed" -ne 0 ]; then say "deploy/ has problems"; exit 1; fi
say "deploy/ is consistent (images were not built and nothing was deployed: see docs/deployment.md)"
