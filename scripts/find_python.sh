#!/usr/bin/env bash
# Print the path of a Python >= 3.11 to build the virtualenv with ($PYTHON wins if set).
set -euo pipefail
for candidate in "${PYTHON:-}" python3.13 python3.12 python3.11 python3 python; do
    [ -n "$candidate" ] || continue
    path="$(command -v "$candidate" 2>/dev/null)" || continue
    if "$path" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else 1)' 2>/dev/null; then
        echo "$path"
        exit 0
    fi
done
echo "find_python: tether needs Python >= 3.11; install it or set PYTHON=/path/to/python3.11" >&2
exit 1
