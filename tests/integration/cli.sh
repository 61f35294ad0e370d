#!/bin/bash
# cli.sh — the command-line grammar of the three tools (issue 12).
#
# Runs as PID 1 of its own PID namespace (see common.sh), records two
# snapshots into a private store (a process in a new network namespace
# started between them), then checks:
#   version      --version of nsshow (also Go's "-version"), nsdiff and
#                nsnap: exit 0, nothing on stderr, "TOOL VERSION" with the
#                same VERSION for all three; an unknown flag that merely
#                looks like it is still nsshow's "flag provided but not
#                defined"
#   nsdiff-order the same output and status with the options before,
#                between and after the selectors, with POSIXLY_CORRECT
#                set, and around "--"; after "--" an option is a selector
#   nsnap-order  the same for nsnap's commands and their words; an option
#                of another command is refused, naming the command
#   options      every long option of each tool (from its option table in
#                tools/) is in its --help and in its manual page, and
#                neither names one the tool does not have
#
#   NSNAP_BIN   directory holding the tools (default: build)
#   KEEP=1      keep the temporary directory
#
# Output: "ok - NAME", "not ok - NAME" (details on "#" lines after it), and
# last "cli: N passed, M failed".  Exit status 0 when nothing failed.
set -u

SUITE=cli
. "$(dirname "$0")/common.sh"

NSSHOW=$NSNAP_BIN/nsshow NSDIFF=$NSNAP_BIN/nsdiff NSNAP=$NSNAP_BIN/nsnap
for t in "$NSSHOW" "$NSDIFF" "$NSNAP"; do
    if [ ! -x "$t" ]; then
        notok "setup: $t not found (make it first)"
        finish
    fi
done

T=$(mktemp -d /tmp/nsnap-cli.XXXXXX)
cleanup() {
    exec 2>/dev/null
    [ -n "${SLEEPER:-}" ] && kill -KILL "$SLEEPER"
    [ "${KEEP:-0}" = 1 ] || rm -rf "$T"
}
trap cleanup EXIT
S=$T/store
export NSNAP_STORE=$T/no-such-store  # every run names its store

# run NAME [VAR=VALUE...] TOOL ARGS...: NAME.out, .err, .rc in $T (a
# slash in NAME as a dash)
run() {
    local b=$T/${1//\//-}
    shift
    env "$@" >"$b.out" 2>"$b.err" </dev/null
    echo $? >"$b.rc"
}

# same NAME REF: NAME's status, stdout and stderr are REF's, no sanitizer
same() {
    local b=$T/${1//\//-} r=$T/${2//\//-}
    if grep -Eq "$SAN_RE" "$b.err"; then
        notok "$1" "sanitizer report:" "$b.err"
    elif [ "$(cat "$b.rc")" != "$(cat "$r.rc")" ]; then
        notok "$1" "exit status $(cat "$b.rc"), want $(cat "$r.rc")" "$b.err"
    elif ! diff -u "$r.out" "$b.out" >"$b.diff" || ! diff -u "$r.err" "$b.err" >>"$b.diff"; then
        notok "$1" "$b.diff"
    else
        ok "$1"
    fi
}

# refused NAME STATUS TEXT: NAME exited STATUS with TEXT on stderr
refused() {
    local b=$T/${1//\//-}
    if [ "$(cat "$b.rc")" = "$2" ] && grep -qF -- "$3" "$b.err" && ! grep -Eq "$SAN_RE" "$b.err"; then
        ok "$1"
    else
        notok "$1" "exit status $(cat "$b.rc") (want $2), want '$3' on stderr:" "$b.err"
    fi
}

# ---------------------------------------------------------------- version
V=""
for t in nsshow nsdiff nsnap; do
    run "version-$t" "$NSNAP_BIN/$t" --version
    b=$T/version-$t
    read -r name v rest <"$b.out"
    if [ "$(cat "$b.rc")" != 0 ] || [ -s "$b.err" ] || [ "$(wc -l <"$b.out")" != 1 ] ||
        [ "$name" != "$t" ] || [ -z "$v" ] || [ -n "$rest" ]; then
        notok "version/$t" "exit status $(cat "$b.rc"), stdout '$(cat "$b.out")'" "$b.err"
        continue
    fi
    ok "version/$t"
    [ -n "$V" ] || V=$v
    if [ "$v" != "$V" ]; then
        notok "version/$t-same" "'$v', but nsshow says '$V'"
    fi
done
[ -n "$V" ] && ok "version/same ($V)"
run version/go-syntax "$NSSHOW" -version
same version/go-syntax version-nsshow
run version-lookalike "$NSSHOW" --versions
if [ "$(cat "$T/version-lookalike.rc")" = 2 ] &&
    [ "$(head -n 1 "$T/version-lookalike.err")" = "flag provided but not defined: -versions" ]; then
    ok "version/unknown-flag-unchanged"
else
    notok "version/unknown-flag-unchanged" "exit status $(cat "$T/version-lookalike.rc")" "$T/version-lookalike.err"
fi

# ---------------------------------------------------------------- a store
if ! "$NSNAP" record -q --store "$S" >"$T/rec1.out" 2>"$T/rec1.err"; then
    notok "setup: nsnap record" "$T/rec1.err"
    finish
fi
unshare --net sleep 1000 &
SLEEPER=$!
# Recorded once the sleeper runs in its own network namespace.
for _ in $(seq 100); do
    [ "$(readlink "/proc/$SLEEPER/ns/net")" != "$(readlink /proc/self/ns/net)" ] &&
        [ "$(cat "/proc/$SLEEPER/comm")" = sleep ] && break
    sleep 0.05
done
if ! "$NSNAP" record -q --store "$S" >"$T/rec2.out" 2>"$T/rec2.err"; then
    notok "setup: nsnap record" "$T/rec2.err"
    finish
fi

# ---------------------------------------------------------------- nsdiff
run nsdiff-order/ref "$NSDIFF" --store "$S" --format=list 1 2
if [ "$(cat "$T/nsdiff-order-ref.rc")" = 1 ] && grep -q '^born net' "$T/nsdiff-order-ref.out"; then
    ok "nsdiff-order/reference"
else
    notok "nsdiff-order/reference" "exit status $(cat "$T/nsdiff-order-ref.rc"), want 1 and a born net" "$T/nsdiff-order-ref.out" "$T/nsdiff-order-ref.err"
fi
run nsdiff-order/after "$NSDIFF" 1 2 --format=list --store "$S"
same nsdiff-order/after nsdiff-order/ref
run nsdiff-order/between "$NSDIFF" 1 --format=list 2 --store "$S"
same nsdiff-order/between nsdiff-order/ref
run nsdiff-order/posix POSIXLY_CORRECT=1 "$NSDIFF" 1 --store "$S" 2 --format=list
same nsdiff-order/posix nsdiff-order/ref
run nsdiff-order/dashdash "$NSDIFF" --format=list --store "$S" -- 1 2
same nsdiff-order/dashdash nsdiff-order/ref
run nsdiff-order/dashdash-last "$NSDIFF" --store "$S" 1 2 --format=list --
same nsdiff-order/dashdash-last nsdiff-order/ref
run nsdiff-order/dashdash-ends "$NSDIFF" --store "$S" 1 -- --format=list
refused nsdiff-order/dashdash-ends 2 "snapshot '--format=list'"
run nsdiff-order/timeline-ref "$NSDIFF" --store "$S" --no-pids --timeline 1 2
run nsdiff-order/timeline "$NSDIFF" --timeline 1 2 --no-pids --store "$S"
same nsdiff-order/timeline nsdiff-order/timeline-ref
run nsdiff-order/timeline-posix POSIXLY_CORRECT=1 "$NSDIFF" --timeline 1 --no-pids 2 --store "$S"
same nsdiff-order/timeline-posix nsdiff-order/timeline-ref

# ---------------------------------------------------------------- nsnap
run nsnap-order/ref "$NSNAP" --store "$S" list --json
if [ "$(cat "$T/nsnap-order-ref.rc")" = 0 ] && [ "$(grep -c '"id": ' "$T/nsnap-order-ref.out")" = 2 ]; then
    ok "nsnap-order/reference"
else
    notok "nsnap-order/reference" "exit status $(cat "$T/nsnap-order-ref.rc"), want 0 and two snapshots" "$T/nsnap-order-ref.out" "$T/nsnap-order-ref.err"
fi
run nsnap-order/after "$NSNAP" list --store "$S" --json
same nsnap-order/after nsnap-order/ref
run nsnap-order/before "$NSNAP" --json list --store "$S"
same nsnap-order/before nsnap-order/ref
run nsnap-order/posix POSIXLY_CORRECT=1 "$NSNAP" list --json --store "$S"
same nsnap-order/posix nsnap-order/ref
run nsnap-order/dashdash "$NSNAP" --store "$S" --json -- list
same nsnap-order/dashdash nsnap-order/ref
run nsnap-order/info-ref "$NSNAP" --store "$S" info 2
run nsnap-order/info-after "$NSNAP" info 2 --store "$S"
same nsnap-order/info-after nsnap-order/info-ref
run nsnap-order/info-posix POSIXLY_CORRECT=1 "$NSNAP" info -q 2 --store "$S"
same nsnap-order/info-posix nsnap-order/info-ref
run nsnap-order/info-dashdash "$NSNAP" info --store "$S" -- 2
same nsnap-order/info-dashdash nsnap-order/info-ref
run nsnap-order/dashdash-ends "$NSNAP" --store "$S" info -- --json
refused nsnap-order/dashdash-ends 1 "snapshot '--json'"
run nsnap-order/other-command "$NSNAP" info 2 --store "$S" --json
refused nsnap-order/other-command 2 "--json is for 'list' only"
run nsnap-order/two-commands "$NSNAP" --keep 3 list --store "$S"
refused nsnap-order/two-commands 2 "--keep is for 'record' and 'prune' only"

# ---------------------------------------------------------------- options
# source_opts TOOL: the long options of TOOL's option table
source_opts() {
    if [ "$1" = nsshow ]; then
        sed -n 's/.*{ "\([a-z][a-z-]*\)", FLAG_.*/\1/p' "$TOP_DIR/tools/nsshow.c"
    else
        sed -n 's/.*{ "\([a-z][a-z-]*\)", \(no\|required\|optional\)_argument.*/\1/p' "$TOP_DIR/tools/$1.c"
    fi | grep -v '^.$' | sort -u
}
# help_opts TOOL: the long options its --help names
help_opts() {
    "$NSNAP_BIN/$1" --help 2>&1 | grep -o -- '--[a-z][a-z-]*' | sed 's/^--//' | sort -u
}
# man_opts PAGE: the long options its list items (.It) name
man_opts() {
    grep '^\.It' "$1" | sed 's/\\-/-/g' | grep -o -- 'Fl -[a-z][a-z-]*' |
        sed 's/^Fl -//' | sort -u
}
for tp in nsshow:man/nsshow.1 nsdiff:man/nsdiff.1 nsnap:man/nsnap.8; do
    t=${tp%%:*} page=$TOP_DIR/${tp#*:}
    source_opts "$t" >"$T/$t.src"
    help_opts "$t" >"$T/$t.help"
    man_opts "$page" >"$T/$t.man"
    if [ "$(wc -l <"$T/$t.src")" -lt 5 ]; then
        notok "options/$t" "found only $(wc -l <"$T/$t.src") options in tools/$t.c"
        continue
    fi
    for w in help man; do
        if diff -u --label "tools/$t.c" --label "$w" "$T/$t.src" "$T/$t.$w" >"$T/$t.$w.diff"; then
            ok "options/$t-$w ($(wc -l <"$T/$t.src") options)"
        else
            notok "options/$t-$w" "$T/$t.$w.diff"
        fi
    done
done

finish
