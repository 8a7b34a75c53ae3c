#!/usr/bin/env bash
# Build the registry-free images that zun's tests and trials run:
#   busybox:local      busybox with `sh` as its command (IMAGE overrides the name)
#   zun-sleeper:local  the same rootfs whose default command keeps running and
#                      exits at once on SIGTERM (SLEEPER_IMAGE overrides the
#                      name); tempest's nginx_image, whose container must stay
#                      Running with no command given, and stop without the
#                      10 s wait for SIGKILL that a bare `sleep` as PID 1 costs
#   zun-tempest:local  busybox whose `sleep` is a wrapper that exits on SIGTERM
#                      (TEMPEST_IMAGE overrides the name): tempest's cirros_image,
#                      whose tests run `sleep 10000` as PID 1 and delete with
#                      stop=True, which would otherwise wait 10 s each time
#
# There is no internet on these machines, so the images are assembled from the
# host's static busybox instead of being pulled. Idempotent: an existing image
# is kept. Honours DOCKER (client binary) and DOCKER_HOST. Prints the busybox
# image name as its last line.
set -euo pipefail

DOCKER=${DOCKER:-docker}
IMAGE=${IMAGE:-busybox:local}
SLEEPER_IMAGE=${SLEEPER_IMAGE:-zun-sleeper:local}
TEMPEST_IMAGE=${TEMPEST_IMAGE:-zun-tempest:local}
BUSYBOX=${BUSYBOX:-/bin/busybox}

present() { "$DOCKER" image inspect "$1" >/dev/null 2>&1; }

root=
trap '[[ -z $root ]] || rm -rf "$root"' EXIT

# Lay out the rootfs once, however many images need it.
make_rootfs() {
    [[ -z $root ]] || return 0
    if ! file_head=$(head -c 4 "$BUSYBOX" 2>/dev/null) || [[ $file_head != $'\x7fELF' ]]; then
        echo "prepare-image: $BUSYBOX missing; install busybox-static" >&2
        exit 1
    fi
    root=$(mktemp -d /tmp/zun-rootfs.XXXXXX)
    mkdir -p "$root"/{bin,usr/bin,sbin,usr/sbin,etc,tmp,root}
    chmod 1777 "$root/tmp"
    chmod 700 "$root/root"
    cp "$BUSYBOX" "$root/bin/busybox"
    for applet in $("$BUSYBOX" --list); do
        [[ $applet == busybox ]] || ln -sf busybox "$root/bin/$applet"
    done
    echo 'root:x:0:0:root:/root:/bin/sh' > "$root/etc/passwd"
    echo 'nobody:x:65534:65534:nobody:/nonexistent:/bin/false' >> "$root/etc/passwd"
    echo 'root:x:0:' > "$root/etc/group"
    echo 'nogroup:x:65534:' >> "$root/etc/group"
}

# build NAME CMD-JSON: import the rootfs as NAME with that default command.
build() {
    local name=$1 cmd=$2
    if present "$name"; then
        echo "prepare-image: $name already present" >&2
        return 0
    fi
    make_rootfs
    tar -C "$root" -c . | "$DOCKER" import \
        -c "CMD $cmd" -c 'ENV PATH=/bin:/usr/bin:/sbin:/usr/sbin' - "$name" >/dev/null
    echo "prepare-image: built $name" >&2
}

build "$IMAGE" '["sh"]'
# `sleep` runs in the background so the shell, as PID 1, can take the TERM
# (PID 1 gets no default signal handlers, so a trap is needed).
build "$SLEEPER_IMAGE" '["sh", "-c", "trap '"'exit 0'"' TERM; sleep 1000000 & wait"]'
# Last: it changes the shared rootfs.
if ! present "$TEMPEST_IMAGE"; then
    make_rootfs
    rm -f "$root/bin/sleep"
    cat > "$root/bin/sleep" <<'SCRIPT'
#!/bin/sh
# busybox sleep that ends on SIGTERM even as PID 1 (which has no default
# signal handlers): the shell traps TERM while the real sleep runs
trap 'kill $! 2>/dev/null; exit 0' TERM
/bin/busybox sleep "$@" &
wait $!
SCRIPT
    chmod 755 "$root/bin/sleep"
    build "$TEMPEST_IMAGE" '["sh"]'
fi
echo "$IMAGE"
