#!/usr/bin/env bash
# The whole libwrap workflow on a small library, in about a minute:
# generate a provider, build its wheel, build a consumer against it, install both apart, run.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
work=${1:-$(mktemp -d)}
python=${PYTHON:-python3}
mkdir -p "$work"
echo "== working in $work"

if [ ! -x "$work/venv/bin/python" ]; then
  "$python" -m venv "$work/venv"
  "$work/venv/bin/pip" install -q "$here" scikit-build-core cmake ninja pkgconf
fi
py="$work/venv/bin/python"

echo "== 1. libwrap new: a provider project for libwrapdemo.so.1"
"$work/venv/bin/libwrap" new wrapdemo -o "$work" --force --no-input \
  --source "$here/tests/fixtures/wrapdemo" --version 1.2.3 \
  --init-symbol wrapdemo_init --init-returns str

echo "== 2. build the provider wheel and install it into its own directory"
"$py" -m pip wheel -q --no-build-isolation --no-deps -w "$work/dist" "$work/wrapdemo"
"$py" -m pip install -q --no-deps --upgrade --target "$work/provider-site" "$work"/dist/wrapdemo-*.whl

echo "== 3. build a consumer through pkg-config (the provider's entry point); libwrap repair excludes the library"
rm -rf "$work/consumer" && cp -r "$here/tests/fixtures/consumer" "$work/consumer"
PYTHONPATH="$work/provider-site" "$py" -c \
  "import wrapdemo, sys; wrapdemo.write_distributor_init(sys.argv[1])" "$work/consumer/src/democonsumer"
PYTHONPATH="$work/provider-site" PKG_CONFIG="$work/venv/bin/pkgconf-pypi" \
  "$py" -m pip wheel -q --no-build-isolation --no-deps -w "$work/consumer-dist" "$work/consumer"
PYTHONPATH="$work/provider-site" "$work/venv/bin/libwrap" repair -w "$work/wheelhouse" "$work"/consumer-dist/democonsumer-*.whl
PYTHONPATH="$work/provider-site" "$work/venv/bin/libwrap" check "$work"/wheelhouse/democonsumer-*.whl
"$py" -m pip install -q --no-deps --upgrade --target "$work/consumer-site" "$work"/wheelhouse/democonsumer-*.whl

echo "== 4. run the consumer from another directory: one copy of the library, shared"
PYTHONPATH="$work/consumer-site:$work/provider-site" "$py" -c '
import democonsumer, wrapdemo
print("wrapdemo loaded", wrapdemo._init.library_path)
print("democonsumer.add(2, 3) =", democonsumer.add(2, 3), "| init count seen by the consumer:", democonsumer.init_count())
'
