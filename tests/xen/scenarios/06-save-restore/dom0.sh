# A guest that has unplugged: a checkpoint (xl save -c: the domain runs
# on, on the same device model, and Linux redoes its handshake and
# unplug), then xl save and xl restore (a new device model, started with
# -incoming; under xenfv the driver state is not in the stream, and the
# guest's handshake after resume tells it again)
guest_create || return 0
guest_wait "" 'GUEST done'
guest_wait "" 'tick [0-9]+ disk XEN-TEST-DISK net-ok'
guest_up ""
pid=$(dm_pid "")
ev=$(qmp_count "" XEN_PLATFORM_PV_DRIVER_INFO)
note "before: device model pid $pid, $ev driver events"
xl save -c "$NAME" $T/ckpt-$NAME >> "$O/xl-$NAME.log" 2>&1 || note "xl save -c failed"
# ticks from now on come from after the checkpoint
from=$(console_lines "")
sleep 5
pid2=$(dm_pid "")
note "after xl save -c: device model pid ${pid2:-none}"
[ -n "$pid2" ] && [ "$pid2" = "$pid" ] && note "checkpoint: same device model lives"
if [ -n "$pid2" ]; then
    qmp "" query-xen-platform-pv-driver-info q-checkpoint
    guest_wait "" 'tick [0-9]+ disk XEN-TEST-DISK net-ok' "" "$((from + 1))"
    note "checkpoint: guest runs on with PV disk and NIC"
    note "checkpoint: $(( $(qmp_count "" XEN_PLATFORM_PV_DRIVER_INFO) - ev )) more driver events"
else
    dm_log "" -checkpoint
    note "checkpoint: device model gone"
    return 0
fi
qmp_disconnect "$NAME"
xl save "$NAME" $T/save-$NAME >> "$O/xl-$NAME.log" 2>&1 || note "xl save failed"
dm_log "" -saved
# the restored device model opens the console file anew
keep_console "" saved
rm -f "$T/qmp-$NAME" "$O/console-$NAME"
from=0
ev=$(qmp_count "" XEN_PLATFORM_PV_DRIVER_INFO)
xl restore $T/save-$NAME >> "$O/xl-$NAME.log" 2>&1 || note "xl restore failed"
note "after xl restore: domid $(xl domid "$NAME" 2>&1), device model pid $(dm_pid "")"
qmp_connect "$NAME"
guest_wait "" 'tick [0-9]+ disk XEN-TEST-DISK net-ok' "" "$((from + 1))"
note "restore: guest runs on with PV disk and NIC"
qmp "" query-xen-platform-pv-driver-info q-restored
note "restore: $(( $(qmp_count "" XEN_PLATFORM_PV_DRIVER_INFO) - ev )) more driver events"
guest_destroy
