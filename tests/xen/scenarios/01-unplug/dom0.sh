# libxl's default HVM guest: -machine xenfv, an emulated IDE disk (hda)
# and an emulated e1000 NIC on xenbr0 with its vif. VARIANT: Linux's
# xen_emul_unplug= value (default: none given)
EXTRA=
[ "$VARIANT" = default ] || EXTRA="xen_emul_unplug=$VARIANT"
guest_create || return 0
guest_wait "" 'GUEST done'
qmp "" query-xen-platform-pv-driver-info query
guest_destroy
