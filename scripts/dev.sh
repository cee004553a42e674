#!/usr/bin/env bash
# One entry point for set-up, the demo, the tests and the linters.
# Every command creates (or reuses) ./.venv and rebuilds the Rust extension
# when its sources changed, so a fresh clone needs nothing else.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="${BOTOFLOWX_VENV:-$ROOT/.venv}"
PY="$VENV/bin/python"
cd "$ROOT"

log() { printf '\033[1m==> %s\033[0m\n' "$*" >&2; }

ensure_rust() {
    if ! command -v cargo >/dev/null 2>&1; then
        if [ -x "$HOME/.cargo/bin/cargo" ]; then
            export PATH="$HOME/.cargo/bin:$PATH"
        else
            echo "cargo not found: install Rust from https://rustup.rs and run again" >&2
            exit 1
        fi
    fi
}

# Hash of everything that changes the installed package; the install is
# skipped when it matches the last successful one.
build_fingerprint() {
    { cat pyproject.toml Cargo.toml; find rust -type f \( -name '*.rs' -o -name 'Cargo.toml' \) -print0 | sort -z | xargs -0 cat; } | sha256sum | cut -d' ' -f1
}

ensure_venv() {
    ensure_rust
    if [ ! -x "$PY" ]; then
        log "creating virtualenv $VENV"
        python3 -m venv "$VENV"
        "$PY" -m pip install -q --upgrade pip
    fi
    local stamp="$VENV/.botoflowx-build" want
    want="$(build_fingerprint)"
    if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ] || ! "$PY" -c 'import botoflowx._replay' 2>/dev/null; then
        log "installing botoflowx (building the Rust extension; first time takes a few minutes)"
        "$PY" -m pip install -q 'maturin>=1.5,<2'
        "$PY" -m pip install -q --no-build-isolation -e ".[dev]"
        echo "$want" > "$stamp"
    fi
}

cmd_setup() { ensure_venv; }

cmd_demo() {
    ensure_venv
    "$VENV/bin/botoflowx" demo "$@"
}

cmd_lint() {
    ensure_venv
    log "cargo fmt --check"
    cargo fmt --all -- --check
    log "cargo clippy -D warnings"
    cargo clippy --workspace --all-targets --all-features -q -- -D warnings
    log "ruff"
    "$VENV/bin/ruff" check python tests benches examples
    "$VENV/bin/ruff" format --check python tests benches examples
    log "mypy (public API)"
    "$VENV/bin/mypy"
}

cmd_test() {
    ensure_venv
    log "cargo test"
    cargo test --workspace -q
    cmd_lint
    log "pytest"
    # Several processes: most tests wait on sockets and test clocks, not the CPU.
    # loadfile keeps a file's tests on one worker, in order (some share a server).
    "$PY" -m pytest -n "${BOTOFLOWX_TEST_WORKERS:-4}" --dist loadfile --durations=15 "$@"
}

cmd_bench() {
    ensure_venv
    "$PY" benches/run_all.py "$@"
}

usage() {
    cat <<'TXT'
usage: scripts/dev.sh COMMAND [ARGS]
  setup   create .venv and build/install botoflowx
  demo    run Hello World end to end on the embedded server
  test    cargo test, lints (fmt, clippy, ruff, mypy) and pytest [pytest args]
  lint    only the linters
  bench   run the benchmarks (see benches/README.md)
TXT
}

case "${1:-}" in
    setup|demo|test|lint|bench) c="$1"; shift; "cmd_$c" "$@" ;;
    *) usage; exit 2 ;;
esac
