#!/usr/bin/env bash
# Builds the extension in place (src/nmjcore/_core*.so) for development:
#   tools/dev-build.sh && PYTHONPATH=src python -m pytest
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}
cmake -S . -B build/dev -G Ninja -DCMAKE_BUILD_TYPE=Release -DPython_EXECUTABLE="$(command -v "$PY")" \
  -Dpybind11_DIR="$("$PY" -m pybind11 --cmakedir)" "$@" >/dev/null
cmake --build build/dev
