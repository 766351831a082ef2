#!/usr/bin/env bash
# Re-applies, one at a time, the hand-made mutations issue 18 found surviving, and checks a test now kills each.
# Usage (from the repository root): bash test/hand-mutations.sh. Each file is restored after its run.
set -uo pipefail
cd "$(dirname "$0")/.."
killed=0
survived=0
missing=0
# name | file | original text | mutated text | test files
mutations=(
  "energy budget per epoch: >= becomes >|packages/core/src/criteria.ts|        return s.cumulativeEnergyJ >= p.joules
          ? { criterion: 'energyBudget', reason: reason(s.cumulativeEnergyJ), epoch: s.epoch }|        return s.cumulativeEnergyJ > p.joules
          ? { criterion: 'energyBudget', reason: reason(s.cumulativeEnergyJ), epoch: s.epoch }|packages/core/src/criteria.test.ts packages/core/src/criteria.boundary.test.ts"
  "energy budget per batch: >= becomes >|packages/core/src/criteria.ts|        return s.cumulativeEnergyJ >= p.joules
          ? { criterion: 'energyBudget', reason: reason(s.cumulativeEnergyJ), epoch: s.epoch, batch|        return s.cumulativeEnergyJ > p.joules
          ? { criterion: 'energyBudget', reason: reason(s.cumulativeEnergyJ), epoch: s.epoch, batch|packages/core/src/criteria.test.ts packages/core/src/criteria.boundary.test.ts"
  "allOf forgets a child that said stop|packages/core/src/criteria.ts|if (!met.every((d) => d !== null)) return null;|if (!ds.every((d) => d !== null)) return null;|packages/core/src/criteria.test.ts packages/core/src/criteria.boundary.test.ts"
  "estimate: inverted load|packages/probes/src/estimate.ts|1 - (now.idleMs - previous.idleMs) / totalMs|(now.idleMs - previous.idleMs) / totalMs|packages/probes/src/estimate.test.ts"
  "bootstrap: 90 % instead of 95 %|packages/core/src/efficiency.ts|const level = o.level ?? 0.95;|const level = o.level ?? 0.9;|packages/core/src/efficiency.test.ts packages/core/src/efficiency.oracle.test.ts"
  "bench: ratio of medians as the headline|bench/stats.ts|    pairedMedian: paired.length ? median(paired) : ofMedians,|    pairedMedian: ofMedians,|bench/stats.test.ts"
  "bench: repetitions paired by position|bench/stats.ts|    const d = den.find((x) => x.rep === n.rep);|    const d = den[num.indexOf(n)];|bench/stats.test.ts"
  "gap threshold: a step of exactly 5,000 ms becomes a gap (> becomes >=)|packages/core/src/device-track.ts|s.tMs - last > this.gapThresholdMs|s.tMs - last >= this.gapThresholdMs|packages/core/src/energy.test.ts packages/core/src/energy.mutation.test.ts"
  "held power when a probe stalls: the cap removed|packages/core/src/device-track.ts|Math.min(b - from, tail.capMs)|(b - from)|packages/core/src/meter-devices.test.ts packages/core/src/energy.mutation.test.ts"
  "held power when a probe stalls: the cap raised to twice the gap threshold|packages/core/src/meter.ts|{ holdTailMs: this.gapThresholdMs }|{ holdTailMs: 2 * this.gapThresholdMs }|packages/core/src/meter-devices.test.ts"
  "nvidia-smi: nounits removed from the sampling loop's arguments|packages/probes/src/nvidia-smi.ts|              '--format=csv,noheader,nounits',
              '-lms',|              '--format=csv,noheader',
              '-lms',|packages/probes/src/nvidia-smi.args.test.ts"
  "report: a 0 J run averaged into Eq. 3|packages/core/src/efficiency.ts|  if (e === 0) return 'zero-energy';|  if (e === -1) return 'zero-energy';|packages/core/src/efficiency.exclusion.test.ts packages/cli/src/report/report.unusable.test.ts"
)
for m in "${mutations[@]}"; do
  IFS='|' read -r -d '' name file original mutated tests <<<"$m"
  tests=${tests%$'\n'}
  backup=$(mktemp)
  cp "$file" "$backup"
  trap 'cp "$backup" "$file"' EXIT INT TERM
  ORIGINAL=$original MUTATED=$mutated node -e '
    const fs = require("node:fs");
    const [file] = process.argv.slice(1);
    const text = fs.readFileSync(file, "utf8");
    if (!text.includes(process.env.ORIGINAL)) { console.error(`not found in ${file}`); process.exit(2); }
    fs.writeFileSync(file, text.replace(process.env.ORIGINAL, process.env.MUTATED));
  ' "$file" || {
    # a mutation whose text moved is a hole in this list, not a pass: fix its original text
    echo "MISSING   $name (original text not found in $file)"
    missing=$((missing + 1))
    rm -f "$backup"
    trap - EXIT INT TERM
    continue
  }
  # shellcheck disable=SC2086
  if NO_COLOR=1 npx vitest run --maxWorkers=1 $tests >/tmp/hand-mutation.log 2>&1; then
    echo "SURVIVED  $name"
    survived=$((survived + 1))
  else
    failing=$(grep -cE '^\s+× ' /tmp/hand-mutation.log)
    echo "KILLED    $name ($failing failing tests)"
    killed=$((killed + 1))
  fi
  cp "$backup" "$file"
  rm -f "$backup"
  trap - EXIT INT TERM
done
echo "$killed killed, $survived survived, $missing missing"
[ "$survived" -eq 0 ] && [ "$missing" -eq 0 ]
