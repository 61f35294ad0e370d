#!/bin/bash
# make-fixtures.sh — developer-only: record the reference's behaviour.
#
#   tests/integration/make-fixtures.sh /tmp/nsref/namespaces_of [OUTDIR]
#
# Builds the test world (world.sh), runs the reference program
# (namespaces_of, built by /work/shared/seed/build-reference.sh; Go is not
# needed afterwards) for every case in cases.list, and writes
#   OUTDIR/NAME.out     its stdout, normalized (see normalize)
#   OUTDIR/NAME.status  its exit status; for "err" cases a second line
#                       "stderr: empty" or "stderr: non-empty"
# OUTDIR defaults to fixtures/parity. Run it twice and diff the results to
# check that the world is deterministic (run with CHECK=1 to do exactly
# that: two worlds, one after the other, compared).
# Needs root, unshare/nsenter/setpriv (util-linux) and cc.
set -eu
. "$(dirname "$0")/lib.sh"

if [ "${1:-}" = --in-world ]; then
    # ---- inside the world: $2 = reference binary, $3 = output directory
    ref=$2 out=$3
    case_read
    tmp=$WORLD_DIR/run
    mkdir -p "$tmp"
    for i in "${!CASE_NAME[@]}"; do
        [ -n "${ONLY:-}" ] && [ "${CASE_NAME[$i]}" != "$ONLY" ] && continue
        name=${CASE_NAME[$i]} modes=${CASE_MODES[$i]}
        subst_args "${CASE_ARGS[$i]}" || { echo "$name: bad arguments" >&2; exit 1; }
        width=80
        runmodes=$modes
        if w=$(mode_value "$modes" w); then
            width=$w
            runmodes="$modes,pty=$w"
        fi
        run_tool "$tmp/c" "$runmodes" "$ref" "${ARGV[@]}"
        "$NORMALIZE" -m "$WORLD_MAXPID" -w "$width" "$tmp/c.raw" >"$out/$name.out"
        {
            cat "$tmp/c.rc"
            if has_mode "$modes" err; then
                if [ -s "$tmp/c.err" ]; then echo "stderr: non-empty"; else echo "stderr: empty"; fi
            elif [ -s "$tmp/c.err" ]; then
                echo "$name: unexpected stderr from the reference:" >&2
                cat "$tmp/c.err" >&2
            fi
        } >"$out/$name.status"
    done
    exit 0
fi

ref=${1:?usage: make-fixtures.sh REFERENCE-BINARY [OUTDIR]}
out=${2:-$FIXTURE_DIR}
[ -x "$ref" ] || { echo "make-fixtures.sh: $ref: not executable" >&2; exit 1; }
[ "$(id -u)" = 0 ] || { echo "make-fixtures.sh: must run as root" >&2; exit 1; }

generate() { # generate OUTDIR
    local d
    d=$(mktemp -d /tmp/nsnap-world.XXXXXX)
    world_prepare "$d"
    # a copy every world user can execute (nested user namespaces)
    cp "$ref" "$d/ref" && chmod 0755 "$d/ref"
    mkdir -p "$1"
    rm -f "$1"/*.out "$1"/*.status
    local rc=0
    world_run "$d" "$INTEG_DIR/make-fixtures.sh" --in-world "$d/ref" "$(cd "$1" && pwd)" || rc=$?
    if [ $rc != 0 ]; then
        echo "make-fixtures.sh: world failed (status $rc); log:" >&2
        cat "$d/world.log" >&2
    fi
    rm -rf "$d"
    return $rc
}

if [ "${CHECK:-0}" = 1 ]; then
    a=$(mktemp -d) b=$(mktemp -d)
    generate "$a"
    generate "$b"
    if diff -r "$a" "$b"; then
        echo "fixtures stable: $(ls "$a" | grep -c '\.out$') cases, two runs identical"
        rm -rf "$a" "$b"
    else
        echo "fixtures NOT stable (kept $a and $b)" >&2
        exit 1
    fi
    exit 0
fi

generate "$out"
echo "wrote $(ls "$out" | grep -c '\.out$') cases to $out"
