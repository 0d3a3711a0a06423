#!/usr/bin/env bash
# The whole test suite, on a fresh Debian/Ubuntu machine: installs what the tests need
# (Java 17, PostgreSQL, nats-server, and Chromium with its chromedriver for the console's browser
# tests) when missing, then runs unit and integration tests.
# Tests start their own throwaway Postgres and NATS processes on free ports.
# Extra arguments go to Maven (e.g. `deploy/local/test.sh -pl core`).
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$REPO_ROOT"
ensure_prerequisites
ensure_browser

# When the suite fails, end with what failed and why: CI keeps only the tail of the output.
summarise_failures() {
  echo
  echo "==== failed tests (from the surefire/failsafe reports) ===="
  grep -l -E "<<< (FAILURE|ERROR)!" */target/surefire-reports/*.txt */target/failsafe-reports/*.txt 2>/dev/null |
    while read -r report; do
      echo "---- $report"
      grep -a -A 25 -E "<<< (FAILURE|ERROR)!" "$report" | grep -a -v -E "^\s+at (org\.junit|java\.base|org\.apache\.maven)" | head -60
    done || true
  if ls e2e/target/stack-logs/*/*.log >/dev/null 2>&1; then
    echo "==== last errors in the e2e stack's service logs ===="
    for log in e2e/target/stack-logs/*/*.log; do
      echo "---- $log"
      grep -a -E "ERROR|FAILED|Exception" "$log" | tail -15 || true
    done
  fi
}

status=0
./mvnw -B -ntp verify "$@" || status=$?
if [[ $status -ne 0 ]]; then
  summarise_failures
fi
exit $status
