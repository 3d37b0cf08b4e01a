# The log's rate limit, toggled by the toolstack's xenstore node
# /local/domain/<domid>/log-throttling: a bucket of 8192 bytes (the
# smallest log-burst) so that it fills within seconds; 256 bytes/s leak.
# Each phase: lines the device model logged, and (series) the lines it
# dropped as QMP counts them, over WIN seconds.
WIN=20
DMARGS=', "-global", "xen-platform.log-burst=8192", "-trace", "-xen_platform_port_*"'
guest_create || return 0
guest_wait "" 'GUEST done'
d=$(xl domid "$NAME")
dmlog=/var/log/xen/qemu-dm-$NAME.log
lines() { grep -c 'xen platform: flood line' "$dmlog"; }
dropped() { sed -n 's/.*"log-lines-suppressed": \([0-9]*\).*/\1/p' "$O/$1"; }
# phase PHASE: lines logged and dropped over WIN seconds
phase() {
    local l0 l1 d0 d1
    qmp "" query-xen-platform-pv-driver-info q-$1-0
    l0=$(lines)
    sleep $WIN
    qmp "" query-xen-platform-pv-driver-info q-$1-1
    l1=$(lines)
    d0=$(dropped q-$1-0) d1=$(dropped q-$1-1)
    note "phase $1: $((l1 - l0)) lines logged in $WIN s, dropped ${d0:-?} -> ${d1:-?}"
    # at most the leak rate (256 bytes/s, 114 bytes a line) and a line
    if [ $(((l1 - l0) * 114)) -le $((256 * WIN + 2 * 114)) ]; then
        note "phase $1: rate-limited"
    else
        note "phase $1: not rate-limited"
    fi
    if [ -n "$d0" ] && [ -n "$d1" ]; then
        [ "$d1" -gt "$d0" ] && note "phase $1: lines dropped" || note "phase $1: no line dropped"
    fi
}
sleep 10            # the burst of 8192 bytes is used up
phase on
xenstore-write /local/domain/$d/log-throttling 0
sleep 2
phase off
xenstore-write /local/domain/$d/log-throttling 1
sleep 2
phase on-again
guest_destroy
