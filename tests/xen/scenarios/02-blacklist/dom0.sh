# The blacklist with Xen's own oxenstored: a node written in dom0 before
# the guest starts refuses Linux's build 1; removed, the driver loads
# after xl reboot (a new device model, a new handshake)
CFG='on_reboot = "restart"'
xenstore-write /mh/driver-blacklist/linux/1 ""
note "blacklist: $(xenstore-ls /mh/driver-blacklist | tr '\n' ' ')"
guest_create || return 0
guest_wait "" 'GUEST done'
qmp "" query-xen-platform-pv-driver-info query-blacklisted
keep_console "" blacklisted
dm_log "" -blacklisted
old=$(xl domid "$NAME")
xenstore-rm /mh/driver-blacklist/linux/1
note "blacklist removed: $(xenstore-ls /mh/driver-blacklist 2>&1 | tr '\n' ' ')"
qmp_disconnect "$NAME"
rm -f "$O/console-$NAME" "$T/qmp-$NAME"
# no PV drivers to ask: -F, the ACPI fallback (a reset of the domain)
xl reboot -F "$NAME" >> "$O/xl-$NAME.log" 2>&1 || note "xl reboot -F failed"
for i in $(seq 60); do
    new=$(xl domid "$NAME" 2>/dev/null) && [ "$new" != "$old" ] && break
    sleep 1
done
note "after xl reboot: domid $old -> ${new:-none}"
qmp_connect "$NAME"
guest_wait "" 'GUEST done'
qmp "" query-xen-platform-pv-driver-info query-rebooted
keep_console "" rebooted
dm_log "" -rebooted
guest_destroy
