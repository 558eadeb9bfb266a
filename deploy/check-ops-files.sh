#!/usr/bin/env bash
# Checks the operator files under deploy/:
#   - Prometheus config and alert rules pass `promtool check`
#     (Debian's `prometheus` package is installed with apt-get when promtool is missing),
#   - the Grafana dashboard is valid JSON,
#   - every civitas_* metric used by the alerts and the dashboard is one the
#     binary declares (string literals in platform/src/metrics.rs, or
#     deploy/metric-names.txt while that file does not exist), and
#     deploy/metric-names.txt lists exactly the declared names,
#   - the systemd unit has ExecStart, User and [Install]
#     (systemd-analyze verify is not reliable in containers/CI),
#   - the Kubernetes manifests agree with the binary's flags and variables and
#     with each other (deploy/check-kubernetes.py).
#
# Run from the repository root:  bash deploy/check-ops-files.sh
# Prints one line per check and a summary; exits non-zero if any check failed.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."

PROM_CONFIG=deploy/prometheus/prometheus.yml
PROM_RULES=deploy/prometheus/alerts.yml
DASHBOARD=deploy/grafana/civitas-dashboard.json
UNIT=deploy/systemd/civitas.service
ENV_EXAMPLE=deploy/systemd/civitas.env.example
METRICS_RS=platform/src/metrics.rs
METRICS_FALLBACK=deploy/metric-names.txt

passed=0
failed=0

pass() {
    passed=$((passed + 1))
    printf 'ok   - %s\n' "$1"
}

fail() {
    failed=$((failed + 1))
    printf 'FAIL - %s\n' "$1"
    if [ $# -ge 2 ] && [ -n "$2" ]; then
        printf '%s\n' "$2" | sed 's/^/       /'
    fi
}

# Runs a command; records pass/fail with the command's output on failure.
check_cmd() {
    local name=$1
    shift
    local out
    if out=$("$@" 2>&1); then
        pass "$name"
    else
        fail "$name" "$out"
    fi
}

# --- (a) promtool --------------------------------------------------------------

as_root() {
    if [ "$(id -u)" -eq 0 ]; then
        "$@"
    elif command -v sudo >/dev/null 2>&1; then
        sudo "$@"
    else
        echo "need root (or sudo) to run: $*" >&2
        return 1
    fi
}

install_promtool() {
    export DEBIAN_FRONTEND=noninteractive
    local apt_install=(apt-get install -y --no-install-recommends prometheus)
    # Do not let the package's maintainer scripts start a Prometheus daemon
    # (it would listen on :9090, the default Civitas ops address). Docker
    # images usually ship such a policy already; add one only for the install.
    local added_policy=0
    if [ ! -e /usr/sbin/policy-rc.d ]; then
        as_root sh -c 'printf "#!/bin/sh\nexit 101\n" > /usr/sbin/policy-rc.d && chmod 0755 /usr/sbin/policy-rc.d' \
            && added_policy=1
    fi
    local rc=0
    # apt-get update only when the package lists do not know the package,
    # or when installing from the current lists fails (stale lists).
    if ! apt-cache policy prometheus 2>/dev/null | grep -Eq 'Candidate: [0-9]'; then
        as_root env DEBIAN_FRONTEND=noninteractive apt-get update -q || rc=$?
    fi
    if [ "$rc" -eq 0 ] && ! as_root env DEBIAN_FRONTEND=noninteractive "${apt_install[@]}"; then
        rc=0
        as_root env DEBIAN_FRONTEND=noninteractive apt-get update -q || rc=$?
        [ "$rc" -eq 0 ] && { as_root env DEBIAN_FRONTEND=noninteractive "${apt_install[@]}" || rc=$?; }
    fi
    if [ "$added_policy" -eq 1 ]; then
        as_root rm -f /usr/sbin/policy-rc.d || true
    fi
    return "$rc"
}

if command -v promtool >/dev/null 2>&1; then
    pass "promtool available ($(command -v promtool))"
else
    install_log=$(mktemp)
    if install_promtool >"$install_log" 2>&1 && command -v promtool >/dev/null 2>&1; then
        pass "promtool installed from Debian package prometheus ($(command -v promtool))"
    else
        fail "promtool missing and installing Debian package prometheus failed" "$(tail -n 20 "$install_log")"
    fi
    rm -f "$install_log"
fi

# --- (b) promtool checks -------------------------------------------------------

if command -v promtool >/dev/null 2>&1; then
    check_cmd "promtool check config $PROM_CONFIG" promtool check config "$PROM_CONFIG"
    check_cmd "promtool check rules $PROM_RULES" promtool check rules "$PROM_RULES"
else
    fail "promtool check config $PROM_CONFIG" "promtool not available"
    fail "promtool check rules $PROM_RULES" "promtool not available"
fi

# --- (c) dashboard JSON ----------------------------------------------------------

check_cmd "dashboard JSON parses ($DASHBOARD)" python3 -m json.tool "$DASHBOARD"

# --- (d) metric names ------------------------------------------------------------

# Normalises metric names read on stdin: histogram series suffixes stripped,
# sorted, unique.
normalise_names() {
    sed -E 's/_(bucket|sum|count)$//' | sort -u
}

if [ -f "$METRICS_RS" ]; then
    names_source=$METRICS_RS
    declared=$( { grep -oE '"civitas_[a-z_]+"' "$METRICS_RS" || true; } | tr -d '"' | normalise_names)
else
    names_source=$METRICS_FALLBACK
    if [ -f "$METRICS_FALLBACK" ]; then
        declared=$( { grep -oE '^[[:space:]]*civitas_[a-z_]+' "$METRICS_FALLBACK" || true; } \
            | sed -E 's/^[[:space:]]+//' | normalise_names)
    else
        declared=""
    fi
fi

check_metric_names() {
    local file=$1
    if [ ! -f "$file" ]; then
        fail "metric names in $file are declared in $names_source" "file not found"
        return
    fi
    if [ -z "$declared" ]; then
        fail "metric names in $file are declared in $names_source" "no civitas_* metric names found in $names_source"
        return
    fi
    local used unknown count
    used=$( { grep -oE 'civitas_[a-z_]+' "$file" || true; } | normalise_names)
    if [ -z "$used" ]; then
        fail "metric names in $file are declared in $names_source" "no civitas_* metric used in $file"
        return
    fi
    unknown=$(comm -23 <(printf '%s\n' "$used") <(printf '%s\n' "$declared"))
    count=$(printf '%s\n' "$used" | wc -l | tr -d ' ')
    if [ -z "$unknown" ]; then
        pass "metric names in $file are declared in $names_source ($count names)"
    else
        fail "metric names in $file are declared in $names_source" "unknown: $(printf '%s\n' "$unknown" | paste -sd' ' -)"
    fi
}

check_metric_names "$PROM_RULES"
check_metric_names "$DASHBOARD"

# metric-names.txt (which the e2e tests check against a live /metrics) lists exactly
# the names the code declares.
if [ -f "$METRICS_RS" ] && [ -f "$METRICS_FALLBACK" ]; then
    listed=$( { grep -oE '^[[:space:]]*civitas_[a-z_]+' "$METRICS_FALLBACK" || true; } | sed -E 's/^[[:space:]]+//' | sort -u)
    drift=$(diff <(printf '%s\n' "$declared") <(printf '%s\n' "$listed") || true)
    if [ -z "$drift" ]; then
        pass "$METRICS_FALLBACK lists the names declared in $METRICS_RS ($(printf '%s\n' "$listed" | wc -l | tr -d ' ') names)"
    else
        fail "$METRICS_FALLBACK lists the names declared in $METRICS_RS" "$drift"
    fi
fi

# --- (e) systemd unit --------------------------------------------------------------

check_unit_line() {
    local what=$1 pattern=$2
    if [ -f "$UNIT" ] && grep -Eq "$pattern" "$UNIT"; then
        pass "$UNIT has $what"
    else
        fail "$UNIT has $what" "no line matching /$pattern/"
    fi
}

check_unit_line "ExecStart" '^[[:space:]]*ExecStart=[^[:space:]]'
check_unit_line "User" '^[[:space:]]*User=[^[:space:]]'
check_unit_line "[Install]" '^[[:space:]]*\[Install\]'

missing_vars=""
for var in CIVITAS_DATABASE_URL CIVITAS_HTTP_ADDR CIVITAS_OPS_ADDR CIVITAS_TRUSTED_PROXIES \
    CIVITAS_POOL_SIZE CIVITAS_LOG CIVITAS_LOG_FORMAT; do
    if [ ! -f "$ENV_EXAMPLE" ] || ! grep -Eq "^#?[[:space:]]*${var}=" "$ENV_EXAMPLE"; then
        missing_vars="$missing_vars $var"
    fi
done
if [ -z "$missing_vars" ]; then
    pass "$ENV_EXAMPLE lists every CIVITAS_* variable"
else
    fail "$ENV_EXAMPLE lists every CIVITAS_* variable" "missing:$missing_vars"
fi

# --- (f) Kubernetes manifests -----------------------------------------------------

# They name the binary's flags and variables: checked against `civitas --help`.
civitas_bin=${CIVITAS_BIN:-target/debug/civitas}
yaml_python=python3
if ! "$yaml_python" -c 'import yaml' 2>/dev/null; then
    if /usr/bin/python3 -c 'import yaml' 2>/dev/null; then
        yaml_python=/usr/bin/python3
    elif [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null 2>&1; then
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-yaml >/dev/null 2>&1 || true
        yaml_python=/usr/bin/python3
    fi
fi
if [ ! -x "$civitas_bin" ]; then
    fail "deploy/kubernetes checked against the binary" "no $civitas_bin: build it (cargo build) or set CIVITAS_BIN"
elif out=$("$yaml_python" deploy/check-kubernetes.py "$civitas_bin" 2>&1); then
    pass "${out#ok   - }"
else
    fail "deploy/kubernetes agrees with the binary and with itself" "$out"
fi

# --- summary ------------------------------------------------------------------------

echo "ops files: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
