#!/usr/bin/env bash
# Fuzzes MRT framing, decoding and the text formats with libFuzzer (coverage-guided,
# AddressSanitizer on), seeded with the real archives in ../shared/data.
#
#   Fuzz/run.sh [seconds]        default 300
#
# Crashes are written to Fuzz/out/ as crash-*; replay one with
#   swift run FuzzMRT Fuzz/out/crash-...
set -euo pipefail
cd "$(dirname "$0")/.."
seconds="${1:-300}"
data="../shared/data/mrt"
corpus=Fuzz/corpus-work
mkdir -p "$corpus" Fuzz/out

# Seed corpus: the first 64 KiB of each real archive, decompressed.
if [ -d "$data" ] && [ -z "$(ls -A "$corpus")" ]; then
  i=0
  while IFS= read -r -d '' f; do
    case "$f" in *test_expect*|*.md|*.rst|*.conf|*.json) continue;; esac
    i=$((i+1))
    case "$(head -c 3 "$f" | od -An -tx1 | tr -d ' ')" in
      1f8b*) gzip -dc "$f" 2>/dev/null | head -c 65536 > "$corpus/seed-$i" || true ;;
      425a68) bzip2 -dc "$f" 2>/dev/null | head -c 65536 > "$corpus/seed-$i" || true ;;
      *) head -c 65536 "$f" > "$corpus/seed-$i" ;;
    esac
  done < <(find "$data" -type f -print0)
fi

swift build -c release --product FuzzMRT --scratch-path .build-fuzz \
  -Xswiftc -sanitize=fuzzer,address -Xswiftc -parse-as-library -Xswiftc -DFUZZING -Xswiftc -use-ld=lld
bin="$(swift build -c release --product FuzzMRT --scratch-path .build-fuzz --show-bin-path)/FuzzMRT"
"$bin" "$corpus" -max_total_time="$seconds" -max_len=200000 -rss_limit_mb=2048 \
  -artifact_prefix=Fuzz/out/ -print_final_stats=1
