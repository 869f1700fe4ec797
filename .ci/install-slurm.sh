#!/usr/bin/env bash
# The one-node SLURM cluster that tests/test_slurm.py starts: Debian's slurmctld, slurmd, client
# and munge. As root, on Debian; does nothing when they are installed. The test writes the
# configuration and starts and stops the daemons itself.
set -euo pipefail
bash "$(dirname "$0")/install-debian-packages.sh" slurmctld slurmd slurm-client munge
