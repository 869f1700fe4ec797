#!/usr/bin/env bash
# Headless Chromium and its WebDriver for tests/test_report_browser.py, from Debian's packages
# (chromedriver at /usr/bin/chromedriver, the version of the browser beside it). As root, on
# Debian; does nothing when they are installed. Without them the browser tests are skipped
# (outside CI).
set -euo pipefail
bash "$(dirname "$0")/install-debian-packages.sh" chromium chromium-driver
