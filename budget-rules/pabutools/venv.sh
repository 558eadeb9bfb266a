# Sourced (bash) by compare.sh and tests/load/budgets/run.sh: makes sure a Python virtual
# environment with pabutools $PABUTOOLS_VERSION exists in the cargo target directory
# (created on first use, reused after), and sets:
#   pabutools_venv     the environment's directory
#   pabutools_python   its python
#   pabutools_version  the pabutools version installed
# Debian's python3 lacks venv/ensurepip until python3-venv is installed; as root with
# apt-get, this installs it.

pabutools_version="${PABUTOOLS_VERSION:-1.2.3}"
_pabutools_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
_pabutools_target="${CARGO_TARGET_DIR:-$_pabutools_root/target}"
pabutools_venv="$_pabutools_target/pabutools-venv"
pabutools_python="$pabutools_venv/bin/python"

_pabutools_install() {
    nice -n 19 "$pabutools_venv/bin/pip" install --quiet --disable-pip-version-check "pabutools==$pabutools_version"
}

if ! "$pabutools_python" -c "import pabutools" 2>/dev/null; then
    mkdir -p "$_pabutools_target"
    _system_python="${PYTHON:-python3}"
    if ! "$_system_python" -m venv --clear "$pabutools_venv"; then
        if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
            apt-get update -qq
            DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-venv
            "$_system_python" -m venv --clear "$pabutools_venv"
        else
            echo "venv.sh: '$_system_python -m venv' failed; install python3-venv and retry" >&2
            return 1 2>/dev/null || exit 1
        fi
    fi
    _pabutools_install
fi
if [ "$("$pabutools_venv/bin/pip" show pabutools 2>/dev/null | sed -n 's/^Version: //p')" != "$pabutools_version" ]; then
    _pabutools_install
fi
