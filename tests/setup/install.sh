#!/usr/bin/env bash
# Install everything the tests need, idempotently, on a fresh Debian 12 machine:
# - Debian packages listed in tests/setup/packages/*.txt (one name per line, # comments)
# - the Python venv from tests/setup/requirements.txt, cached under $CACHE
# - the original TripleO and kolla scripts (pip wheels) to compare against
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
CACHE=${CACHE:-/var/cache/openstack-healthcheck}
mkdir -p "$CACHE"
# One install at a time (parallel make targets, several checkouts on one machine).
exec 9>"$CACHE/install.lock"
flock 9
export DEBIAN_FRONTEND=noninteractive

step() { printf '>>> %s\n' "$*"; }

# --- Debian packages -------------------------------------------------------------
mapfile -t want < <(cat "$here"/packages/*.txt 2>/dev/null | sed 's/#.*//' | tr -s ' \t' '\n' | sed '/^$/d' | sort -u)
missing=()
for p in "${want[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if ((${#missing[@]})); then
    step "apt-get install ${missing[*]}"
    # Package scripts must not start services (no systemd here; tests start their own).
    printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d && chmod +x /usr/sbin/policy-rc.d
    if [ ! -f "$CACHE/apt-updated" ] || [ -n "$(find "$CACHE/apt-updated" -mmin +720)" ]; then
        apt-get -o DPkg::Lock::Timeout=600 update -qq && touch "$CACHE/apt-updated"
    fi
    apt-get -o DPkg::Lock::Timeout=600 install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# --- Python venv -------------------------------------------------------------------
if [ -f "$here/requirements.txt" ]; then
    key=$(sha256sum <"$here/requirements.txt" | cut -c1-12)
    venv="$CACHE/venv-$key"
    if [ ! -x "$venv/bin/python" ] || [ ! -f "$venv/.complete" ]; then
        step "python venv $venv"
        rm -rf "$venv"
        python3 -m venv "$venv"
        "$venv/bin/pip" install -q --upgrade pip
        "$venv/bin/pip" install -q -r "$here/requirements.txt"
        touch "$venv/.complete"
    fi
    ln -sfn "$venv" "$CACHE/venv"
fi

# --- The original scripts, for side-by-side tests ------------------------------------
orig="$CACHE/originals"
if [ ! -f "$orig/.complete" ]; then
    step "original scripts: tripleo-common 18.0.0, kolla 23.0.0"
    rm -rf "$orig" && mkdir -p "$orig/wheels"
    python3 -m pip download -q --no-deps -d "$orig/wheels" tripleo-common==18.0.0 kolla==23.0.0
    python3 - "$orig" <<'PY'
import sys, zipfile, glob, os
orig = sys.argv[1]
for whl in glob.glob(os.path.join(orig, "wheels", "*.whl")):
    with zipfile.ZipFile(whl) as z:
        for n in z.namelist():
            if "/healthcheck/" in n and n.startswith("tripleo_common"):
                dest = os.path.join(orig, "tripleo", os.path.basename(n))
            elif n.startswith("kolla/docker/") and os.path.basename(n).startswith("healthcheck"):
                dest = os.path.join(orig, "kolla", os.path.basename(n))
            else:
                continue
            os.makedirs(os.path.dirname(dest), exist_ok=True)
            with open(dest, "wb") as f:
                f.write(z.read(n))
            os.chmod(dest, 0o755)
PY
    touch "$orig/.complete"
fi
step "dependencies ready"
