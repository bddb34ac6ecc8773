#!/usr/bin/env bash
# The repository's own source files in one language, for the linters of `make lint`:
# tracked and new (not ignored) files, by extension or, for scripts without one, by their
# `#!` line. Python under collection/ is left out: ansible-test sanity lints it with the
# rules Ansible sets for collections.
# Usage: tests/lint/sources.sh shell|python   (paths relative to the repository root)
set -euo pipefail
cd "$(dirname "$0")/../.."
case ${1:-} in
shell)
    extension='\.(sh|bash)$'
    shebang='^#!.*[/ ](ba|da|k)?sh([[:space:]]|$)'
    skip='^$'
    ;;
python)
    extension='\.py$'
    shebang='^#!.*[/ ]python[0-9.]*([[:space:]]|$)'
    skip='^collection/'
    ;;
*)
    echo "usage: $0 shell|python" >&2
    exit 1
    ;;
esac
git ls-files -z --cached --others --exclude-standard | while IFS= read -r -d '' file; do
    # Deleted files stay in the index until committed; links are checked where they point.
    if [ ! -f "$file" ] || [ -L "$file" ]; then
        continue
    fi
    [[ $file =~ $skip ]] && continue
    if [[ $file =~ $extension ]] || head -n1 -- "$file" | grep -qE "$shebang"; then
        printf '%s\n' "$file"
    fi
done
