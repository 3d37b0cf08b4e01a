# DEVICES=tests (see scripts/config.sh): the boards and devices of
# qemu-system-x86_64 that the harness's tests, demo, interop, fuzz, compat
# and bench use, instead of QEMU's default set for x86_64. Everything
# these select comes along (for pc: PIIX IDE, ISA serial, RTC, ...).
# QEMU's own tests (qom-test, device-introspect-test, qmp-cmd-test) then
# see only these boards and devices.

# pc (i440fx) and q35 machine types
CONFIG_I440FX=y
CONFIG_Q35=y
# the device under test
CONFIG_XEN_BUS=y
CONFIG_XEN_PLATFORM=y
# NICs the unplug tests use (e1000 and e1000e are the boards' defaults)
CONFIG_E1000_PCI=y
CONFIG_E1000E_PCI_EXPRESS=y
CONFIG_RTL8139_PCI=y
CONFIG_VIRTIO_PCI=y
CONFIG_VIRTIO_NET=y
# disks the unplug tests use (IDE and AHCI come with the boards)
CONFIG_VIRTIO_BLK=y
CONFIG_VIRTIO_SCSI=y
CONFIG_SCSI=y
CONFIG_LSI_SCSI_PCI=y
CONFIG_NVME_PCI=y
# nvme calls it, but its Kconfig entry does not select it
CONFIG_SPDM_SOCKET=y
# devices behind a bridge, a NIC on a PCIe root port
CONFIG_PCI_BRIDGE=y
CONFIG_PCIE_PORT=y
# QEMU 10.2's ACPI tables for x86 call into CXL, whose stubs lack what
# they call, and CXL's mailbox into its type 3 device
CONFIG_PXB=y
CONFIG_CXL=y
CONFIG_CXL_MEM_DEVICE=y
# isa-debugcon (interop) and isa-debug-exit (bench)
CONFIG_ISA_DEBUG=y
# the boards' default display
CONFIG_VGA_PCI=y
