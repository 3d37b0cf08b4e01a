# xen_platform_pci=0: libxl adds no platform device and starts QEMU with
# -machine pc,accel=xen; the device comes from device_model_args_hvm
CFG='xen_platform_pci = 0'
case "$VARIANT" in
xp2) DMARGS=', "-device", "xen-platform-2"' ;;
xenserver) DMARGS=', "-device", "xen-platform,addr=3,device-id=0x0002,revision=0x2,class-id=0x0100,subvendor_id=0x5853,subsystem_id=0x0002"' ;;
esac
guest_create || return 0
guest_wait "" 'GUEST done'
qmp "" query-xen-platform-pv-driver-info query
guest_destroy
