#!/usr/bin/env bash
# scripts/image.sh (the image built without Docker) and deploy/Dockerfile (for those who build
# with Docker) ship the same runtime packages: the Dockerfile's runtime stage installs exactly
# the packages the script names.
#   usage: tests/deploy/image_packages_test.sh IMAGE_SCRIPT DOCKERFILE
set -uo pipefail
script=$1 dockerfile=$2
from_script=$("$script" --packages | sort)
from_dockerfile=$(sed -n '/^FROM debian:12-slim/,$p' "$dockerfile" |
  sed -n '/apt-get install/,/&&/p' | tr ' \\' '\n\n' | grep -E '^[a-z0-9][a-z0-9.+-]+$' |
  grep -vxE 'apt-get|install|update|rm|-rf|--no-install-recommends|-y|RUN|DEBIAN_FRONTEND=noninteractive' | sort -u)
if [ "$from_script" = "$from_dockerfile" ]; then
  echo "ok: both install $(echo $from_script)"
else
  echo "FAIL: scripts/image.sh and deploy/Dockerfile differ:"
  diff <(echo "$from_script") <(echo "$from_dockerfile")
  exit 1
fi
