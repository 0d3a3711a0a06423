#!/usr/bin/env bash
# Runs dev.tideline.spark.SparkSql (local Spark 3.5 + Delta Lake 3.3) in its own JVM.
# Build first: ./mvnw -B -f spark-interop/spark-sql/pom.xml package   (first build downloads ~235 MB of Spark jars)
# Usage: spark-interop/spark-sql.sh "<sql>"...   or   spark-interop/spark-sql.sh -f <script.sql> <table-dir>
#        spark-interop/spark-sql.sh --generate <out-dir> [<case>...]   (sync-service's generated fixtures, see README.md)
# SPARK_SQL_HEAP (default 1g): the JVM's -Xmx
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
cp="$(cat "$here/spark-sql/target/spark-classpath.txt"):$here/spark-sql/target/classes"
opens=()
for p in java.lang java.lang.invoke java.lang.reflect java.io java.net java.nio java.util java.util.concurrent \
         java.util.concurrent.atomic sun.nio.ch sun.nio.cs sun.security.action sun.util.calendar; do
  opens+=("--add-opens=java.base/$p=ALL-UNNAMED")
done
main=dev.tideline.spark.SparkSql
if [[ "${1:-}" == "--generate" ]]; then
  main=dev.tideline.spark.FixtureGenerator
  shift
fi
exec java "${opens[@]}" "-Xmx${SPARK_SQL_HEAP:-1g}" -cp "$cp" "$main" "$@"
