#!/bin/sh
# Fails when the committed SIMD module (simd-kernels.wasm.ts) is not what build.sh makes from kernels.c today.
# Needs clang, lld and llvm (Debian bookworm: apt-get install clang lld llvm); CI runs it from .ci/run.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
simd="$here/../src/backend/simd"
committed="$simd/simd-kernels.wasm.ts"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
clang_bin=${CLANG:-$(command -v clang || command -v clang-14 || true)}
if [ -z "$clang_bin" ]; then
  echo "check-simd: no clang on PATH; install it (Debian: apt-get install clang lld llvm)" >&2
  exit 2
fi
echo "check-simd: $("$clang_bin" --version | head -n 1)"
sh "$simd/build.sh" "$work/rebuilt.ts" >/dev/null
# Compare the modules themselves, so a difference is reported per module and in bytes, not as a base64 line.
status=0
for name in simdKernelsWasmBase64 simdKernelsSharedWasmBase64; do
  for side in committed rebuilt; do
    file=$committed
    [ "$side" = rebuilt ] && file=$work/rebuilt.ts
    # The base64 literal is on the line after `export const <name> =`.
    sed -n "/export const $name =/{n;p;}" "$file" | tr -d " ';" | base64 -d >"$work/$name.$side.wasm"
  done
  if cmp -s "$work/$name.committed.wasm" "$work/$name.rebuilt.wasm"; then
    echo "check-simd: $name identical ($(wc -c <"$work/$name.rebuilt.wasm") bytes)"
  else
    echo "check-simd: $name differs from kernels.c rebuilt: committed $(wc -c <"$work/$name.committed.wasm") B, rebuilt $(wc -c <"$work/$name.rebuilt.wasm") B; first difference:" >&2
    cmp "$work/$name.committed.wasm" "$work/$name.rebuilt.wasm" >&2 || true
    status=1
  fi
done
if ! cmp -s "$committed" "$work/rebuilt.ts"; then
  echo "check-simd: simd-kernels.wasm.ts differs from build.sh's output; run packages/models/src/backend/simd/build.sh and commit" >&2
  status=1
fi
exit $status
