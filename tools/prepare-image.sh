#!/usr/bin/env bash
# Build the registry-free image busybox:local that zun's tests and trials run.
#
# There is no internet on these machines, so the image is assembled from the
# host's static busybox instead of being pulled. Idempotent: an existing
# image is kept. Honours DOCKER (client binary) and DOCKER_HOST.
set -euo pipefail

DOCKER=${DOCKER:-docker}
IMAGE=${IMAGE:-busybox:local}
BUSYBOX=${BUSYBOX:-/bin/busybox}

if "$DOCKER" image inspect "$IMAGE" >/dev/null 2>&1; then
    echo "prepare-image: $IMAGE already present" >&2
    echo "$IMAGE"
    exit 0
fi

if ! file_head=$(head -c 4 "$BUSYBOX" 2>/dev/null) || [[ $file_head != $'\x7fELF' ]]; then
    echo "prepare-image: $BUSYBOX missing; install busybox-static" >&2
    exit 1
fi

root=$(mktemp -d /tmp/zun-rootfs.XXXXXX)
trap 'rm -rf "$root"' EXIT
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

tar -C "$root" -c . | "$DOCKER" import \
    -c 'CMD ["sh"]' -c 'ENV PATH=/bin:/usr/bin:/sbin:/usr/sbin' - "$IMAGE" >/dev/null
echo "prepare-image: built $IMAGE" >&2
echo "$IMAGE"
