/*
 * Xen platform PCI device: xen-platform and xen-platform-2
 *
 * Copyright (c) 2003-2004 Intel Corp.
 * Copyright (c) 2006 XenSource
 * Copyright (c) 2026 Xen platform series <xen-platform@localhost>
 *
 * Permission is hereby granted, free of charge, to any person obtaining a copy
 * of this software and associated documentation files (the "Software"), to deal
 * in the Software without restriction, including without limitation the rights
 * to use, copy, modify, merge, publish, distribute, sublicense, and/or sell
 * copies of the Software, and to permit persons to whom the Software is
 * furnished to do so, subject to the following conditions:
 *
 * The above copyright notice and this permission notice shall be included in
 * all copies or substantial portions of the Software.
 *
 * THE SOFTWARE IS PROVIDED "AS IS", WITHOUT WARRANTY OF ANY KIND, EXPRESS OR
 * IMPLIED, INCLUDING BUT NOT LIMITED TO THE WARRANTIES OF MERCHANTABILITY,
 * FITNESS FOR A PARTICULAR PURPOSE AND NONINFRINGEMENT. IN NO EVENT SHALL
 * THE AUTHORS OR COPYRIGHT HOLDERS BE LIABLE FOR ANY CLAIM, DAMAGES OR OTHER
 * LIABILITY, WHETHER IN AN ACTION OF CONTRACT, TORT OR OTHERWISE, ARISING FROM,
 * OUT OF OR IN CONNECTION WITH THE SOFTWARE OR THE USE OR OTHER DEALINGS IN
 * THE SOFTWARE.
 *
 * This file was hw/i386/xen/xen_platform.c ("XEN platform pci device,
 * formerly known as the event channel device"); the notice above is its.
 *
 * The PCI side of the device: identity, BARs, the capability of
 * xen-platform-2, properties, migration and reset. The unplug protocol on
 * the fixed I/O ports lives in xen_unplug.c; docs/specs/xen-platform.rst
 * is the contract.
 */

#include "qemu/osdep.h"
#include "qemu/module.h"
#include "qemu/units.h"
#include "qapi/error.h"
#include "qapi/qapi-commands-misc-i386.h"
#include "hw/pci/pci.h"
#include "hw/pci/pci_ids.h"
#include "hw/qdev-properties.h"
#include "hw/qdev-properties-system.h"
#include "hw/xen/xen.h"
#include "hw/xen/xen_platform.h"
#include "migration/vmstate.h"
#include "trace.h"

#define XEN_PLATFORM_CLASS_ID       (PCI_CLASS_OTHERS << 8 | 0x80)
#define XEN_PLATFORM_MMIO_SIZE      (16 * MiB)

/* BAR0: flags at 0, old SUSE unplug at 4, old Novell VMDP unplug/log at 8 */
#define XEN_PLATFORM_BAR0_SIZE      0x100
#define XEN_PLATFORM_BAR0_FLAGS     0
#define XEN_PLATFORM_BAR0_SUSE      4
#define XEN_PLATFORM_BAR0_VMDP      8

static uint64_t xen_platform_bar0_read(void *opaque, hwaddr addr,
                                       unsigned size)
{
    XenPlatformState *s = opaque;

    return addr == XEN_PLATFORM_BAR0_FLAGS ? s->unplug.flags : 0xff;
}

static void xen_platform_bar0_write(void *opaque, hwaddr addr, uint64_t val,
                                    unsigned size)
{
    XenPlatformState *s = opaque;

    switch (addr) {
    case XEN_PLATFORM_BAR0_FLAGS:
        xen_unplug_write_flags(&s->unplug, val);
        break;
    case XEN_PLATFORM_BAR0_SUSE:
        /* xen-kmp since Xen 3.0.4: "outl(1, ioaddr + 4)" */
        if (val == 1) {
            xen_unplug_request(&s->unplug, XEN_UNPLUG_IDE_SCSI_DISKS |
                                           XEN_UNPLUG_ALL_NICS);
        }
        break;
    case XEN_PLATFORM_BAR0_VMDP:
        /* VMDP before 1.7: 1 disks, 2 NICs, anything else is a log byte */
        if (val == 1) {
            xen_unplug_request(&s->unplug, XEN_UNPLUG_IDE_SCSI_DISKS);
        } else if (val == 2) {
            xen_unplug_request(&s->unplug, XEN_UNPLUG_ALL_NICS);
        } else {
            xen_unplug_log_byte(&s->unplug, val);
        }
        break;
    }
}

static const MemoryRegionOps xen_platform_bar0_ops = {
    .read = xen_platform_bar0_read,
    .write = xen_platform_bar0_write,
    .endianness = DEVICE_LITTLE_ENDIAN,
    .impl.min_access_size = 1,
    .impl.max_access_size = 1,
};

/* BAR1: the guest's grant table/shared info area; accesses are ignored */
static uint64_t xen_platform_mmio_read(void *opaque, hwaddr addr,
                                       unsigned size)
{
    trace_xen_platform_mmio_access("read", size, addr);
    return 0;
}

static void xen_platform_mmio_write(void *opaque, hwaddr addr, uint64_t val,
                                    unsigned size)
{
    trace_xen_platform_mmio_access("write", size, addr);
}

static const MemoryRegionOps xen_platform_mmio_ops = {
    .read = xen_platform_mmio_read,
    .write = xen_platform_mmio_write,
    .endianness = DEVICE_LITTLE_ENDIAN,
};

/*
 * The identity properties default to each type's own IDs, which
 * device-list-properties shows: they are added to each instance from its
 * class's list, as a class property has one default for every subclass.
 */
static const Property xen_platform_identity[] = {
    DEFINE_PROP_UINT16("device-id", XenPlatformState, device_id,
                       PCI_DEVICE_ID_XEN_PLATFORM),
    DEFINE_PROP_UINT8("revision", XenPlatformState, revision, 1),
    DEFINE_PROP_UINT16("class-id", XenPlatformState, class_id,
                       XEN_PLATFORM_CLASS_ID),
    DEFINE_PROP_UINT16("subvendor_id", XenPlatformState, subvendor_id,
                       PCI_VENDOR_ID_XEN),
    DEFINE_PROP_UINT16("subsystem_id", XenPlatformState, subsystem_id,
                       PCI_DEVICE_ID_XEN_PLATFORM),
};

static const Property xen_platform_2_identity[] = {
    DEFINE_PROP_UINT16("device-id", XenPlatformState, device_id,
                       PCI_DEVICE_ID_XEN_PLATFORM_V2),
    DEFINE_PROP_UINT8("revision", XenPlatformState, revision, 2),
    DEFINE_PROP_UINT16("class-id", XenPlatformState, class_id,
                       XEN_PLATFORM_CLASS_ID),
    DEFINE_PROP_UINT16("subvendor_id", XenPlatformState, subvendor_id,
                       PCI_VENDOR_ID_XEN),
    DEFINE_PROP_UINT16("subsystem_id", XenPlatformState, subsystem_id,
                       PCI_DEVICE_ID_XEN_PLATFORM_V2),
};

QEMU_BUILD_BUG_ON(ARRAY_SIZE(xen_platform_identity) !=
                  XEN_PLATFORM_IDENTITY_COUNT);
QEMU_BUILD_BUG_ON(ARRAY_SIZE(xen_platform_2_identity) !=
                  XEN_PLATFORM_IDENTITY_COUNT);

static const struct {
    const char *name;
    const char *description;
} xen_platform_identity_descriptions[XEN_PLATFORM_IDENTITY_COUNT] = {
    { "device-id", "PCI device ID, not 0xffff" },
    { "revision", "PCI revision ID" },
    { "class-id", "PCI class code, base and sub-class" },
    { "subvendor_id", "PCI subsystem vendor ID, not 0xffff" },
    { "subsystem_id", "PCI subsystem ID" },
};

static void xen_platform_instance_init(Object *obj)
{
    XenPlatformClass *xpc = XEN_PLATFORM_GET_CLASS(obj);
    int i;

    for (i = 0; i < XEN_PLATFORM_IDENTITY_COUNT; i++) {
        qdev_property_add_static(DEVICE(obj), &xpc->identity[i]);
        object_property_set_description(obj,
            xen_platform_identity_descriptions[i].name,
            xen_platform_identity_descriptions[i].description);
    }
}

static bool xen_platform_set_identity(XenPlatformState *s, Error **errp)
{
    PCIDevice *dev = PCI_DEVICE(s);

    /* 0xffff is what config space reads without a device */
    if (s->device_id == 0xffff) {
        error_setg(errp, "device-id 0xffff is no device ID");
        return false;
    }
    if (s->subvendor_id == 0xffff) {
        error_setg(errp, "subvendor_id 0xffff is no vendor ID");
        return false;
    }
    pci_config_set_device_id(dev->config, s->device_id);
    pci_config_set_revision(dev->config, s->revision);
    pci_config_set_class(dev->config, s->class_id);
    pci_set_word(dev->config + PCI_SUBSYSTEM_VENDOR_ID, s->subvendor_id);
    pci_set_word(dev->config + PCI_SUBSYSTEM_ID, s->subsystem_id);
    return true;
}

/*
 * xen-platform-2: a vendor-specific capability describing the unplug
 * protocol, so that drivers can find it without probing ports.
 */
static bool xen_platform_add_capability(XenPlatformState *s, Error **errp)
{
    PCIDevice *dev = PCI_DEVICE(s);
    uint8_t *cap;
    int off;

    off = pci_add_capability(dev, PCI_CAP_ID_VNDR, 0,
                             XEN_PLATFORM_CAP_LENGTH, errp);
    if (off < 0) {
        return false;
    }
    cap = dev->config + off;
    cap[XEN_PLATFORM_CAP_LEN] = XEN_PLATFORM_CAP_LENGTH;
    cap[XEN_PLATFORM_CAP_CFG_TYPE] = XEN_PLATFORM_CAP_CFG_TYPE_V1;
    pci_set_word(cap + XEN_PLATFORM_CAP_PORT_BASE, XEN_PLATFORM_IOPORT);
    cap[XEN_PLATFORM_CAP_PROTOCOL] = XEN_PLATFORM_PROTOCOL_VERSION;
    cap[XEN_PLATFORM_CAP_UNPLUG_MASK] = XEN_UNPLUG_ALL;
    return true;
}

static void xen_platform_realize(PCIDevice *dev, Error **errp)
{
    ERRP_GUARD();
    XenPlatformState *s = XEN_PLATFORM(dev);
    XenPlatformClass *xpc = XEN_PLATFORM_GET_CLASS(s);
    bool ambiguous = false;

    if (xen_mode == XEN_DISABLED && !s->allow_no_xen) {
        error_setg(errp, "requires a Xen guest");
        return;
    }
    /* The fixed ports are the machine's: one platform device owns them */
    object_resolve_path_type("", TYPE_XEN_PLATFORM, &ambiguous);
    if (ambiguous) {
        error_setg(errp, "I/O ports 0x%x-0x%x already belong to another Xen "
                   "platform device; a machine can have only one",
                   XEN_PLATFORM_IOPORT,
                   XEN_PLATFORM_IOPORT + XEN_PLATFORM_IOPORT_SIZE - 1);
        if (xen_mode == XEN_EMULATE) {
            error_append_hint(errp, "KVM's Xen emulation creates one; "
                              "-machine xen-platform=off leaves it out\n");
        }
        return;
    }
    if (!xen_platform_set_identity(s, errp)) {
        return;
    }

    pci_set_word(dev->config + PCI_COMMAND,
                 PCI_COMMAND_IO | PCI_COMMAND_MEMORY);
    pci_config_set_prog_interface(dev->config, 0);
    pci_config_set_interrupt_pin(dev->config, 1);

    memory_region_init_io(&s->bar, OBJECT(s), &xen_platform_bar0_ops, s,
                          "xen-pci", XEN_PLATFORM_BAR0_SIZE);
    pci_register_bar(dev, 0, PCI_BASE_ADDRESS_SPACE_IO, &s->bar);

    memory_region_init_io(&s->mmio_bar, OBJECT(s), &xen_platform_mmio_ops, s,
                          "xen-mmio", XEN_PLATFORM_MMIO_SIZE);
    pci_register_bar(dev, 1, PCI_BASE_ADDRESS_MEM_PREFETCH, &s->mmio_bar);

    if (xpc->has_capability && !xen_platform_add_capability(s, errp)) {
        return;
    }

    xen_unplug_realize(&s->unplug, OBJECT(s), pci_get_bus(dev), errp);
}

XenPlatformPVDriverInfo *qmp_query_xen_platform_pv_driver_info(Error **errp)
{
    Object *obj = object_resolve_path_type("", TYPE_XEN_PLATFORM, NULL);

    if (!obj) {
        error_setg(errp, "The machine has no Xen platform device");
        return NULL;
    }
    return xen_unplug_query(&XEN_PLATFORM(obj)->unplug);
}

static void xen_platform_exit(PCIDevice *dev)
{
    xen_unplug_unrealize(&XEN_PLATFORM(dev)->unplug);
}

static void xen_platform_reset_hold(Object *obj, ResetType type)
{
    xen_unplug_reset(&XEN_PLATFORM(obj)->unplug);
}

static int xen_platform_post_load(void *opaque, int version_id)
{
    XenPlatformState *s = opaque;

    xen_unplug_write_flags(&s->unplug, s->unplug.flags);
    return xen_unplug_post_load(&s->unplug);
}

static bool xen_platform_driver_needed(void *opaque)
{
    return xen_unplug_driver_needed(&XEN_PLATFORM(opaque)->unplug);
}

static bool xen_platform_log_needed(void *opaque)
{
    return xen_unplug_log_needed(&XEN_PLATFORM(opaque)->unplug);
}

static const VMStateDescription vmstate_xen_platform_driver = {
    .name = "platform/driver",
    .version_id = 1,
    .minimum_version_id = 1,
    .needed = xen_platform_driver_needed,
    .fields = (const VMStateField[]) {
        VMSTATE_STRUCT(unplug, XenPlatformState, 1,
                       vmstate_xen_unplug_driver, XenUnplugState),
        VMSTATE_END_OF_LIST()
    }
};

static const VMStateDescription vmstate_xen_platform_log = {
    .name = "platform/log",
    .version_id = 1,
    .minimum_version_id = 1,
    .needed = xen_platform_log_needed,
    .fields = (const VMStateField[]) {
        VMSTATE_STRUCT(unplug, XenPlatformState, 1,
                       vmstate_xen_unplug_log, XenUnplugState),
        VMSTATE_END_OF_LIST()
    }
};

/* Name and version as in QEMU 10.0: streams of unused devices are alike */
static const VMStateDescription vmstate_xen_platform = {
    .name = "platform",
    .version_id = 4,
    .minimum_version_id = 4,
    .post_load = xen_platform_post_load,
    .fields = (const VMStateField[]) {
        VMSTATE_PCI_DEVICE(parent_obj, XenPlatformState),
        {
            /* VMSTATE_UINT8 would name it "unplug.flags" */
            .name = "flags",
            .info = &vmstate_info_uint8,
            .size = sizeof(uint8_t),
            .flags = VMS_SINGLE,
            .offset = offsetof(XenPlatformState, unplug.flags),
        },
        VMSTATE_END_OF_LIST()
    },
    .subsections = (const VMStateDescription * const []) {
        &vmstate_xen_platform_driver,
        &vmstate_xen_platform_log,
        NULL
    }
};

static const Property xen_platform_properties[] = {
    DEFINE_PROP_UINT32("log-burst", XenPlatformState, unplug.log_burst,
                       XEN_PLATFORM_LOG_BURST_DEFAULT),
    DEFINE_PROP_UINT32("log-rate", XenPlatformState, unplug.log_rate,
                       XEN_PLATFORM_LOG_RATE_DEFAULT),
    DEFINE_PROP_BOOL("log-throttle", XenPlatformState, unplug.log_throttle,
                     true),
    DEFINE_PROP_CHR("chardev", XenPlatformState, unplug.log_chr),
    DEFINE_PROP_BOOL("x-allow-no-xen", XenPlatformState, allow_no_xen, false),
    DEFINE_PROP_BOOL("migrate-driver-state", XenPlatformState,
                     unplug.migrate_state, false),
};

static const struct {
    const char *name;
    const char *description;
} xen_platform_property_descriptions[] = {
    { "log-burst", "Guest log bytes the host takes in a burst" },
    { "log-rate", "Guest log bytes per second the host takes after a burst" },
    { "log-throttle", "Rate-limit the guest log (xenstore's "
                      "/local/domain/<domid>/log-throttling overrides)" },
    { "chardev", "Where the guest log lines go (default: QEMU's "
                 "guest-error log, -d guest_errors)" },
    { "x-allow-no-xen", "Realize without Xen, for tests and benchmarks" },
    { "migrate-driver-state", "Migrate the PV driver's handshake, unplug "
                              "and log state (only to a QEMU that has it)" },
};

static void xen_platform_class_init(ObjectClass *oc, const void *data)
{
    DeviceClass *dc = DEVICE_CLASS(oc);
    PCIDeviceClass *k = PCI_DEVICE_CLASS(oc);
    XenPlatformClass *xpc = XEN_PLATFORM_CLASS(oc);
    ResettableClass *rc = RESETTABLE_CLASS(oc);
    int i;

    k->realize = xen_platform_realize;
    k->exit = xen_platform_exit;
    k->vendor_id = PCI_VENDOR_ID_XEN;
    k->device_id = PCI_DEVICE_ID_XEN_PLATFORM;
    k->revision = 1;
    k->class_id = XEN_PLATFORM_CLASS_ID;
    k->subsystem_vendor_id = PCI_VENDOR_ID_XEN;
    k->subsystem_id = PCI_DEVICE_ID_XEN_PLATFORM;
    xpc->identity = xen_platform_identity;
    set_bit(DEVICE_CATEGORY_MISC, dc->categories);
    dc->desc = "Xen platform PCI device";
    dc->hotpluggable = false;
    dc->vmsd = &vmstate_xen_platform;
    rc->phases.hold = xen_platform_reset_hold;
    device_class_set_props(dc, xen_platform_properties);
    for (i = 0; i < ARRAY_SIZE(xen_platform_property_descriptions); i++) {
        object_class_property_set_description(oc,
            xen_platform_property_descriptions[i].name,
            xen_platform_property_descriptions[i].description);
    }
}

/* xen-platform-2 differs only in its identity and its capability */
static void xen_platform_2_class_init(ObjectClass *oc, const void *data)
{
    DeviceClass *dc = DEVICE_CLASS(oc);
    PCIDeviceClass *k = PCI_DEVICE_CLASS(oc);
    XenPlatformClass *xpc = XEN_PLATFORM_CLASS(oc);

    k->device_id = PCI_DEVICE_ID_XEN_PLATFORM_V2;
    k->revision = 2;
    k->subsystem_id = PCI_DEVICE_ID_XEN_PLATFORM_V2;
    xpc->has_capability = true;
    xpc->identity = xen_platform_2_identity;
    dc->desc = "Xen platform PCI device, version 2";
}

static const TypeInfo xen_platform_types[] = {
    {
        .name          = TYPE_XEN_PLATFORM,
        .parent        = TYPE_PCI_DEVICE,
        .instance_size = sizeof(XenPlatformState),
        .class_size    = sizeof(XenPlatformClass),
        .instance_init = xen_platform_instance_init,
        .class_init    = xen_platform_class_init,
        .interfaces    = (const InterfaceInfo[]) {
            { INTERFACE_CONVENTIONAL_PCI_DEVICE },
            { },
        },
    }, {
        .name          = TYPE_XEN_PLATFORM_2,
        .parent        = TYPE_XEN_PLATFORM,
        .class_init    = xen_platform_2_class_init,
    },
};

DEFINE_TYPES(xen_platform_types)
