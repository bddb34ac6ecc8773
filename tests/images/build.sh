#!/usr/bin/env bash
# Build the end-to-end images from the cached rootfs base (tests/setup/rootfs.sh):
#   tests/images/build.sh [--engine docker|podman] [--binary PATH] [SERVICE...]
# SERVICE: a directory of tests/images (keystone memcached redis mariadb rabbitmq scratch);
# default: all of them. Each becomes the image `ohc-e2e-SERVICE:latest`. Prints the tags.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
engine=docker
binary=
while [ $# -gt 0 ]; do
    case $1 in
    --engine) engine=$2; shift 2 ;;
    --binary) binary=$2; shift 2 ;;
    *) break ;;
    esac
done
services=("$@")
if [ ${#services[@]} -eq 0 ]; then
    for d in "$here"/*/; do
        [ -d "$d/files" ] || [ -f "$d/Dockerfile" ] && services+=("$(basename "$d")")
    done
fi
# Default: the release binary, BIN from make or the path make would give it.
binary=${binary:-${BIN:-$(make -s --no-print-directory -C "$repo" print-bin)}}
[ -x "$binary" ] || { echo "no binary at $binary: run 'make build' first" >&2; exit 1; }
base=$(bash "$repo/tests/setup/rootfs.sh" "$engine")
# Failures inside the start period do not count, so rabbitmq's boot is not (unhealthy).
# podman 4.3 goes on ignoring them after the first success too (Docker counts them from
# then on), and its run options cannot change an image's start period: 1 s (the least) for podman.
start_period=90s
[ "$engine" = podman ] && start_period=1s
export DOCKER_BUILDKIT=0

for svc in "${services[@]}"; do
    ctx=$(mktemp -d)
    trap 'rm -rf "$ctx"' EXIT
    cp "$binary" "$ctx/openstack-healthcheck"
    if [ -f "$here/$svc/Dockerfile" ]; then
        cp "$here/$svc/Dockerfile" "$ctx/Dockerfile"
    elif [ -d "$here/$svc/files" ]; then
        sed -e "s|@BASE@|$base|g" -e "s|@CHECK@|$svc|g" -e "s|@START_PERIOD@|$start_period|g" "$here/Dockerfile.in" >"$ctx/Dockerfile"
        cp -a "$here/common" "$ctx/common"
        cp -a "$here/$svc/files" "$ctx/files"
    else
        echo "unknown image $svc: no $here/$svc/files nor $here/$svc/Dockerfile" >&2
        exit 1
    fi
    printf '>>> image ohc-e2e-%s\n' "$svc" >&2
    # podman keeps HEALTHCHECK only in the docker image format.
    fmt=(); [ "$engine" = podman ] && fmt=(--format docker)
    if ! "$engine" build "${fmt[@]}" -t "ohc-e2e-$svc:latest" "$ctx" >"$ctx.log" 2>&1; then
        tail -n 30 "$ctx.log" >&2
        echo "building ohc-e2e-$svc failed (last lines above)" >&2
        exit 1
    fi
    rm -f "$ctx.log"
    rm -rf "$ctx"
    echo "ohc-e2e-$svc:latest"
done
