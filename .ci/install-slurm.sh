#!/usr/bin/env bash
# The one-node SLURM cluster that tests/test_slurm.py starts: Debian's slurmctld, slurmd, client
# and munge. As root, on Debian; does nothing when they are installed. The test writes the
# configuration and starts and stops the daemons itself.
set -euo pipefail

packages=(slurmctld slurmd slurm-client munge)
missing=()
for package in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" \
        || missing+=("$package")
done
if ((${#missing[@]})); then
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
