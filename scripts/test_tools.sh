#!/usr/bin/env bash
# Install the system tools the test suite uses besides PostgreSQL: Graphviz's `dot`, which
# `tether erd` needs for SVG and PNG. Installed with apt-get when missing and running as
# root; otherwise the tests that need it say so and skip. Never fails the run by itself.
set -uo pipefail

if ! command -v dot >/dev/null 2>&1; then
    if [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null 2>&1; then
        echo "test_tools: installing graphviz (for tether erd --format svg/png)" >&2
        if ! DEBIAN_FRONTEND=noninteractive apt-get install -y -qq graphviz >/dev/null 2>&1; then
            DEBIAN_FRONTEND=noninteractive apt-get update -qq >/dev/null 2>&1
            DEBIAN_FRONTEND=noninteractive apt-get install -y -qq graphviz >/dev/null 2>&1 \
                || echo "test_tools: could not install graphviz; SVG/PNG tests will skip" >&2
        fi
    else
        echo "test_tools: graphviz's dot is missing; SVG/PNG tests will skip" >&2
    fi
fi
exit 0
