# make xen, in dom0: the jobs' runner and the functions a scenario's
# dom0.sh uses (bash). A job is one scenario with one device model and
# one variant; its dom0.sh runs with
#   S        the scenario's folder       O      the job's output folder
#   MODEL    series or base              DM     that device model's path
#   VARIANT  the variant ("-": none)     NAME   the job's guest name
#   ATTEMPT  the attempt (1, 2, ...)     BOOT_ID  the Xen and its boot ("1.2")
# and leaves its observations in $O: console-* (the guest's serial
# output), dm-* (the device model's log: stderr and trace), qmp-* (what
# went over the QMP socket), dom0.log (what dom0's tools said: note).
# A wait that runs out of time, or a guest that died, is a stall: the
# job is destroyed and its next attempt goes back into the run's queue,
# for a Xen in which no guest died, up to $ATTEMPTS attempts in all;
# scripts/xen-run.sh judges what the last attempt left, against the
# scenario's expect file.

T=/run/xen-test
mkdir -p $T

note() { echo "[$SECONDS s] $*" >> "$O/dom0.log"; }
stall() {
    echo "$*" > "$O/stalled"
    note "STALL: $*"
    exit 3
}

# guest_create [SUFFIX]: the job's guest (named $NAME$SUFFIX) from the
# scenario's guest.cfg (or tests/xen/guest.cfg), with these variables
# of the caller: EXTRA (kernel arguments), DMARGS (more device model
# arguments, xl list syntax: , "-global", "..." ), CFG (more xl lines)
guest_create() {
    local n=$NAME${1:-} cfg tmpl r=/mnt/run
    tmpl=$S/guest.cfg
    [ -f "$tmpl" ] || tmpl=$r/guest.cfg
    # the guest's initramfs: the common one plus the scenario's script
    mkdir -p $T/gs-$n
    cp "$S/guest.sh" $T/gs-$n/scenario.sh 2>/dev/null || : > $T/gs-$n/scenario.sh
    (cd $T/gs-$n && echo scenario.sh | busybox cpio -o -H newc 2>/dev/null | gzip -1) > $T/gs-$n.cpio.gz
    cat /tmp/guest-base.cpio.gz $T/gs-$n.cpio.gz > $T/initrd-$n
    # its disk: 16 MiB with a marker at the start
    { printf 'XEN-TEST-DISK\n'; } > $T/disk-$n
    truncate -s 16M $T/disk-$n
    cfg=$O/$n.cfg
    sed -e "s|@NAME@|$n|g" -e "s|@DM@|$DM|g" -e "s|@KERNEL@|/boot/vmlinuz-$(uname -r)|g" \
        -e "s|@RAMDISK@|$T/initrd-$n|g" -e "s|@DISK@|$T/disk-$n|g" \
        -e "s|@SERIAL@|$O/console-$n|g" -e "s|@QMP@|$T/qmp-$n|g" \
        -e "s|@EXTRA@|${EXTRA:-}|g" -e "s|@DMARGS@|${DMARGS:-}|g" "$tmpl" > "$cfg"
    # CFG's lines replace the template's of the same key
    if [ -n "${CFG:-}" ]; then
        local k
        for k in $(printf '%s\n' "$CFG" | sed -n 's/^ *\([a-z_]*\) *=.*/\1/p'); do
            sed -i "/^$k *=/d" "$cfg"
        done
        printf '%s\n' "$CFG" >> "$cfg"
    fi
    echo "$n" >> "$O/domains"
    note "xl create $n (EXTRA='${EXTRA:-}' DMARGS='${DMARGS:-}')"
    if ! xl ${XL_FLAGS:-} create "$cfg" >> "$O/xl-$n.log" 2>&1; then
        note "xl create $n failed: $(tail -n 3 "$O/xl-$n.log" | tr '\n' ' ')"
        dm_log "${1:-}"
        return 1
    fi
    note "domid of $n: $(xl domid "$n")"
    qmp_connect "$n"
}

# dm_log SUFFIX [LABEL]: the device model's log (stderr and trace), as
# libxl keeps it, into $O/dm-NAME-SUFFIX[LABEL], and the log of xl's
# process that watches the domain (how and why it ended) into
# $O/xlmon-NAME-SUFFIX[LABEL]
dm_log() {
    cp "/var/log/xen/qemu-dm-$NAME$1.log" "$O/dm-$NAME$1${2:-}" 2>/dev/null || true
    cp "/var/log/xen/xl-$NAME$1.log" "$O/xlmon-$NAME$1${2:-}" 2>/dev/null || true
}

# QMP: a connection held from the start, so that events are seen; every
# message goes to $O/qmp-NAME
qmp_connect() {
    local n=$1 i
    for i in $(seq 50); do [ -S $T/qmp-$n ] && break; sleep 0.2; done
    [ -S $T/qmp-$n ] || { note "no QMP socket for $n"; return 0; }
    : > $T/qmpcmd-$n
    rm -f $T/qmpfifo-$n
    mkfifo $T/qmpfifo-$n
    tail -n +1 -f $T/qmpcmd-$n > $T/qmpfifo-$n &
    echo $! > $T/qmptail-$n
    socat -t 2 STDIO UNIX-CONNECT:$T/qmp-$n < $T/qmpfifo-$n >> "$O/qmp-$n" 2>&1 &
    echo '{"execute":"qmp_capabilities"}' >> $T/qmpcmd-$n
}
qmp_disconnect() {
    kill "$(cat $T/qmptail-$1 2>/dev/null)" 2>/dev/null || true
    rm -f $T/qmptail-$1
}

# qmp GUEST-SUFFIX COMMAND OUTFILE: send COMMAND (a QMP command name, or
# JSON), put its answer in $O/OUTFILE
qmp() {
    local n=$NAME$1 cmd=$2 out=$O/$3 before i
    case "$cmd" in \{*) ;; *) cmd="{\"execute\":\"$cmd\"}" ;; esac
    before=$(grep -c -e '"return"' -e '"error"' "$O/qmp-$n" 2>/dev/null)
    echo "$cmd" >> $T/qmpcmd-$n
    for i in $(seq 40); do
        sleep 0.25
        [ "$(grep -c -e '"return"' -e '"error"' "$O/qmp-$n" 2>/dev/null)" -gt "${before:-0}" ] && break
    done
    grep -e '"return"' -e '"error"' "$O/qmp-$n" | tail -n 1 > "$out"
    if [ ! -s "$out" ]; then
        guest_up "$1"
        echo "no answer to $cmd" > "$out"
    fi
    note "qmp $n $cmd: $(cat "$out")"
}

# guest_wait SUFFIX REGEX [SECONDS [LINE]]: until the guest's console
# has a line matching REGEX (grep -E), from line LINE on (default 1). A
# guest that is gone while its device model was expected to live is a
# stall too (an early reboot or crash, as seen under nested TCG)
guest_wait() {
    local n=$NAME$1 re=$2 limit=${3:-$GUEST_TIMEOUT} from=${4:-1} t0=$SECONDS k=0
    # dom0's processes compete with the guests for the emulated CPUs:
    # one grep every 2 s, an xl every 10 s
    while ! tail -n +"$from" "$O/console-$n" 2>/dev/null | grep -aqE "$re"; do
        k=$((k + 1))
        if [ $((k % 5)) = 0 ] && ! xl domid "$n" >/dev/null 2>&1; then
            xl dmesg | tail -n 40 > "$O/xl-dmesg-$n"
            stall "$n is gone while waiting for '$re'"
        fi
        [ $((SECONDS - t0)) -lt "$limit" ] ||
            stall "$n: no '$re' on its console within $limit s"
        sleep 2
    done
    note "$n: '$re' after $((SECONDS - t0)) s"
}

# guest_up SUFFIX: the guest runs, and so does its device model; a guest
# that died on its own (as seen under nested TCG, even after its report)
# is a stall, with what Xen and xl said of it
guest_up() {
    local n=$NAME$1 st
    # xl list's state: s(hutdown), c(rashed), d(ying) while xl cleans up
    st=$(xl list "$n" 2>/dev/null | awk 'NR == 2 { print $5 }')
    case "$st" in
    *[scd]*|'') ;;
    *) [ -n "$(dm_pid "$1")" ] && return 0 ;;
    esac
    xl dmesg | tail -n 40 > "$O/xl-dmesg-$n"
    dm_log "$1" -gone
    stall "$n or its device model is gone: $(grep -a 'shut down\|died\|crash' "/var/log/xen/xl-$n.log" 2>/dev/null | tail -n 1)"
}

# dm_pid SUFFIX: the device model's pid ("" if none)
dm_pid() {
    local d
    d=$(xl domid "$NAME$1" 2>/dev/null) || return 0
    pgrep -f -- "-xen-domid $d " | head -n 1
}

# guest_destroy SUFFIX: collect the device model's log and end the guest
guest_destroy() {
    local n=$NAME${1:-}
    note "xl destroy $n"
    xl destroy "$n" >> "$O/xl-$n.log" 2>&1 || true
    qmp_disconnect "$n"
    dm_log "${1:-}"
    note "destroyed $n"
}

# console_lines SUFFIX: how many lines the console has now
console_lines() {
    wc -l < "$O/console-$NAME$1" 2>/dev/null || echo 0
}

# qmp_count SUFFIX REGEX: how many QMP messages match
qmp_count() {
    grep -c -- "$2" "$O/qmp-$NAME$1" 2>/dev/null || true
}

# keep_console SUFFIX LABEL: a copy of the console so far (a restarted
# guest's device model opens the file anew)
keep_console() {
    cp "$O/console-$NAME$1" "$O/console-$NAME$1-$2" 2>/dev/null || true
}

# one attempt of one job, in a subshell, under a time limit
run_attempt() {

    export S O MODEL DM VARIANT NAME ATTEMPT
    timeout -k 10 "$JOB_TIMEOUT" bash -c '. /mnt/run/dom0-lib.sh; set -u; . "$S/dom0.sh"'
}

# run_job ID SCENARIO MODEL VARIANT ATTEMPT: one attempt of a job. A
# stall (a guest that died, a wait that ran out) puts the job's next
# attempt into the queue, for a Xen in which no guest died, and this
# Xen takes no more jobs (/mnt/run/out/fresh-boot): guests died one
# after another in a Xen where one had died. The job is done when it
# ran to its end or its last attempt stalled
run_job() {
    local id=$1 scen=$2 a=$5 rc n t0=$SECONDS
    MODEL=$3 VARIANT=$4 ATTEMPT=$5
    S=/mnt/run/scenarios/$scen
    O=/mnt/run/out/$scen/$MODEL-$VARIANT
    DM=/usr/local/bin/qemu-$MODEL
    NAME=${scen%%-*}-$MODEL-$VARIANT
    NAME=${NAME%--}
    rm -rf "$O"
    mkdir -p "$O"
    echo "dom0: $scen $MODEL $VARIANT: attempt $a"
    run_attempt
    rc=$?
    [ $rc = 124 ] && echo "job did not end within $JOB_TIMEOUT s" > "$O/stalled"
    for n in $(cat "$O/domains" 2>/dev/null); do
        xl domid "$n" >/dev/null 2>&1 && { xl destroy "$n" >/dev/null 2>&1; sleep 1; cp "/var/log/xen/qemu-dm-$n.log" "$O/dm-$n" 2>/dev/null; }
        qmp_disconnect "$n"
        # gone before the next job starts
        for i in $(seq 30); do xl domid "$n" >/dev/null 2>&1 || break; sleep 1; done
    done
    echo "$a $rc $((SECONDS - t0))" >> "$O.attempts"
    echo "dom0: $scen $MODEL $VARIANT: attempt $a ended ($rc) after $((SECONDS - t0)) s"
    # a Xen in which a guest died takes no more jobs, even after a
    # job's last attempt
    [ -f "$O/stalled" ] && echo "$scen $MODEL $VARIANT" >> /mnt/run/out/fresh-boot
    if [ -f "$O/stalled" ] && [ "$a" -lt "$ATTEMPTS" ]; then
        mv "$O" "$O.stalled-$a"
        # written aside, then renamed: no Xen reads it half written
        echo "$scen $MODEL $VARIANT $((a + 1))" > "/mnt/queue/tmp/$BOOT_ID-$id"
        mv "/mnt/queue/tmp/$BOOT_ID-$id" "/mnt/queue/todo/${id%.*}.$((a + 1))"
        echo "dom0: $scen $MODEL $VARIANT: stalled; its next attempt back in the queue, for a Xen in which no guest died"
        sync
        return
    fi
    touch "$O.done"
    # on the run disk now: a Xen that stops later must not take a
    # finished job's results with it
    sync
}

# next_job: takes the first job of the queue that no Xen has taken
# (mkdir is atomic on the host's file system) and prints "ID SCENARIO
# MODEL VARIANT ATTEMPT"; fails when there is none
next_job() {
    local f n
    for f in /mnt/queue/todo/*; do
        n=${f##*/}
        [ -f "$f" ] && [ ! -d "/mnt/queue/claim/$n" ] || continue
        mkdir "/mnt/queue/claim/$n" 2>/dev/null || continue
        echo "$BOOT_ID" > "/mnt/queue/claim/$n/by"
        echo "$n $(cat "$f")"
        return 0
    done
    return 1
}

# run_jobs: jobs of the queue, $JOBS_AT_ONCE at a time, until none is
# left or a stall asks for a fresh Xen; a scenario with a file
# "exclusive" (one that changes what all guests see, such as
# /mh/driver-blacklist) runs alone in its Xen
run_jobs() {
    local job id scen model variant attempt
    while :; do
        while [ "$(jobs -rp | wc -l)" -ge "$JOBS_AT_ONCE" ]; do wait -n; done
        [ -f /mnt/run/out/fresh-boot ] && break
        job=$(next_job) || break
        read -r id scen model variant attempt <<< "$job"
        if [ -f "/mnt/run/scenarios/$scen/exclusive" ]; then
            wait
            # a guest died meanwhile: the job back to the queue
            if [ -f /mnt/run/out/fresh-boot ]; then
                rm -rf "/mnt/queue/claim/$id"
                break
            fi
            run_job "$id" "$scen" "$model" "$variant" "$attempt"
            continue
        fi
        run_job "$id" "$scen" "$model" "$variant" "$attempt" &
    done
    wait
}
