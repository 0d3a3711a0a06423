#!/usr/bin/env bash
# The whole test suite, on a fresh Debian/Ubuntu machine: installs what the tests need
# (Java 17, PostgreSQL, nats-server, and Chromium with its chromedriver for the console's browser tests) when missing, then runs unit and integration tests.
# Tests start their own throwaway Postgres and NATS processes on free ports.
# Extra arguments go to Maven (e.g. `deploy/local/test.sh -pl core`).
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$REPO_ROOT"
ensure_prerequisites
ensure_browser
exec ./mvnw -B -ntp verify "$@"
