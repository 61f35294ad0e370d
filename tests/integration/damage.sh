#!/bin/bash
# damage.sh — a damage sweep of the store, through the command-line tools.
#
# Records a small real world into a store (10 snapshots, two labels, two
# pruned so that the file has free pages) and makes a compact `nsnap copy`
# of it: the two bases.  Every variant damages one base in one way; every
# command below then runs on a fresh copy of the damaged store, under
# timeout(1) and the sanitizers of $NSNAP_BIN (the ASan build in 'make
# check'):
#
#   verify  nsnap verify             list    nsnap list
#   info    nsnap info latest        nsshow  nsshow --snapshot=latest
#   nsdiff  nsdiff 1 latest          prune   nsnap prune --keep 2
#   record  nsnap record             export  nsnap export latest -o FILE
#
# Classes of variants (a variant is named BASE:CLASS:WHAT, BASE being
# "store" or "copy"; offsets in bytes, pages of the store's page size):
#
#   trunc  data.mdb cut (or grown with zeros) to WHAT bytes
#   meta   a byte of meta page 0 or 1 (the first 192 of each): OFF=HH sets
#          it to HH, OFF^HH xors it with HH (one bit, the one at OFF mod 8)
#   zero   page WHAT filled with 0x00          ones   the same with 0xff
#   swap   pages I,J exchanged                 dup    page I written over J
#   bits   BIT+N: N bits inverted from bit BIT of the file (seeded, so the
#          same list every run)
#   lock   lock.mdb cut, zeroed, 0xff, junk or gone, no one else using it
#   held   the same while another process holds the lock file's shared
#          lock, as a running nsnap would: the tool must trust its contents
#
# Each (variant, command) is
#   crashed  killed by a signal, status >= 128, a sanitizer report or an
#            assertion (LMDB's, glibc's) on stderr
#   hung     the timeout ran out
#   wrong    a silent wrong answer: the command succeeded, `nsnap verify`
#            on the same damaged store passes, and the output differs from
#            the undamaged store's (nsdiff: also its status); for prune the
#            list left must be the undamaged store's after the same prune,
#            for record the ids must be the old ones and the new one, and
#            the new id must never be one handed out before (that one
#            whatever verify says)
#   handled  anything else: a clean error, or damage that changes nothing
#
# Environment:
#   NSNAP_BIN       directory of nsnap, nsshow, nsdiff (default: build)
#   DAMAGE_SWEEP    sample (default, ~200 variants, for 'make check') or
#                   full (~2,700 variants, for 'make check-damage')
#   DAMAGE_ONLY     an extended regular expression: only the variants whose
#                   name matches (e.g. '^copy:meta:145=ff$')
#   DAMAGE_TIMEOUT  seconds per command (default 10 for sample, 20 for full;
#                   a command takes well under a second here)
#   DAMAGE_LOG      the failing cases, for a developer (default
#                   build/damage.log)
#   DAMAGE_KEEP=1   keep the work directory, with every failing variant's
#                   damaged store in keep/NAME
#   DAMAGE_NOASLR=1 run the tools without address randomisation (a case
#                   whose fault depends on the layout then replays the same)
#   CC              compiler for helpers/damage.c (default: cc)
#
# Output: the matrices (per class, and class x command), the distinct
# failure signatures, and last "damage: N passed, M failed" counting
# (variant, command) pairs; exit 1 when one crashed, hung or was wrong.
# Needs root, util-linux and cc; runs as PID 1 of its own PID namespace.
set -u

SUITE=damage
. "$(dirname "$0")/common.sh"

MODE=${DAMAGE_SWEEP:-sample}
case $MODE in
sample) TIMEOUT=${DAMAGE_TIMEOUT:-10} ;;
full) TIMEOUT=${DAMAGE_TIMEOUT:-20} ;;
*) echo "damage.sh: DAMAGE_SWEEP is sample or full, not '$MODE'" >&2; exit 2 ;;
esac
ONLY=${DAMAGE_ONLY:-}
LOG=${DAMAGE_LOG:-$TOP_DIR/build/damage.log}
JOBS=2
NSNAP=$NSNAP_BIN/nsnap
NSSHOW=$NSNAP_BIN/nsshow
NSDIFF=$NSNAP_BIN/nsdiff
CMDS=(verify list info nsshow nsdiff prune record export)
CLASSES=(trunc meta zero ones swap dup bits lock held)

for t in "$NSNAP" "$NSSHOW" "$NSDIFF"; do
    if [ ! -x "$t" ]; then
        notok "setup: $t not found (make it first)"
        finish
    fi
done

W=$(mktemp -d /tmp/nsnap-damage.XXXXXX)
cleanup() {
    local j
    for j in $(jobs -p); do kill -9 "$j" 2>/dev/null; done
    wait 2>/dev/null
    if [ "${DAMAGE_KEEP:-0}" = 1 ]; then echo "# kept $W"; else rm -rf "$W"; fi
}
trap cleanup EXIT
exec </dev/null
T0=$SECONDS

setup_fail() { # setup_fail WHAT [DETAIL...]
    local what=$1
    shift
    notok "setup: $what" "$@"
    finish
}

DMG=$W/damage
${CC:-cc} -O1 -o "$DMG" "$TOP_DIR/tests/integration/helpers/damage.c" 2>"$W/cc.log" ||
    setup_fail "compiling helpers/damage.c" "$W/cc.log"

# ---------------------------------------------------------------- the world
# Sleepers with their own names (a symlink's name becomes the comm), some
# in namespaces of their own; each snapshot adds one, snapshots 4 and 5
# hold 24 more, which are gone by 6, so pruning 4 and 5 frees pages.
# Waiting uses builtins only (read -t on a FIFO no one writes), so that
# the PIDs, and with them the store's layout, are the same on every run.
SLEEP=$(command -v sleep)
mkdir -p "$W/bin"
mkfifo "$W/never"
exec {NEVER}<>"$W/never"
spawn() { # spawn COMM [UNSHARE-OPTION...]: a sleeper, running as COMM on return
    local c=$1 i comm
    shift
    ln -sf "$SLEEP" "$W/bin/$c"
    if [ $# -gt 0 ]; then
        unshare "$@" "$W/bin/$c" 100000 2>/dev/null &
    else
        "$W/bin/$c" 100000 &
    fi
    SPAWNED=$!
    for ((i = 0; i < 500; i++)); do
        comm=
        read -r comm <"/proc/$SPAWNED/comm" 2>/dev/null
        [ "$comm" = "$c" ] && return 0
        kill -0 "$SPAWNED" 2>/dev/null || return 1
        read -r -t 0.01 -u "$NEVER"
    done
    return 1
}

REF=$W/ref
mkdir -p "$REF"
spawn dmg-idle && spawn dmg-utsipc --uts --ipc && spawn dmg-net --net ||
    setup_fail "cannot start the world's sleepers"
spawn dmg-user --user --map-root-user || true   # not everywhere
big=()
for i in $(seq 10); do
    spawn "dmg-step$i" --uts || setup_fail "cannot start sleeper $i"
    if [ "$i" = 4 ]; then
        for k in $(seq 24); do
            spawn "dmg-big$k" || setup_fail "cannot start dmg-big$k"
            big+=("$SPAWNED")
        done
    elif [ "$i" = 6 ]; then
        kill "${big[@]}"
        wait "${big[@]}" 2>/dev/null
    fi
    label=()
    case $i in 3) label=(--label base) ;; 10) label=(--label tip) ;; esac
    id=$("$NSNAP" record -q "${label[@]}" --store "$REF/store" 2>"$W/rec.err")
    [ "$id" = "$i" ] || setup_fail "record $i printed '$id'" "$W/rec.err"
done
"$NSNAP" prune -q 4 5 --store "$REF/store" >"$W/prune.out" 2>&1 &&
    "$NSNAP" copy -q "$REF/copy" --store "$REF/store" >"$W/copy.out" 2>&1 ||
    setup_fail "prune or copy of the reference" "$W/prune.out" "$W/copy.out"
PS=$(od -An -tu4 -j 40 -N 4 "$REF/store/data.mdb" | tr -d ' ')
LOCKSIZE=$(stat -c %s "$REF/store/lock.mdb")
case $PS in 512 | 1024 | 2048 | 4096 | 8192 | 16384 | 32768 | 65536) ;;
*) setup_fail "page size '$PS' read from the reference store" ;;
esac
declare -A SIZE PAGES
for b in store copy; do
    SIZE[$b]=$(stat -c %s "$REF/$b/data.mdb")
    PAGES[$b]=$((SIZE[$b] / PS))
done

# ---------------------------------------------------------------- running
# run_cmd STORE CMD [OUT]: command CMD of the sweep on directory STORE;
# stdout in OUT.out, stderr in OUT.err (OUT: STORE), the export in
# STORE.json; its status in RC, TIMED_OUT set when the timeout ran out
run_cmd() {
    local s=$1 o=${3:-$1} t0=$SECONDS
    local -a argv
    case $2 in
    verify) argv=("$NSNAP" verify --store "$s") ;;
    list) argv=("$NSNAP" list --store "$s") ;;
    listjson) argv=("$NSNAP" list --json --store "$s") ;;
    info) argv=("$NSNAP" info latest --store "$s") ;;
    nsshow) argv=("$NSSHOW" --snapshot=latest "--store=$s") ;;
    nsdiff) argv=("$NSDIFF" --store "$s" 1 latest) ;;
    prune) argv=("$NSNAP" prune --keep 2 --store "$s") ;;
    record) argv=("$NSNAP" record -q --store "$s") ;;
    export) argv=("$NSNAP" export latest -o "$s.json" --store "$s") ;;
    esac
    # (the braces take bash's "Aborted" and the like off our stderr)
    { timeout -k 5 "$TIMEOUT" "${NOASLR[@]}" "${argv[@]}" >"$o.out" 2>"$o.err"; } 2>/dev/null
    RC=$?
    TIMED_OUT=
    if [ "$RC" = 124 ] || { [ "$RC" = 137 ] && [ $((SECONDS - t0)) -ge "$TIMEOUT" ]; }; then
        TIMED_OUT=1
    fi
}

# The tools run with address randomisation, as they do in use: where
# damage makes LMDB follow a junk pointer, a fixed layout can hide a fault
# (a lock file cut to 1 byte under another user faults in about half the
# runs).  DAMAGE_NOASLR=1 turns it off, so that a case replays the same.
NOASLR=()
if [ "${DAMAGE_NOASLR:-0}" = 1 ]; then
    NOASLR=(setarch "$(uname -m)" -R)
    "${NOASLR[@]}" true 2>/dev/null || setup_fail "DAMAGE_NOASLR=1: setarch -R does not work here"
fi

# fresh FROM TO: TO becomes a copy of store directory FROM
fresh() {
    rm -rf "$2" "$2.json"
    cp -a "$1" "$2"
}

# ids FILE: the snapshot ids in an output of `nsnap list --json`
ids() { sed -n 's/^ *{"id": \([0-9]*\),.*/\1/p' "$1" | tr '\n' ' '; }

# The undamaged stores' answers: REF/BASE.CMD.{out,rc}, the export in
# REF/BASE.export.json, the list after the prune in REF/BASE.prune.list,
# the ids before and after the record in REF/BASE.ids, REF/BASE.record.ids.
for b in store copy; do
    for c in "${CMDS[@]}" listjson; do
        fresh "$REF/$b" "$W/r"
        run_cmd "$W/r" "$c"
        cp "$W/r.out" "$REF/$b.$c.out"
        echo "$RC" >"$REF/$b.$c.rc"
        want=0
        [ "$c" = nsdiff ] && want=1
        if [ "$RC" != "$want" ] || grep -Eqs "$SAN_RE" "$W/r.err" ||
           { [ "$c" != export ] && [ ! -s "$W/r.out" ]; }; then
            setup_fail "$c on the undamaged $b: status $RC" "$W/r.err"
        fi
        case $c in
        export) cp "$W/r.json" "$REF/$b.export.json" ;;
        prune) run_cmd "$W/r" list && cp "$W/r.out" "$REF/$b.prune.list" ;;
        listjson) ids "$W/r.out" >"$REF/$b.ids" ;;
        record)
            run_cmd "$W/r" listjson
            ids "$W/r.out" >"$REF/$b.record.ids"
            ;;
        esac
    done
done
cmp -s "$REF/store.list.out" "$REF/copy.list.out" ||
    setup_fail "the copy lists differently" "$REF/store.list.out" "$REF/copy.list.out"
echo "# reference: $(wc -l <"$REF/store.list.out") list lines, ${PAGES[store]} pages" \
     "(copy: ${PAGES[copy]}) of $PS bytes, next id $(cat "$REF/store.record.out"); $((SECONDS - T0)) s"

# ---------------------------------------------------------------- variants
# All of them, in a fixed order, as lines "CLASS NAME"; the sample takes
# an evenly spaced part of each class (meta: the fields' first bytes).
RANDSEED=20250101
rand() { # rand N: a number 0..N-1 in R (a fixed LCG: the same list every run)
    RANDSEED=$(((RANDSEED * 1103515245 + 12345) % 2147483648))
    R=$(((RANDSEED >> 8) % $1))
}
gen_trunc() {
    local b=$1 n=${PAGES[$1]} k s
    {
        for s in 0 1 2 16 100 $((PS / 2)); do echo "$s"; done
        for ((k = 1; k <= n; k++)); do
            echo $((k * PS - 1))
            echo $((k * PS))
            echo $((k * PS + 1))
            echo $((k * PS + PS / 2))
        done
        echo $((n * PS * 2))
    } | awk -v size="${SIZE[$b]}" '$1 != size'
}
# page_pairs CLASS SEP N ordered|unordered: pairs of pages, "I SEP J": in
# the copy every pair (ordered: both ways round), in the store the
# neighbours and N pairs drawn at random
page_pairs() {
    local c=$1 sep=$2 n=$3 how=$4 i j k
    for ((i = 0; i < PAGES[copy]; i++)); do
        for ((j = 0; j < PAGES[copy]; j++)); do
            if [ "$i" -lt "$j" ] || { [ "$how" = ordered ] && [ "$i" != "$j" ]; }; then
                echo "$c copy:$c:$i$sep$j"
            fi
        done
    done
    for ((i = 0; i + 1 < PAGES[store]; i++)); do echo "$c store:$c:$i$sep$((i + 1))"; done
    for ((k = 0; k < n; k++)); do
        rand "${PAGES[store]}"; i=$R
        rand "${PAGES[store]}"; j=$R
        [ "$i" = "$j" ] && continue
        [ "$how" = ordered ] || [ "$i" -lt "$j" ] || { j=$i; i=$R; }
        echo "$c store:$c:$i$sep$j"
    done
}
gen_full() {
    local b p o i j v byte
    for b in store copy; do gen_trunc "$b" | sort -nu | sed "s/^/trunc $b:trunc:/"; done
    for b in store copy; do
        for p in 0 1; do
            # od prints the 192 bytes, one per line: skip what is no change
            o=0
            while read -r byte; do
                v=$((p * PS + o))
                [ "$byte" != 255 ] && echo "meta $b:meta:$v=ff"
                [ "$byte" != 0 ] && echo "meta $b:meta:$v=00"
                printf 'meta %s:meta:%d^%02x\n' "$b" "$v" $((1 << (o % 8)))
                o=$((o + 1))
            done < <(od -An -v -tu1 -w1 -j $((p * PS)) -N 192 "$REF/$b/data.mdb")
        done
    done
    for b in store copy; do
        for ((i = 0; i < PAGES[$b]; i++)); do echo "zero $b:zero:$i"; done
    done
    for b in store copy; do
        for ((i = 0; i < PAGES[$b]; i++)); do echo "ones $b:ones:$i"; done
    done
    page_pairs swap , 40 unordered
    page_pairs dup '>' 60 ordered
    # bits: runs of 1 to 4096 bits, mostly short, anywhere in the file
    local lens=(1 1 1 2 3 4 7 8 13 16 32 64 100 512 4096)
    for b in store copy; do
        for ((k = 0; k < 150; k++)); do
            rand $((SIZE[$b] * 8)); i=$R
            rand ${#lens[@]}; j=${lens[$R]}
            [ $((i + j)) -gt $((SIZE[$b] * 8)) ] && j=$((SIZE[$b] * 8 - i))
            echo "bits $b:bits:$i+$j"
        done
    done
    for c in lock held; do
        for v in trunc=0 trunc=1 trunc=100 trunc=$((LOCKSIZE / 2)) trunc=$((LOCKSIZE - 1)) \
                 zero ones junk=1 junk=2 magic=1 readers=1 readers=2 gone \
                 rmutex={1..7} txnid={1..7} wmutex={1..7}; do
            [ "$c:$v" = held:gone ] && continue
            echo "$c store:$c:$v"
        done
    done
}
# The sample's meta bytes: the first bytes of the meta fields, in both
# pages of both bases, the value turning with each (0xff, 0x00, a bit),
# and the damage of issue 9 exactly.
META_HOT="0 10 16 20 24 34 40 41 44 46 48 56 72 80 94 104 120 128 136 144 145"
gen_sample() {
    local b p o k=0 v
    for b in store copy; do
        for p in 0 1; do
            for o in $META_HOT; do
                v=$((p * PS + o))
                case $((k % 3)) in
                0) echo "meta $b:meta:$v=ff" ;;
                1) printf 'meta %s:meta:%d^%02x\n' "$b" "$v" $((1 << (o % 8))) ;;
                2) echo "meta $b:meta:$v=00" ;;
                esac
                k=$((k + 1))
            done
        done
    done
    # the damage of issue 9 (the newer and the older meta's txnid, a page
    # size) and one of each failure the full sweep found before the fixes
    echo "meta store:meta:145=ff"
    echo "meta copy:meta:145=ff"
    echo "meta store:meta:$((PS + 145))=ff"
    printf 'meta copy:meta:%d^01\n' $((PS + 40))
    echo "meta copy:meta:$((PS + 42))=ff"
    echo "meta store:meta:41=00"
    echo "meta store:meta:44=ff"
    echo "meta store:meta:80=00"
    printf 'meta copy:meta:%d^10\n' $((PS + 44))
    # the rest: evenly spaced picks of each class's full list
    gen_full | awk -v quota="trunc=20 zero=16 ones=10 swap=12 dup=14 bits=30 lock=6 held=3" '
        BEGIN { n = split(quota, q, " "); for (i = 1; i <= n; i++) { split(q[i], kv, "="); want[kv[1]] = kv[2] } }
        $1 in want { line[$1, ++cnt[$1]] = $0 }
        END {
            for (c in want) for (i = 1; i <= cnt[c]; i++) {
                if (int((i - 1) * want[c] / cnt[c]) != int(i * want[c] / cnt[c]) || cnt[c] <= want[c])
                    print line[c, i]
            }
        }' | sort -s -k1,1
    # another user's lock file: cut, and junk in each mutex and the txnid
    for v in trunc=1 rmutex=3 wmutex=7 txnid=3; do echo "held store:held:$v"; done
}
if [ "$MODE" = full ]; then gen_full; else gen_sample; fi |
    awk '!seen[$2]++' >"$W/variants.all"
if [ -n "$ONLY" ]; then
    awk -v re="$ONLY" '$2 ~ re' "$W/variants.all" >"$W/variants"
else
    cp "$W/variants.all" "$W/variants"
fi
awk '{ print NR - 1, $0 }' "$W/variants" >"$W/variants.n"
NVAR=$(wc -l <"$W/variants")
[ "$NVAR" -gt 0 ] || setup_fail "no variant matches DAMAGE_ONLY='$ONLY'"
echo "# $MODE sweep: $NVAR variants x ${#CMDS[@]} commands, $JOBS workers, timeout $TIMEOUT s"

# ---------------------------------------------------------------- damaging
# damage_apply NAME DIR: DIR becomes the damaged store of variant NAME
damage_apply() {
    local base class what f a b
    IFS=: read -r base class what <<<"$1"
    rm -rf "$2"
    cp -a "$REF/$base" "$2" || return 1
    f=$2/data.mdb
    case $class in
    trunc) truncate -s "$what" "$f" ;;
    meta)
        case $what in
        *=*) "$DMG" "$f" set "${what%=*}" "0x${what#*=}" ;;
        *) "$DMG" "$f" xor "${what%^*}" "0x${what#*^}" ;;
        esac
        ;;
    zero) "$DMG" "$f" fill $((what * PS)) "$PS" 0 ;;
    ones) "$DMG" "$f" fill $((what * PS)) "$PS" 255 ;;
    swap) "$DMG" "$f" swap $((${what%,*} * PS)) $((${what#*,} * PS)) "$PS" ;;
    dup) "$DMG" "$f" copy $((${what%>*} * PS)) $((${what#*>} * PS)) "$PS" ;;
    bits) "$DMG" "$f" bits "${what%+*}" "${what#*+}" ;;
    lock | held)
        # LMDB's MDB_txninfo (x86_64, POSIX mutexes): magic and format
        # in bytes 0-7, the readers' mutex in 8-47, the last txnid and the
        # number of readers in 48-63, the writer's mutex from 64, the
        # reader slots from 128
        f=$2/lock.mdb
        a=${what#*=}
        case $what in
        trunc=*) truncate -s "$a" "$f" ;;
        zero) "$DMG" "$f" fill 0 "$LOCKSIZE" 0 ;;
        ones) "$DMG" "$f" fill 0 "$LOCKSIZE" 255 ;;
        junk=*) "$DMG" "$f" junk 0 "$LOCKSIZE" "$a" ;;
        magic=*) "$DMG" "$f" junk 0 8 "$a" ;;
        rmutex=*) "$DMG" "$f" junk 8 40 "$a" ;;
        txnid=*) "$DMG" "$f" junk 48 16 "$a" ;;
        wmutex=*) "$DMG" "$f" junk 64 64 "$a" ;;
        readers=*) "$DMG" "$f" junk 128 $((LOCKSIZE - 128)) "$a" ;;
        gone) rm -f "$f" ;;
        *) return 1 ;;
        esac
        ;;
    *) return 1 ;;
    esac
}

# hold_start DIR / hold_stop: another user of DIR's lock file meanwhile
HOLDER=
hold_start() {
    local i
    [ -e "$1/lock.mdb" ] || return 0
    rm -f "$1.held"
    "$DMG" "$1/lock.mdb" hold >"$1.held" 2>&1 &
    HOLDER=$!
    for i in $(seq 500); do
        [ -s "$1.held" ] && return 0
        sleep 0.01
    done
    return 1
}
hold_stop() {
    [ -n "$HOLDER" ] || return 0
    kill -9 "$HOLDER" 2>/dev/null
    wait "$HOLDER" 2>/dev/null
    HOLDER=
}

# ---------------------------------------------------------------- judging
# signature ERR: one line saying how a crash looks (the sanitizer's kind
# and its first frame outside the sanitizer, with the first frame in the
# project's code; or the assertion)
signature() {
    awk '
    function base(s) { sub(/.*\//, "", s); return s }
    /ERROR: (AddressSanitizer|LeakSanitizer)/ && kind == "" {
        k = $0; sub(/.*ERROR: /, "", k)
        sub(/ on (unknown )?address.*/, "", k); sub(/: memory ranges.*/, "", k)
        gsub(/0x[0-9a-f]+/, "ADDR", k); kind = k; next
    }
    /runtime error:/ && kind == "" { k = $0; sub(/^[^ ]*\//, "", k); kind = "UBSan " k; next }
    /Assertion .* failed/ && kind == "" { k = $0; sub(/^[a-z]+: /, "", k); kind = "assertion " base(k); next }
    kind != "" && /^ *#[0-9]+ / {
        f = $0; sub(/^ *#[0-9]+ 0x[0-9a-f]+ /, "", f)
        if (f ~ /^in (__interceptor_|___interceptor_|__asan|__sanitizer|__lsan|__ubsan|(malloc|calloc|realloc|free|mem(cpy|move|set|cmp)|str[a-z]*)( |$))/) next
        gsub(/[()]/, "", f)
        named = f ~ /^in /
        if (named) { sub(/^in /, "", f); n = split(f, p, " "); f = p[1] " " base(p[n]); fn = p[1] }
        else f = base(f)
        if (first == "") first = f
        if (named && fname == "") fname = fn
        if (own == "" && $0 ~ /[ \/](store|libcore|tools)\/[a-z_]+\.c:/) own = f
    }
    END {
        if (kind == "") exit
        s = kind
        if (first != "") s = s " in " first
        if (fname != "" && index(first, fname) != 1) s = s " (" fname ")"
        if (own != "" && own != first) s = s " via " own
        print s
    }' "$1"
}

# judge W IDX CLASS NAME BASE CMD S V L: the verdict on the run just made
# on store S (V, L: the status of verify and of list on this variant) into
# W's results; failing cases go to W's log.  The list that follows a
# record or a prune only counts against it when list worked before.
judge() {
    local w=$1 idx=$2 class=$3 name=$4 b=$5 c=$6 s=$7 v=$8 l=$9 verdict=handled sig= got
    local rc=$RC ok=0 detail=
    if [ -n "$TIMED_OUT" ]; then
        verdict=hung sig="no answer in $TIMEOUT s"
    elif [ -s "$s.err" ] && grep -Eq "$SAN_RE|Assertion .* failed" "$s.err"; then
        verdict=crashed sig=$(signature "$s.err")
        [ -n "$sig" ] || sig="sanitizer report"
    elif [ "$rc" -ge 128 ]; then
        verdict=crashed sig="status $rc"
        [ "$rc" -gt 128 ] && sig="killed by SIG$(kill -l $((rc - 128)) 2>/dev/null)"
    else
        case $c in nsdiff) [ "$rc" -le 1 ] && ok=1 ;; *) [ "$rc" = 0 ] && ok=1 ;; esac
    fi
    if [ "$ok" = 1 ]; then
        case $c in
        record)
            got=$(head -c 40 "$s.out")
            if ! [[ $got =~ ^[0-9]+$ ]] || [ "$got" -lt "$(cat "$REF/$b.record.out")" ]; then
                verdict=wrong sig="handed out id '$got' again (ids up to $(($(cat "$REF/$b.record.out") - 1)) were given)"
            elif [ "$v" = 0 ]; then
                run_cmd "$s" listjson "$s.after"
                if { [ "$RC" = 0 ] || [ "$l" = 0 ]; } &&
                   [ "$(ids "$s.after.out")" != "$(cat "$REF/$b.ids")$got " ]; then
                    verdict=wrong sig="ids after the record are not the old ones and $got"
                    detail="ids after: $(ids "$s.after.out")"
                fi
            fi
            ;;
        prune)
            if [ "$v" = 0 ]; then
                if ! cmp -s "$s.out" "$REF/$b.prune.out"; then
                    verdict=wrong sig="verify passes, prune says something else"
                    detail=$(diff "$REF/$b.prune.out" "$s.out" | head -n 6)
                else
                    run_cmd "$s" list "$s.after"
                    if { [ "$RC" = 0 ] || [ "$l" = 0 ]; } &&
                       ! cmp -s "$s.after.out" "$REF/$b.prune.list"; then
                        verdict=wrong sig="verify passes, the list after prune differs"
                        detail=$(diff "$REF/$b.prune.list" "$s.after.out" | head -n 8)
                    fi
                fi
            fi
            ;;
        *)
            if [ "$v" = 0 ] && { ! cmp -s "$s.out" "$REF/$b.$c.out" ||
                                 [ "$rc" != "$(cat "$REF/$b.$c.rc")" ] ||
                                 { [ "$c" = export ] && ! cmp -s "$s.json" "$REF/$b.export.json"; }; }; then
                verdict=wrong sig="verify passes, $c answers differently (status $rc)"
                [ "$c" = verify ] && sig="verify passes: $(head -n 1 "$s.out")"
                detail=$(diff "$REF/$b.$c.out" "$s.out" | head -n 8)
            fi
            ;;
        esac
    fi
    printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$idx" "$class" "$c" "$verdict" "$name" "$rc" "$sig" >>"$W/res.$w"
    [ "$verdict" = handled ] && return 0
    {
        echo "== $name  $c  $verdict  (status $rc, verify $v)"
        echo "   $sig"
        [ -n "$detail" ] && printf '%s\n' "$detail" | sed 's/^/   | /'
        [ -s "$s.err" ] && head -n 6 "$s.err" | cut -c1-200 | sed 's/^/   ! /'
    } | sed "s/^/$idx\t/" >>"$W/log.$w"
    return 1
}

# worker N: the variants whose number is N modulo JOBS
worker() {
    local w=$1 d=$W/w$1 idx class name b c v l failed
    mkdir -p "$d"
    : >"$W/res.$w"
    : >"$W/log.$w"
    : >"$W/noop.$w"
    while read -r idx class name; do
        [ $((idx % JOBS)) = "$w" ] || continue
        b=${name%%:*}
        if ! damage_apply "$name" "$d/v" 2>"$d/apply.err"; then
            { echo "== $name: cannot make this variant"; cat "$d/apply.err"; } |
                sed "s/^/$idx\t/" >>"$W/log.$w"
            printf '%s\t%s\t-\tsetup\t%s\t-\t-\n' "$idx" "$class" "$name" >>"$W/res.$w"
            continue
        fi
        if cmp -s "$d/v/data.mdb" "$REF/$b/data.mdb" && cmp -s "$d/v/lock.mdb" "$REF/$b/lock.mdb"; then
            echo "$name" >>"$W/noop.$w"
            continue
        fi
        v= l= failed=0
        for c in "${CMDS[@]}"; do
            fresh "$d/v" "$d/s"
            [ "$class" = held ] && { hold_start "$d/s" || printf '%s\t%s: no holder\n' "$idx" "$name" >>"$W/log.$w"; }
            run_cmd "$d/s" "$c"
            case $c in verify) v=$RC ;; list) l=$RC ;; esac
            judge "$w" "$idx" "$class" "$name" "$b" "$c" "$d/s" "$v" "$l" || failed=1
            hold_stop
        done
        if [ "$failed" = 1 ] && [ "${DAMAGE_KEEP:-0}" = 1 ]; then
            mkdir -p "$W/keep"
            cp -a "$d/v" "$W/keep/$name"
        fi
    done <"$W/variants.n"
}

T1=$SECONDS
workers=()
for ((w = 0; w < JOBS; w++)); do
    worker "$w" &
    workers+=($!)
done
wait "${workers[@]}"
SWEEP_S=$((SECONDS - T1))

# ---------------------------------------------------------------- report
sort -s -n -k1,1 "$W"/res.* >"$W/res"
cat "$W"/noop.* >"$W/noop"
NOOP=$(wc -l <"$W/noop")

matrix() {
    awk -F'\t' -v classes="${CLASSES[*]}" -v cmds="${CMDS[*]}" '
    $4 == "setup" { next }
    {
        n[$2]++; v[$2, $4]++; tried[$2, $3]++; tried["total", $3]++
        if (!(($2, $5) in seen)) { seen[$2, $5]; nv[$2]++ }
        if ($4 != "handled") { bad[$2, $3, $4]++; bad["total", $3, $4]++ }
    }
    function row(label, a, b, c, d, e, f) {
        printf "# %-7s %8s %6s %7s %5s %5s %7s\n", label, a, b, c, d, e, f
    }
    function cell(c, m,   s) {
        s = ""
        if (bad[c, m, "crashed"]) s = s bad[c, m, "crashed"] "C"
        if (bad[c, m, "hung"]) s = s bad[c, m, "hung"] "H"
        if (bad[c, m, "wrong"]) s = s bad[c, m, "wrong"] "W"
        return (s == "" ? "." : s) "/" tried[c, m]
    }
    END {
        nc = split(classes, C, " "); nm = split(cmds, M, " ")
        row("class", "variants", "tried", "crashed", "hung", "wrong", "handled")
        for (i = 1; i <= nc; i++) {
            c = C[i]
            if (!(c in n)) continue
            row(c, nv[c], n[c], v[c, "crashed"] + 0, v[c, "hung"] + 0, v[c, "wrong"] + 0, v[c, "handled"] + 0)
            t1 += nv[c]; t2 += n[c]; t3 += v[c, "crashed"]; t4 += v[c, "hung"]; t5 += v[c, "wrong"]; t6 += v[c, "handled"]
        }
        row("total", t1, t2, t3 + 0, t4 + 0, t5 + 0, t6 + 0)
        print "#"
        print "# failed of tried per class and command (C crashed, H hung, W wrong, . none):"
        printf "# %-7s", "class"
        for (j = 1; j <= nm; j++) printf " %13s", M[j]
        printf "\n"
        C[++nc] = "total"; n["total"] = 1
        for (i = 1; i <= nc; i++) {
            c = C[i]
            if (!(c in n)) continue
            printf "# %-7s", c
            for (j = 1; j <= nm; j++) printf " %13s", cell(c, M[j])
            printf "\n"
        }
    }' "$W/res"
}
# signatures: the distinct failures, most frequent first, two lines each:
# count, verdict, what happened; then the commands and classes that
# showed it, and the first variant that did
signatures() {
    awk -F'\t' -v cmds="${CMDS[*]}" -v classes="${CLASSES[*]}" '
    $4 != "handled" && $4 != "setup" {
        k = $4 "\t" $7
        if (!(k in n)) { first[k] = $5; order[++m] = k }
        n[k]++; cmd[k, $3]; cls[k, $2]
    }
    function which(k, list,   a, i, c, s) {
        c = split(list, a, " ")
        for (i = 1; i <= c; i++) if ((k, a[i]) in cmd || (k, a[i]) in cls) s = s (s == "" ? "" : ",") a[i]
        return s
    }
    END {
        for (i = 1; i <= m; i++) {
            k = order[i]
            split(k, p, "\t")
            printf "%06d %5d  %-7s %s\n", n[k], n[k], p[1], p[2]
            printf "%06d        %s in %s, e.g. %s\n", n[k], which(k, cmds), which(k, classes), first[k]
        }
    }' "$W/res" | sort -s -k1,1nr | cut -c8-
}

mkdir -p "$(dirname "$LOG")"
{
    echo "damage sweep ($MODE): $NVAR variants, $(date -u +%Y-%m-%dT%H:%MZ), $NSNAP_BIN"
    echo "reproduce one: DAMAGE_ONLY='^NAME\$' DAMAGE_KEEP=1 tests/integration/damage.sh"
    echo "(as root; DAMAGE_SWEEP=full for a variant outside the sample, DAMAGE_NOASLR=1 for a fixed layout)"
    echo
    matrix | sed 's/^#//; s/^ //'
    echo
    echo "distinct failures (count, verdict, what; commands in classes, the first variant):"
    signatures
    echo
    sort -s -n -k1,1 "$W"/log.* | cut -f2-
    if [ "$NOOP" != 0 ]; then
        echo
        echo "variants that changed no byte (not run):"
        sed 's/^/   /' "$W/noop"
    fi
} >"$LOG"

matrix
nsig=$(($(signatures | wc -l) / 2))
if [ "$nsig" -gt 0 ]; then
    echo "#"
    echo "# $nsig distinct failures (count, verdict, what; commands in classes, the first variant):"
    signatures | head -n 60 | cut -c1-200 | sed 's/^/# /'
    [ "$nsig" -gt 30 ] && echo "# ... and $((nsig - 30)) more in $LOG"
fi
[ "$NOOP" = 0 ] || echo "# $NOOP variants changed no byte and were not run"
echo "# failing cases in $LOG; sweep $SWEEP_S s, all $((SECONDS - T0)) s"

PASS=$(awk -F'\t' '$4 == "handled"' "$W/res" | wc -l)
FAIL=$(awk -F'\t' '$4 != "handled"' "$W/res" | wc -l)
finish
