#!/usr/bin/env bash
# Runs dev.tideline.spark.SparkSql (local Spark 3.5 + Delta Lake 3.3) in its own JVM.
# Build first: ./mvnw -B -pl spark-interop/spark-sql package   (first build downloads ~235 MB of Spark jars)
# Usage: spark-interop/spark-sql.sh "<sql>"...   or   spark-interop/spark-sql.sh -f <script.sql> <table-dir>
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
cp="$(cat "$here/spark-sql/target/spark-classpath.txt"):$here/spark-sql/target/classes"
opens=()
for p in java.lang java.lang.invoke java.lang.reflect java.io java.net java.nio java.util java.util.concurrent \
         java.util.concurrent.atomic sun.nio.ch sun.nio.cs sun.security.action sun.util.calendar; do
  opens+=("--add-opens=java.base/$p=ALL-UNNAMED")
done
exec java "${opens[@]}" -Xmx1g -cp "$cp" dev.tideline.spark.SparkSql "$@"
