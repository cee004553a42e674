#!/usr/bin/env bash
# Create benches/.venv-baseline: botoflow 0.8 from PyPI, for the cold-decision comparison only.
#
# botoflow is never installed in the project's own .venv. bench_cold_decision.py re-runs itself
# under this interpreter with the repository's python/ directory on sys.path, so botoflowx
# (pure Python plus the abi3 extension built by `make setup`), orjson, botocore and botoflow
# are all measured in one process and one run.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
venv="$here/.venv-baseline"
python="${PYTHON:-python3.11}"
if [[ ! -x "$venv/bin/python" ]]; then
    "$python" -m venv "$venv"
fi
"$venv/bin/python" -m pip install --quiet --upgrade pip
# botoflow 0.8 pins nothing tight; pin botocore/orjson to the project's versions so the
# figures compare like with like.
"$venv/bin/python" -m pip install --quiet "botoflow==0.8" "botocore==1.44.8" "boto3==1.44.8" \
    "orjson==3.13.0" "tzdata"
"$venv/bin/python" -c "import botoflow, botocore, orjson; print('baseline ready:', botoflow.__file__)"
