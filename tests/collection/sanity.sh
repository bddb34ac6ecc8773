#!/usr/bin/env bash
# Run `ansible-test sanity` on a collection copy without reaching ci-files.testing.ansible.com:
# ansible-test bootstraps pip in each sanity venv from a get-pip script it downloads; we put
# our stand-in (get_pip_offline.py) where it caches that script, for the pip version this
# ansible-test pins. Usage: sanity.sh COLLECTION_DIR (…/ansible_collections/NS/NAME)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
collection=$1
pip_version=$(python - <<'PY'
import os, re, ansible_test
source = os.path.join(os.path.dirname(ansible_test.__file__), "_internal", "python_requirements.py")
with open(source) as f:
    print(re.search(r"pip='([0-9.]+)'", f.read()).group(1))
PY
)
cache="$HOME/.ansible/test/cache"
mkdir -p "$cache"
bootstrap="$cache/get_pip_${pip_version//./_}.py"
[ -s "$bootstrap" ] || cp "$here/get_pip_offline.py" "$bootstrap"
cd "$collection"
exec ansible-test sanity --local --python 3.11 --color no
