#!/bin/bash
# ref-compare.sh — developer-only: the reference and nsshow side by side.
#
#   tests/integration/ref-compare.sh REFERENCE-BINARY [NSSHOW] [CASE-REGEX]
#
# Builds one test world and runs, for every case in cases.list (or those
# whose name matches CASE-REGEX), the reference (on a pty of N columns for
# w=N cases) and `NSSHOW --color=always --width=N ARGS` (NSSHOW defaults to
# $NSNAP_BIN/nsshow, NSNAP_BIN to build). Outputs are compared raw: only
# the PIDs above the world's highest PID (the two tools themselves, their
# threads) are removed (normalize -k), namespace ids stay as they are, since
# both tools look at the same world; ESC shows as "^[". stderr and exit
# statuses are compared too (usage texts are expected to differ). Prints a
# unified diff per differing case and a summary; exits 1 if any differ.
set -u
. "$(dirname "$0")/lib.sh"

if [ "${1:-}" = --in-world ]; then
    ref=$2 nsshow=$3 only=$4
    case_read
    t=$WORLD_DIR/cmp
    mkdir -p "$t"
    same=0 differ=0
    for i in "${!CASE_NAME[@]}"; do
        name=${CASE_NAME[$i]} modes=${CASE_MODES[$i]}
        [ -z "$only" ] || [[ $name =~ $only ]] || continue
        subst_args "${CASE_ARGS[$i]}" || continue
        width=80 rmodes=$modes
        if w=$(mode_value "$modes" w); then width=$w rmodes="$modes,pty=$w"; fi
        run_tool "$t/ref" "$rmodes" "$ref" "${ARGV[@]}"
        run_tool "$t/new" "$modes" "$nsshow" --color=always "--width=$width" "${ARGV[@]}"
        "$NORMALIZE" -k -m "$WORLD_MAXPID" -w "$width" "$t/ref.raw" >"$t/ref.out"
        "$NORMALIZE" -k -m "$WORLD_MAXPID" -w "$width" "$t/new.raw" >"$t/new.out"
        : >"$t/report"
        usage=0
        grep -qxF "$REF_USAGE_FIRST" "$t/ref.out" && usage=1
        if [ $usage = 1 ]; then
            # compare up to the usage text only
            sed "/^$(printf '%s' "$REF_USAGE_FIRST" | sed 's/[][\.*^$/]/\\&/g')\$/,\$d" "$t/ref.out" >"$t/ref.cut"
            sed '/^Usage: /,$d' "$t/new.out" >"$t/new.cut"
            diff -u "$t/ref.cut" "$t/new.cut" >>"$t/report"
            grep -q '^Usage: ' "$t/new.out" || echo "nsshow printed no usage text on stdout" >>"$t/report"
        else
            diff -u --label "reference $name" --label "nsshow $name" "$t/ref.out" "$t/new.out" >>"$t/report"
        fi
        r1=$(cat "$t/ref.rc") r2=$(cat "$t/new.rc")
        [ "$r1" = "$r2" ] || echo "exit status: reference $r1, nsshow $r2" >>"$t/report"
        e1=empty e2=empty
        [ -s "$t/ref.err" ] && e1=non-empty
        [ -s "$t/new.err" ] && e2=non-empty
        if [ $e1 != $e2 ]; then
            echo "stderr: reference $e1, nsshow $e2" >>"$t/report"
            [ -s "$t/new.err" ] && sed 's/^/  nsshow stderr: /' "$t/new.err" | head -n 5 >>"$t/report"
        fi
        if [ -s "$t/report" ]; then
            differ=$((differ + 1))
            echo "=== $name (${CASE_ARGS[$i]:-no arguments}${modes:+; $modes}) DIFFERS"
            cat "$t/report"
        else
            same=$((same + 1))
            [ "${VERBOSE:-0}" = 1 ] && echo "=== $name: identical"
        fi
    done
    echo "ref-compare: $same identical, $differ differ (world max PID $WORLD_MAXPID)"
    [ $differ = 0 ]
    exit
fi

ref=${1:?usage: ref-compare.sh REFERENCE-BINARY [NSSHOW] [CASE-REGEX]}
nsshow=${2:-${NSNAP_BIN:-build}/nsshow}
only=${3:-}
case $nsshow in /*) ;; *) nsshow=$TOP_DIR/$nsshow ;; esac
[ -x "$ref" ] || { echo "ref-compare.sh: $ref: not executable" >&2; exit 2; }
[ -x "$nsshow" ] || { echo "ref-compare.sh: $nsshow: not executable" >&2; exit 2; }
d=$(mktemp -d /tmp/nsnap-world.XXXXXX)
trap 'rm -rf "$d"' EXIT
world_prepare "$d" || exit 2
cp "$ref" "$d/ref" && cp "$nsshow" "$d/nsshow" && chmod 0755 "$d/ref" "$d/nsshow"
world_run "$d" "$INTEG_DIR/ref-compare.sh" --in-world "$d/ref" "$d/nsshow" "$only"
