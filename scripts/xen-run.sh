#!/usr/bin/env bash
# make xen: the device under a real Xen. Boots Debian's Xen 4.17 and a
# Debian dom0 (scripts/xen-image.sh) under Debian's qemu-system-x86 (TCG,
# nested SVM), runs the scenarios' guests through xl with this project's
# QEMU (and the unpatched base, scripts/baseline.sh) as device model,
# and judges each job against its scenario's expect file. docs/xen.md
# says how; the last line is "N passed, N failed".
#   XEN_SCENARIOS=DIR   the scenarios (default tests/xen/scenarios)
#   XEN_ONLY="01 05"    only the scenarios whose names start so
#   XEN_MODELS="series" the device models (default: series base)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
top=$(dirname "$here")
cd "$top"
. "$here/config.sh"

scen_dir=$(realpath "${XEN_SCENARIOS:-tests/xen/scenarios}")
models=${XEN_MODELS:-series base}
# The jobs run in XEN_INSTANCES Xens at once (default 2), each under an
# outer emulator with one CPU: they take jobs from one queue (a folder
# of the host each dom0 sees through 9p), so that a Xen that is done or
# rebooting leaves the jobs to the other. One guest at a time in each
# Xen (XEN_JOBS): with two guests at once in one Xen of two CPUs about
# one guest in ten died (docs/xen.md, "Stalls"), and an exclusive
# scenario left the second CPU idle. A wait's limit, a job's limit,
# attempts:
INSTANCES=${XEN_INSTANCES:-2}
JOBS_AT_ONCE=${XEN_JOBS:-1}
OUTER_SMP=${XEN_OUTER_SMP:-1}
GUEST_TIMEOUT=${XEN_GUEST_TIMEOUT:-240}
JOB_TIMEOUT=${XEN_JOB_TIMEOUT:-600}
ATTEMPTS=${XEN_ATTEMPTS:-3}
# A Xen runs jobs in as many boots as it needs: a stall ends a boot (the
# job's next attempt goes back into the queue, for a Xen in which no
# guest died), and so does a boot's time limit. XEN_TIME_LIMIT bounds
# the whole run: jobs it leaves unrun are reported as skipped.
# XEN_BOOTS bounds each Xen's boots
BOOT_TIMEOUT=${XEN_BOOT_TIMEOUT:-2700}
# A Xen whose console stays silent this long is ended: dom0 says it is
# alive every 15 s, and a Xen of one CPU was seen to stop for good (its
# CPU halted, its guest in its firmware's last step)
SILENCE_LIMIT=${XEN_SILENCE_LIMIT:-180}
TIME_LIMIT=${XEN_TIME_LIMIT:-3600}
MAX_BOOTS=${XEN_BOOTS:-6}
# The outer emulator: XEN_OUTER=bookworm (default), the system's
# qemu-system-x86 (7.2); XEN_OUTER=backports, Debian's QEMU 10.0 from
# bookworm-backports, unpacked into work/ (the system's packages stay as
# they are), where guests died far more often (docs/xen.md)
OUTER=${XEN_OUTER:-bookworm}
OUTER_ACCEL=${XEN_OUTER_ACCEL:-tcg,thread=multi}

bail() { echo "xen: $1"; echo "0 passed, 1 failed"; exit 1; }
[ -d "$scen_dir" ] || bail "no scenarios in $scen_dir"
export PATH=$PATH:/usr/sbin:/sbin
for t in mkfs.ext4 debugfs gcc; do
    command -v $t >/dev/null || bail "$t is missing: run make deps"
done

run=${XEN_RUN_DIR:-$top/$WORK_DIR/xen-test/run}
# XEN_JUDGE_ONLY=1: judge the last run's results again (after a change
# of the expect files), without booting anything
judge_only=${XEN_JUDGE_ONLY:-}
if [ -z "$judge_only" ]; then
rm -rf "$run"
mkdir -p "$run/disk/lib" "$run/disk/scenarios"
start=$SECONDS
now() { date +%s; }
t_start=$(now)

# the jobs: each scenario's jobs file ("MODEL VARIANT" lines; default
# one job per model), those of the models asked for
for s in "$scen_dir"/*/; do
    s=$(basename "$s")
    [ -f "$scen_dir/$s/dom0.sh" ] || continue
    if [ -n "${XEN_ONLY:-}" ]; then
        keep=
        for p in $XEN_ONLY; do case "$s" in "$p"*) keep=1 ;; esac; done
        [ -n "$keep" ] || continue
    fi
    cp -r "$scen_dir/$s" "$run/disk/scenarios/"
    if [ -f "$scen_dir/$s/jobs" ]; then
        grep -v -e '^#' -e '^ *$' "$scen_dir/$s/jobs"
    else
        printf '%s -\n' series base
    fi | while read -r m v; do
        case " $models " in *" $m "*) echo "$s $m $v" ;; esac
    done
done > "$run/jobs.all"
[ -s "$run/jobs.all" ] || bail "no jobs (XEN_ONLY='${XEN_ONLY:-}', XEN_MODELS='$models')"
echo "xen: $(wc -l < "$run/jobs.all") jobs from $scen_dir, $INSTANCES Xens at once, $JOBS_AT_ONCE job at a time in each"

# the device models, copied now: a rebuild during the run changes nothing
cp build/qemu-system-x86_64 "$run/disk/qemu-series" ||
    bail "no build/qemu-system-x86_64: run make"
if grep -q ' base ' "$run/jobs.all"; then
    if [ ! -x "$BASE_BUILD_DIR/qemu-system-x86_64" ] ||
       [ "$("$BASE_BUILD_DIR/qemu-system-x86_64" -vnc help 2>&1 | grep -c invalid)" != 0 ]; then
        echo "xen: building the unpatched base ($BASE_BUILD_DIR, scripts/baseline.sh)"
        "$here/baseline.sh" > "$run/baseline.log" 2>&1 ||
            { tail -n 20 "$run/baseline.log"; bail "the base does not build (see $run/baseline.log)"; }
    fi
    cp "$BASE_BUILD_DIR/qemu-system-x86_64" "$run/disk/qemu-base"
fi
# their libraries, but those of dom0's own glibc, zlib and Xen
for q in "$run"/disk/qemu-*; do ldd "$q"; done | awk '$3 ~ /^\// { print $3 }' | sort -u |
    grep -v -e '/libc\.so' -e '/libm\.so' -e '/libz\.so' -e '/libxen' -e 'ld-linux' |
    xargs -r cp -L -t "$run/disk/lib/"

img=$("$here/xen-image.sh" | tail -n 1)
[ -f "$img/versions" ] || bail "no dom0 image"
cp "$img/versions" "$run/image-versions"

outer_args=()
case "$OUTER" in
bookworm)
    OUTER_QEMU=qemu-system-x86_64
    command -v $OUTER_QEMU >/dev/null || bail "$OUTER_QEMU is missing: run make deps" ;;
backports)
    o=$top/$WORK_DIR/xen-test/outer
    if [ ! -x "$o/root/usr/bin/qemu-system-x86_64" ]; then
        echo "xen: unpacking QEMU from bookworm-backports into $o"
        rm -rf "$o" "$o.tmp"
        mkdir -p "$o.tmp"
        (cd "$o.tmp" && apt-get download -q -t bookworm-backports \
            qemu-system-x86 qemu-system-common qemu-system-data) > "$o.tmp/apt.log" 2>&1 ||
            { cat "$o.tmp/apt.log"; bail "apt-get download from bookworm-backports failed (make deps adds it)"; }
        for d in "$o.tmp"/*.deb; do dpkg -x "$d" "$o.tmp/root"; done
        mv "$o.tmp" "$o"
    fi
    OUTER_QEMU=$o/root/usr/bin/qemu-system-x86_64
    export QEMU_MODULE_DIR=$o/root/usr/lib/x86_64-linux-gnu/qemu
    outer_args=(-L "$o/root/usr/share/qemu" -L /usr/share/qemu -L /usr/share/seabios) ;;
*) bail "XEN_OUTER=$OUTER: bookworm or backports" ;;
esac

gcc -static -O2 -o "$run/disk/xpio" tests/xen/xpio.c
cp -r tests/xen/dom0-init tests/xen/dom0-lib.sh tests/xen/guest-init tests/xen/guest.cfg tests/xen/hotplug "$run/disk/"
cat > "$run/disk/config" <<EOF
GUEST_TIMEOUT=$GUEST_TIMEOUT
JOB_TIMEOUT=$JOB_TIMEOUT
ATTEMPTS=$ATTEMPTS
JOBS_AT_ONCE=$JOBS_AT_ONCE
XL_FLAGS="${XEN_XL_FLAGS:-}"
# the emulated NIC is seen on PCI: its driver's probe (EEPROM reads,
# each an ioreq) cost 30 s
GUEST_MODULES="ata_piix sd_mod xen-blkfront xen-netfront"
EOF

# the queue: a file todo/NNN.A ("SCENARIO MODEL VARIANT A") for attempt
# A of job NNN (line NNN of jobs.all); a dom0 claims it with mkdir
# claim/NNN.A (atomic on the host's file system), and queues attempt
# A+1 after a stall
q=$run/queue
mkdir -p "$q/todo" "$q/claim" "$q/tmp"
i=0
while read -r s m v; do
    i=$((i + 1))
    echo "$s $m $v 1" > "$q/todo/$(printf %03d $i).1"
done < "$run/jobs.all"
: > "$run/boots"
# unclaimed: a job in the queue that no Xen has taken
unclaimed() {
    local f
    for f in "$q"/todo/*; do
        [ -e "$f" ] && [ ! -d "$q/claim/${f##*/}" ] && return 0
    done
    return 1
}

# boot ID LIMIT: a Xen and its dom0 run jobs of the queue until none is
# left or a guest stalls; their results come back on its run disk
boot() {
    local id=$1 limit=$2 rc=0 t0=$SECONDS f n s m v a o
    rm -rf "$run/run-$id.img" "$run/disk-$id"
    cp -al "$run/disk" "$run/disk-$id"
    echo "$id" > "$run/disk-$id/boot-id"
    mkfs.ext4 -q -F -L xen-run -d "$run/disk-$id" "$run/run-$id.img" 1G > /dev/null
    rm -rf "$run/disk-$id"
    echo "xen $id: Xen and dom0 under $OUTER_QEMU ($OUTER_ACCEL, $OUTER_SMP CPU)"
    : > "$run/serial-$id.log"
    # tail's own pid in $!: ended, it ends the filter
    tail -f "$run/serial-$id.log" > >(grep --line-buffered -e '^dom0: ' -e 'Panic' -e 'FATAL' |
        sed -u "s/^dom0:/dom0 $id:/") &
    local tailpid=$!
    local why='' qpid
    timeout -k 10 "$limit" "$OUTER_QEMU" "${outer_args[@]}" -accel "$OUTER_ACCEL" \
        -cpu qemu64,+svm,+npt -m 4G -smp "$OUTER_SMP" -no-reboot \
        -display none -monitor none -serial "file:$run/serial-$id.log" -net none \
        -kernel "$img/xen" \
        -append "console=com1 com1=115200,8n1 dom0_mem=2048M,max:2048M bootscrub=0 guest_loglvl=all ${XEN_ARGS:-}" \
        -initrd "$img/vmlinuz root=/dev/vda ro console=hvc0 quiet loglevel=4 init=/sbin/xen-test-init ${XEN_DOM0_ARGS:-},$img/initrd.img" \
        -drive "file=$img/disk.img,if=virtio,format=raw,snapshot=on" \
        -drive "file=$run/run-$id.img,if=virtio,format=raw" \
        -virtfs "local,path=$q,mount_tag=queue,security_model=none" &
    qpid=$!
    while kill -0 $qpid 2>/dev/null; do
        sleep 5
        if [ $(($(now) - $(stat -c %Y "$run/serial-$id.log"))) -ge "$SILENCE_LIMIT" ]; then
            why="its Xen went silent (no console output for $SILENCE_LIMIT s, XEN_SILENCE_LIMIT)"
            echo "xen $id: no console output for $SILENCE_LIMIT s: ended"
            kill $qpid 2>/dev/null
            break
        fi
    done
    wait $qpid || rc=$?
    [ -n "$why" ] || why="its Xen's boot ended ($rc)"
    sleep 1
    kill $tailpid 2>/dev/null || true
    echo "xen $id: ended ($rc) after $((SECONDS - t0)) s"
    [ "$rc" = 0 ] || echo "xen $id: outer QEMU exited with $rc (124: the boot's limit, $limit s)"
    # debugfs's rdump: the results without a mount
    mkdir -p "$run/boot-$id"
    debugfs -R "rdump /out $run/boot-$id" "$run/run-$id.img" > /dev/null 2>&1 || true
    rm -f "$run/run-$id.img"
    echo "$id" >> "$run/boots"
    # a job this boot took and left unfinished (its time limit, a dom0
    # that died): its next attempt goes back into the queue
    for f in "$q"/claim/*/by; do
        [ -f "$f" ] && [ "$(cat "$f")" = "$id" ] || continue
        n=$(basename "$(dirname "$f")")
        read -r s m v a < "$q/todo/$n"
        [ -f "$run/boot-$id/out/$s/$m-$v.done" ] || [ -d "$run/boot-$id/out/$s/$m-$v.stalled-$a" ] &&
            continue
        echo "xen $id: $s $m $v: attempt $a not ended"
        # in the report as an attempt that stalled
        o=$run/boot-$id/out/$s/$m-$v
        mkdir -p "$o"
        echo "$a $rc $((SECONDS - t0))" >> "$o.attempts"
        [ "$a" -lt "$ATTEMPTS" ] || continue
        mv "$o" "$o.stalled-$a"
        echo "$why before the attempt did" > "$o.stalled-$a/stalled"
        # written aside, then renamed: no dom0 reads it half written
        echo "$s $m $v $((a + 1))" > "$q/tmp/$n"
        mv "$q/tmp/$n" "$q/todo/${n%.*}.$((a + 1))"
    done
    return 0
}

# xen I: boots of the I-th Xen while the queue has jobs nobody took
xen() {
    local i=$1 k=0 left
    while unclaimed; do
        left=$((TIME_LIMIT - ($(now) - t_start)))
        if [ "$left" -lt 120 ]; then
            touch "$run/out-of-time"
            echo "xen $i: the run's time limit ($TIME_LIMIT s, XEN_TIME_LIMIT) is reached with jobs in the queue"
            break
        fi
        [ "$k" -lt "$MAX_BOOTS" ] || { echo "xen $i: $MAX_BOOTS boots (XEN_BOOTS) and jobs left"; break; }
        k=$((k + 1))
        [ "$k" = 1 ] || echo "xen $i: jobs left in the queue: a fresh boot"
        boot "$i.$k" $((left < BOOT_TIMEOUT ? left : BOOT_TIMEOUT))
    done
}

echo "$OUTER_QEMU" > "$run/outer"
# a run killed: its Xens end with it (the next run starts afresh)
trap 'kill $(jobs -p) 2>/dev/null; pkill -f -- "$run/serial-" 2>/dev/null; exit 130' INT TERM
for i in $(seq "$INSTANCES"); do
    xen "$i" &
    sleep 2
done
wait
# the results of every boot, in the order the boots ended; each job's
# attempts over all boots
mkdir -p "$run/out"
for id in $(cat "$run/boots"); do
    [ -d "$run/boot-$id/out" ] || continue
    (cd "$run/boot-$id/out" && find . -name '*.attempts') | while read -r f; do
        mkdir -p "$(dirname "$run/out/$f")"
        cat "$run/out/$f" "$run/boot-$id/out/$f" 2>/dev/null | sort -n > "$run/out/$f.all" || true
    done
    cp -a "$run/boot-$id/out/." "$run/out/"
    (cd "$run/out" && find . -name '*.attempts.all') | while read -r f; do
        mv "$run/out/$f" "$run/out/${f%.all}"
    done
done
rm -f "$run/out/fresh-boot"
trap - INT TERM
else
    [ -f "$run/jobs.all" ] || bail "no earlier run in $run to judge"
    start=$SECONDS
    OUTER_QEMU=$(cat "$run/outer")
fi

# judging: each job against the expect lines of its scenario that apply
# to it ("MODEL/VARIANT-GLOB FILE has|lacks REGEX [# what it shows]")
echo "== versions"
sed 's/^/   /' "$run/image-versions" "$run/out/versions" 2>/dev/null || true
echo "   outer: $("$OUTER_QEMU" --version | head -n 1)"
pass=0 fail=0 skip=0
echo "== results (details: $run/out)"
while read -r s m v; do
    d=$run/out/$s/$m-$v
    label="$s $m"
    [ "$v" = - ] || label+=" $v"
    bad=()
    retries=
    if [ -f "$d.attempts" ]; then
        while read -r a rc secs; do
            [ -f "$d.stalled-$a/stalled" ] &&
                retries+=" retry after attempt $a: $(cat "$d.stalled-$a/stalled") ($secs s);"
        done < "$d.attempts"
        [ "$(wc -l < "$d.attempts")" -le 1 ] || retries+=" $(wc -l < "$d.attempts") attempts"
    fi
    if [ ! -f "$d.done" ] && [ -f "$run/out-of-time" ]; then
        skip=$((skip + 1))
        echo "   SKIP $label (not run to its end within the run's time limit, XEN_TIME_LIMIT${retries:+;$retries})"
        continue
    elif [ ! -f "$d.done" ]; then
        bad+=("not run to its end")
    elif [ -f "$d/stalled" ]; then
        bad+=("stalled in every attempt: $(cat "$d/stalled")")
    else
        while read -r glob file op re; do
            case "$glob" in ''|'#'*) continue ;; esac
            # shellcheck disable=SC2053
            [[ "$m/${v}" == $glob ]] || continue
            re=$(sed -E 's/ +# .*$//; s/ +$//' <<< "$re")
            files=$(cd "$d" && ls -d $file 2>/dev/null) || files=
            hit=
            # the guests' serial lines end in CR LF. No grep -q: with
            # pipefail, cat's SIGPIPE when grep stops early would count
            # as no match
            n=0
            [ -z "$files" ] || n=$(cd "$d" && cat $files | tr -d '\r' | grep -acE -- "$re") || true
            [ "${n:-0}" -gt 0 ] && hit=1
            case "$op" in
            has) [ -n "$hit" ] || bad+=("$file has no '$re'") ;;
            lacks) [ -z "$hit" ] || bad+=("$file has '$re'") ;;
            *) bad+=("unknown check '$op' in $s/expect") ;;
            esac
        done < "$scen_dir/$s/expect"
    fi
    if [ ${#bad[@]} = 0 ]; then
        pass=$((pass + 1))
        echo "   PASS $label${retries:+ (${retries# })}"
    else
        fail=$((fail + 1))
        echo "   FAIL $label${retries:+ (${retries# })}"
        printf '        %s\n' "${bad[@]}"
    fi
done < "$run/jobs.all"
# what each device model showed a libxl user: the notes of the
# expectations that hold for one model only
echo "== what differs for a libxl user (the expect lines of one model)"
for s in $(cut -d' ' -f1 "$run/jobs.all" | uniq); do
    grep -E '^(series|base)/[^ ]* .* # ' "$scen_dir/$s/expect" 2>/dev/null |
        sed -E 's/^([a-z]+)\/[^ ]* .* # (.*)$/\1: \2/' | sort -u | sed "s/^/   $s /" || true
done
echo "xen: $((SECONDS - start)) s in all"
echo "$pass passed, $fail failed, $skip skipped"
[ "$fail" = 0 ]
