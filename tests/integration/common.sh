# common.sh — the preamble shared by diff.sh, format.sh and cli.sh (bash).
#
# Source it right after `set -u`, with SUITE set to the name printed in the
# last line ("SUITE: N passed, M failed") and, optionally, DETAIL_LINES to
# how many lines of a detail file notok prints (default 40).  It resolves
# NSNAP_BIN (default build, relative to the top directory) and exports it,
# re-executes the calling script as PID 1 of its own PID namespace
# (`unshare --pid --fork --mount-proc`; root only), and defines PASS, FAIL,
# SAN_RE, the result helpers ok, skip, notok and finish, and
# work_cleanup for an EXIT trap.

TOP_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
NSNAP_BIN=${NSNAP_BIN:-build}
case $NSNAP_BIN in /*) ;; *) NSNAP_BIN=$TOP_DIR/$NSNAP_BIN ;; esac
export NSNAP_BIN

if [ $$ != 1 ]; then
    if [ "$(id -u)" != 0 ]; then
        echo "not ok - setup: must run as root"
        echo "$SUITE: 0 passed, 1 failed"
        exit 1
    fi
    exec unshare --pid --fork --mount-proc "$BASH" "$0" "$@"
fi

PASS=0 FAIL=0
SAN_RE='AddressSanitizer|LeakSanitizer|UndefinedBehaviorSanitizer|runtime error:|==[0-9]+==ERROR'

ok() { echo "ok - $1"; PASS=$((PASS + 1)); }
skip() { echo "skip - $1"; }
notok() { # notok NAME [DETAIL-FILE-OR-TEXT...]
    local d
    echo "not ok - $1"
    shift
    for d in "$@"; do
        if [ -f "$d" ]; then sed 's/^/#   /' "$d" | head -n "${DETAIL_LINES:-40}"; else echo "#   $d"; fi
    done
    FAIL=$((FAIL + 1))
}
finish() {
    echo "$SUITE: $PASS passed, $FAIL failed"
    [ "$FAIL" = 0 ]
    exit
}
# work_cleanup DIR [MOUNT...]: for an EXIT trap: end the jobs the script
# started, unmount each MOUNT that is mounted, remove DIR (KEEP=1 keeps it)
work_cleanup() {
    local d=$1 j m
    shift
    for j in $(jobs -p); do kill -9 "$j" 2>/dev/null; done
    wait 2>/dev/null
    for m in "$@"; do mountpoint -q "$m" 2>/dev/null && umount "$m"; done
    [ "${KEEP:-0}" = 1 ] || rm -rf "$d"
}
