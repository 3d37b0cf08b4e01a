# The ROM lock through the real hypervisor (the guest does it all)
guest_create || return 0
guest_wait "" 'GUEST done'
qmp "" query-xen-platform-pv-driver-info query
guest_destroy
