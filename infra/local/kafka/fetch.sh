#!/usr/bin/env bash
# shellcheck source-path=SCRIPTDIR
# Fetch the Apache Kafka broker jars (and their logging binding) from Maven Central
# into $ROOT/.tools/kafka/libs, as listed by infra/local/kafka/pom.xml.
# Idempotent: skipped when libs/ was filled from the current pom.xml (sha256 stamp).
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)"
source "$HERE/../lib.sh"

NAME=kafka
POM="$HERE/pom.xml"
KAFKA_TOOLS="$TOOLS_DIR/kafka"
LIBS="$KAFKA_TOOLS/libs"
STAMP="$KAFKA_TOOLS/libs.sha256"

want="$(files_sha256 "$POM")"
if [[ -d "$LIBS" && -f "$STAMP" && "$(cat "$STAMP")" == "$want" ]] \
   && compgen -G "$LIBS/kafka_2.13-*.jar" >/dev/null; then
  log "$NAME" "jars present ($(basename "$(compgen -G "$LIBS/kafka_2.13-*.jar" | head -n1)" .jar), $(ls "$LIBS" | wc -l) jars)"
  exit 0
fi

missing=()
command -v java >/dev/null || missing+=(openjdk-17-jre-headless)
command -v mvn >/dev/null || missing+=(maven)
if (( ${#missing[@]} )); then apt_install "$NAME" "${missing[@]}"; fi

t0="$(now_ms)"
log "$NAME" "fetching jars from Maven Central (mvn dependency:copy-dependencies)…"
rm -rf "$LIBS.tmp" "$STAMP"
mkdir -p "$KAFKA_TOOLS"
# Copy into a temp dir and swap, so an interrupted fetch never leaves half a libs/.
if ! mvn -B -q -f "$POM" dependency:copy-dependencies -DoutputDirectory="$LIBS.tmp" \
     >"$LOG_DIR/kafka-fetch.log" 2>&1; then
  tail -n 20 "$LOG_DIR/kafka-fetch.log" >&2
  die "$NAME" "mvn could not fetch the Kafka jars (full output: $LOG_DIR/kafka-fetch.log)"
fi
rm -rf "$LIBS"
mv "$LIBS.tmp" "$LIBS"
echo "$want" >"$STAMP"
log "$NAME" "fetched $(ls "$LIBS" | wc -l) jars ($(du -sh "$LIBS" | cut -f1)) in $(elapsed_since "$t0")"
