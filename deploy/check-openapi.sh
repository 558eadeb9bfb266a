#!/usr/bin/env bash
# Checks provisioning/openapi.yaml, the description of the provisioning API:
#   - it is a valid OpenAPI document (the PyPI package openapi-spec-validator,
#     installed with pip when python3 cannot import it),
#   - every route declared in the Rust sources under provisioning/src/api/
#     (#[get("...")], #[post("...")] ... attributes, served under /api/v1) is a
#     path and operation of the document, and every path and operation of the
#     document is such a route,
#   - every example in the document (request and response bodies) matches the
#     schema it illustrates.
#
# Run from anywhere:  bash deploy/check-openapi.sh
# Prints one line per check and a summary; exits non-zero if any check failed.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."

SPEC=provisioning/openapi.yaml
API_DIR=provisioning/src/api
API_PREFIX=/api/v1

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

summary() {
    echo "openapi: $passed passed, $failed failed"
    [ "$failed" -eq 0 ]
}

# --- (a) the validator -------------------------------------------------------------

have_validator() {
    python3 -c 'import openapi_spec_validator' >/dev/null 2>&1
}

if have_validator; then
    pass "openapi-spec-validator available"
else
    install_log=$(mktemp)
    if python3 -m pip install --quiet openapi-spec-validator >"$install_log" 2>&1 && have_validator; then
        pass "openapi-spec-validator installed with pip"
    else
        fail "openapi-spec-validator missing and pip could not install it" "$(tail -n 20 "$install_log")"
    fi
    rm -f "$install_log"
fi

# --- (b) the document is valid OpenAPI ---------------------------------------------

if [ ! -f "$SPEC" ]; then
    fail "$SPEC exists" "file not found"
    summary
    exit 1
fi

if have_validator; then
    if out=$(python3 -m openapi_spec_validator "$SPEC" 2>&1); then
        pass "$SPEC is a valid OpenAPI document (openapi-spec-validator)"
    else
        fail "$SPEC is a valid OpenAPI document (openapi-spec-validator)" "$out"
    fi
else
    fail "$SPEC is a valid OpenAPI document (openapi-spec-validator)" "openapi-spec-validator not available"
fi

# --- (c) routes in the Rust sources <-> paths in the document -----------------------

# "METHOD /api/v1/path<TAB>file" for each route attribute; a path parameter
# written {name:regex} is reduced to {name}.
rust_routes=$(
    grep -rnoE --include='*.rs' '#\[(get|post|put|patch|delete|head|options|trace)\("[^"]*"' "$API_DIR" 2>/dev/null \
        | sed -E 's/^([^:]+):[0-9]+:#\[([a-z]+)\("([^"]*)"$/\2 \3\t\1/' \
        | awk -F'\t' -v prefix="$API_PREFIX" '{
              split($1, mp, " ");
              path = mp[2];
              while (match(path, /\{[A-Za-z_][A-Za-z0-9_]*:[^}]*\}/)) {
                  seg = substr(path, RSTART, RLENGTH);
                  sub(/:.*\}$/, "}", seg);
                  path = substr(path, 1, RSTART - 1) seg substr(path, RSTART + RLENGTH);
              }
              printf "%s %s%s\t%s\n", toupper(mp[1]), prefix, path, $2
          }' \
        | sort -u
) || true

# "METHOD /path" for each operation of the document, or "NONE /path" for a path
# without any operation.
if spec_ops=$(python3 - "$SPEC" 2>&1 <<'PY'
import sys
import yaml

try:
    with open(sys.argv[1], encoding="utf-8") as f:
        doc = yaml.safe_load(f)
    assert isinstance(doc, dict), "the document is not a YAML mapping"
except Exception as e:  # noqa: BLE001 - reported as a failed check
    sys.exit(f"cannot read {sys.argv[1]}: {e}")
methods = ("get", "put", "post", "delete", "options", "head", "patch", "trace")
for path, item in (doc.get("paths") or {}).items():
    found = [m for m in methods if isinstance(item, dict) and m in item]
    if not found:
        print(f"NONE {path}")
    for m in found:
        print(f"{m.upper()} {path}")
PY
); then
    spec_ops=$(printf '%s\n' "$spec_ops" | sed '/^$/d' | sort -u)
    spec_ok=1
else
    fail "$SPEC lists its paths" "$spec_ops"
    spec_ops=""
    spec_ok=0
fi

route_count=$(printf '%s\n' "$rust_routes" | sed '/^$/d' | wc -l | tr -d ' ')
if [ "$route_count" -gt 0 ]; then
    pass "found $route_count routes in $API_DIR"
else
    fail "found routes in $API_DIR" "no #[get(\"...\")]/#[post(\"...\")] attribute found"
fi

spec_paths=$(printf '%s\n' "$spec_ops" | sed '/^$/d' | cut -d' ' -f2- | sort -u)
rust_ops=$(printf '%s\n' "$rust_routes" | sed '/^$/d' | cut -f1 | sort -u)
rust_paths=$(printf '%s\n' "$rust_ops" | sed '/^$/d' | cut -d' ' -f2- | sort -u)

# Each Rust route is a path of the document, with that method.
if [ "$spec_ok" -eq 1 ]; then
    while IFS=$'\t' read -r route file; do
        [ -n "$route" ] || continue
        path=${route#* }
        method=${route%% *}
        if ! grep -qxF -- "$path" <<<"$spec_paths"; then
            fail "route $route ($file) is a path in $SPEC" "no path $path in $SPEC"
        elif ! grep -qxF -- "$route" <<<"$spec_ops"; then
            fail "route $route ($file) is a path in $SPEC" "path $path is there but has no ${method,,} operation"
        else
            pass "route $route ($file) is a path in $SPEC"
        fi
    done <<<"$rust_routes"
fi

# Each path of the document is a Rust route, with each of its methods.
while IFS= read -r path; do
    [ -n "$path" ] || continue
    ops=$(awk -v p="$path" '{ m = $1; $1 = ""; if (substr($0, 2) == p) print m }' <<<"$spec_ops" | paste -sd' ' -)
    label=${ops/NONE/no operation}
    if ! grep -qxF -- "$path" <<<"$rust_paths"; then
        fail "path $path ($label) in $SPEC is a route in $API_DIR" "no route attribute for $path under $API_DIR"
        continue
    fi
    missing=""
    for m in $ops; do
        if [ "$m" = NONE ]; then
            missing="$missing (it has no operation)"
        elif ! grep -qxF -- "$m $path" <<<"$rust_ops"; then
            missing="$missing $m"
        fi
    done
    if [ -z "$missing" ]; then
        pass "path $path ($label) in $SPEC is a route in $API_DIR"
    else
        fail "path $path ($label) in $SPEC is a route in $API_DIR" "not served:$missing"
    fi
done <<<"$spec_paths"

# --- (d) examples match their schemas --------------------------------------------

# One record per check on stdout: "ok<TAB>name" or "FAIL<TAB>name<TAB>detail".
if [ "$spec_ok" -eq 1 ] && have_validator; then
    if records=$(python3 - "$SPEC" 2>&1 <<'PY'
import sys

import yaml
from jsonschema.exceptions import best_match
from openapi_schema_validator import OAS31Validator

spec_path = sys.argv[1]
with open(spec_path, encoding="utf-8") as f:
    doc = yaml.safe_load(f)


def pointer(*parts):
    return "#/" + "/".join(str(p).replace("~", "~0").replace("/", "~1") for p in parts)


def resolve(node):
    """Follows local $ref to components (responses, examples)."""
    seen = 0
    while isinstance(node, dict) and "$ref" in node and seen < 20:
        ref = node["$ref"]
        assert ref.startswith("#/"), f"non-local $ref {ref}"
        target = doc
        for part in ref[2:].split("/"):
            target = target[part.replace("~1", "/").replace("~0", "~")]
        node = target
        seen += 1
    return node


def check(schema_ptr, value):
    # Validate against the subschema in place, so its $refs resolve in the document.
    root = dict(doc)
    root["$ref"] = schema_ptr
    validator = OAS31Validator(root, format_checker=OAS31Validator.FORMAT_CHECKER)
    error = best_match(validator.iter_errors(value))
    if error is None:
        return None
    where = "/".join(str(p) for p in error.absolute_path) or "(root)"
    return f"at {where}: {error.message}"


def media_examples(media):
    out = []
    if "example" in media:
        out.append(("example", media["example"]))
    for name, ex in (media.get("examples") or {}).items():
        ex = resolve(ex)
        if isinstance(ex, dict) and "value" in ex:
            out.append((name, ex["value"]))
    return out


methods = ("get", "put", "post", "delete", "options", "head", "patch", "trace")
for path, item in (doc.get("paths") or {}).items():
    for method in methods:
        op = item.get(method)
        if op is None:
            continue
        label = f"{method.upper()} {path}"
        problems = []
        count = 0
        bodies = []
        body = op.get("requestBody")
        if body is not None:
            body_ptr = ("paths", path, method, "requestBody")
            if "$ref" in body:
                body_ptr = tuple(body["$ref"][2:].split("/"))
                body = resolve(body)
            for ctype, media in (body.get("content") or {}).items():
                bodies.append(("request", body_ptr + ("content", ctype), media))
        for status, resp in (op.get("responses") or {}).items():
            resp_ptr = ("paths", path, method, "responses", status)
            if isinstance(resp, dict) and "$ref" in resp:
                resp_ptr = tuple(resp["$ref"][2:].split("/"))
                resp = resolve(resp)
            for ctype, media in (resp.get("content") or {}).items():
                bodies.append((status, resp_ptr + ("content", ctype), media))
        for where, media_ptr, media in bodies:
            if "schema" not in media:
                continue
            schema_ptr = pointer(*media_ptr, "schema")
            for name, value in media_examples(media):
                count += 1
                err = check(schema_ptr, value)
                if err:
                    problems.append(f"{where} example {name} {err}")
        if count == 0:
            print(f"FAIL\texamples of {label} match their schemas\tno example")
        elif problems:
            print(f"FAIL\texamples of {label} match their schemas ({count} examples)\t" + "; ".join(problems))
        else:
            print(f"ok\texamples of {label} match their schemas ({count} examples)")
PY
    ); then
        while IFS=$'\t' read -r verdict name detail; do
            [ -n "$verdict" ] || continue
            if [ "$verdict" = ok ]; then
                pass "$name"
            else
                fail "$name" "${detail:-}"
            fi
        done <<<"$records"
    else
        fail "examples in $SPEC match their schemas" "$records"
    fi
fi

# --- summary --------------------------------------------------------------------------

summary
