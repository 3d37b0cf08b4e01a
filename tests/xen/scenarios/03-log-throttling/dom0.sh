# The log's rate limit, toggled by the toolstack's xenstore node
# /local/domain/<domid>/log-throttling: a bucket of 8192 bytes (the
# smallest log-burst) that leaks 1 byte/s (log-rate), so that the guest,
# whose every log byte is an ioreq, fills it within seconds and then
# stays above the leak.
# Each phase: lines the device model logged, and (series) the lines it
# dropped as QMP counts them, over WIN seconds.
WIN=8
DMARGS=', "-global", "xen-platform.log-burst=8192", "-global", "xen-platform.log-rate=1", "-trace", "-xen_platform_port_*"'
# QEMU 10.2 has neither property (nor a limit)
[ "$MODEL" = base ] && DMARGS=', "-trace", "-xen_platform_port_*"'
# a line's cost: "xen-platform: f" and the newline
COST=16 RATE=1
guest_create || return 0
guest_wait "" 'GUEST done'
d=$(xl domid "$NAME")
dmlog=/var/log/xen/qemu-dm-$NAME.log
lines() { grep -c 'xen platform: f$' "$dmlog"; }
dropped() { sed -n 's/.*"log-lines-suppressed": \([0-9]*\).*/\1/p' "$O/$1"; }
# phase PHASE: lines logged and dropped over WIN seconds
phase() {
    local l0 l1 d0 d1
    qmp "" query-xen-platform-pv-driver-info q-$1-0
    l0=$(lines)
    sleep $WIN
    qmp "" query-xen-platform-pv-driver-info q-$1-1
    l1=$(lines)
    # a guest that died in the phase wrote nothing: a stall, not a result
    guest_up ""
    d0=$(dropped q-$1-0) d1=$(dropped q-$1-1)
    note "phase $1: $((l1 - l0)) lines logged in $WIN s, dropped ${d0:-?} -> ${d1:-?}"
    # at most what leaked, and two lines
    if [ $(((l1 - l0) * COST)) -le $((RATE * WIN + 2 * COST)) ]; then
        note "phase $1: rate-limited"
    else
        note "phase $1: not rate-limited"
    fi
    if [ -n "$d0" ] && [ -n "$d1" ]; then
        [ "$d1" -gt "$d0" ] && note "phase $1: lines dropped" || note "phase $1: no line dropped"
    fi
}
sleep 5             # the bucket of 8192 bytes is full
phase on
xenstore-write /local/domain/$d/log-throttling 0
sleep 2
phase off
xenstore-write /local/domain/$d/log-throttling 1
sleep 2
phase on-again
guest_destroy
