#!/usr/bin/env bash
# Base images for the end-to-end tests, the demo and the package test, with no registry:
# a Debian rootfs made with debootstrap, cached as a tarball and imported into the engine.
#
#   bash tests/setup/rootfs.sh [docker|podman] [base|minbase]   # prints that image's tag on stdout
#
# Two images, both keyed by a hash of what goes into them (so a changed package list
# rebuilds, and an unchanged one costs nothing):
#   ohc-minbase:<hash>  debootstrap --variant=minbase: a clean Debian for the package test
#   ohc-base:<hash>     the same plus the real services the images run (Apache + mod_wsgi,
#                       memcached, redis, mariadb, rabbitmq)
# Tarballs: $CACHE/rootfs-minbase-<hash>.tar and $CACHE/rootfs-<hash>.tar. Each engine
# imports them once (`docker import`), when the tag is missing.
#
# One rootfs for all the services rather than one per service: debootstrap and apt run
# once, the layers are shared, and each service image adds a few kilobytes on top.
set -euo pipefail
CACHE=${CACHE:-/var/cache/openstack-healthcheck}
ENGINE=${1:-docker}
WHICH=${2:-base}
SUITE=bookworm
# Bump when the way the rootfs is made changes (the package list is hashed already).
FORMAT=1
# procps is there for a person debugging a container; the checks never use it.
SERVICE_PACKAGES=(apache2 libapache2-mod-wsgi-py3 python3 memcached redis-server mariadb-server
    rabbitmq-server procps)

say() { printf '>>> rootfs: %s\n' "$*" >&2; }

# The Debian mirror the host already uses (deb822 sources first, then the classic list).
mirror() {
    local uri
    uri=$(awk '/^URIs:/ {u=$2} /^Suites:/ && u && $0 ~ /(^|[ \t])'"$SUITE"'([ \t]|$)/ {print u; exit}' \
        /etc/apt/sources.list.d/*.sources 2>/dev/null || true)
    if [ -z "$uri" ] && [ -f /etc/apt/sources.list ]; then
        uri=$(awk '$1=="deb" && $3=="'"$SUITE"'" {print $2; exit}' /etc/apt/sources.list)
    fi
    echo "${uri:-http://deb.debian.org/debian}"
}

hash_of() { printf '%s\n' "$@" | sha256sum | cut -c1-12; }
MIN_KEY=$(hash_of "$FORMAT" "$SUITE" minbase)
KEY=$(hash_of "$FORMAT" "$SUITE" "$MIN_KEY" "${SERVICE_PACKAGES[@]}")
MIN_TAR=$CACHE/rootfs-minbase-$MIN_KEY.tar
TAR=$CACHE/rootfs-$KEY.tar

mkdir -p "$CACHE"
# One build at a time (several make targets or checkouts may ask at once).
exec 7>"$CACHE/rootfs.lock"
flock 7

work=
cleanup() {
    if [ -n "$work" ]; then
        umount "$work/root/proc" 2>/dev/null || true
        # --one-file-system: never follow a mount that is still there into the host.
        rm -rf --one-file-system "$work"
    fi
}
trap cleanup EXIT

build_tarballs() {
    command -v debootstrap >/dev/null || {
        say "debootstrap is missing: run 'bash tests/setup/install.sh' (tests/setup/packages/70-e2e.txt lists it)"
        exit 1
    }
    work=$(mktemp -d "$CACHE/rootfs-build.XXXXXX")
    local root=$work/root m
    m=$(mirror)
    if [ -f "$MIN_TAR" ]; then
        say "unpacking cached $MIN_TAR"
        mkdir -p "$root" && tar -C "$root" -xf "$MIN_TAR"
    else
        say "debootstrap --variant=minbase $SUITE from $m (a few minutes, once)"
        debootstrap --variant=minbase "$SUITE" "$root" "$m" >"$work/debootstrap.log" 2>&1 || {
            tail -n 30 "$work/debootstrap.log" >&2
            say "debootstrap failed (log above)"
            exit 1
        }
        # Package scripts must never start services inside the image build.
        printf '#!/bin/sh\nexit 101\n' >"$root/usr/sbin/policy-rc.d"
        chmod +x "$root/usr/sbin/policy-rc.d"
        # The same sources as the host (mirror and security), so apt inside sees what the host sees.
        rm -f "$root/etc/apt/sources.list"
        cp /etc/apt/sources.list.d/*.sources "$root/etc/apt/sources.list.d/" 2>/dev/null ||
            echo "deb $m $SUITE main" >"$root/etc/apt/sources.list"
        chroot "$root" apt-get clean
        rm -rf "$root"/var/lib/apt/lists/* "$root"/var/log/*.log
        tar -C "$root" -cf "$MIN_TAR.tmp" . && mv "$MIN_TAR.tmp" "$MIN_TAR"
        say "cached $MIN_TAR"
    fi
    if [ ! -f "$TAR" ]; then
        say "apt-get install ${SERVICE_PACKAGES[*]} (a few minutes, once)"
        mount -t proc proc "$root/proc"
        {
            chroot "$root" apt-get -o Acquire::Retries=3 update -qq &&
                DEBIAN_FRONTEND=noninteractive chroot "$root" apt-get install -y -qq --no-install-recommends \
                    "${SERVICE_PACKAGES[@]}"
        } >"$work/apt.log" 2>&1 || {
            tail -n 30 "$work/apt.log" >&2
            say "apt-get install in the rootfs failed (log above)"
            exit 1
        }
        umount "$root/proc"
        chroot "$root" apt-get clean
        rm -rf "$root"/var/lib/apt/lists/* "$root"/var/log/*.log "$root"/var/log/apt/*
        tar -C "$root" -cf "$TAR.tmp" . && mv "$TAR.tmp" "$TAR"
        say "cached $TAR"
    fi
}

# Import a tarball as TAG into the engine unless it is there already.
import() {
    local tar=$1 tag=$2
    if "$ENGINE" image inspect "$tag" >/dev/null 2>&1; then return 0; fi
    say "$ENGINE import $tar as $tag"
    "$ENGINE" import --change 'CMD ["/bin/bash"]' "$tar" "$tag" >/dev/null
}

if [ ! -f "$MIN_TAR" ] || [ ! -f "$TAR" ]; then
    build_tarballs
fi
import "$MIN_TAR" "ohc-minbase:$MIN_KEY"
import "$TAR" "ohc-base:$KEY"
case $WHICH in
    minbase) echo "ohc-minbase:$MIN_KEY" ;;
    *) echo "ohc-base:$KEY" ;;
esac
