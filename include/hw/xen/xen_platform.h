/*
 * Xen platform PCI device and its emulated-device unplug protocol
 *
 * Copyright (c) 2026 Xen platform series <xen-platform@localhost>
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 *
 * The protocol is specified in docs/specs/xen-platform.rst.
 */

#ifndef HW_XEN_XEN_PLATFORM_H
#define HW_XEN_XEN_PLATFORM_H

#include "qemu/throttle.h"
#include "qemu/units.h"
#include "system/memory.h"
#include "chardev/char-fe.h"
#include "hw/pci/pci_device.h"
#include "qapi/qapi-types-misc-i386.h"
#include "qom/object.h"

#define TYPE_XEN_PLATFORM   "xen-platform"
#define TYPE_XEN_PLATFORM_2 "xen-platform-2"

/* Fixed I/O ports, owned by one platform device per machine */
#define XEN_PLATFORM_IOPORT             0x10
#define XEN_PLATFORM_IOPORT_SIZE        0x10
#define XEN_PLATFORM_PORT_MAGIC         0x0     /* 0x10, relative to base */
#define XEN_PLATFORM_PORT_VERSION       0x2     /* 0x12, relative to base */

#define XEN_PLATFORM_MAGIC              0x49d2
#define XEN_PLATFORM_MAGIC_BLACKLISTED  0xd249
#define XEN_PLATFORM_PROTOCOL_VERSION   1

/* Unplug mask written to port 0x10 */
#define XEN_UNPLUG_IDE_SCSI_DISKS       (1u << 0)
#define XEN_UNPLUG_ALL_NICS             (1u << 1)
#define XEN_UNPLUG_AUX_IDE_DISKS        (1u << 2)
#define XEN_UNPLUG_NVME_DISKS           (1u << 3)
#define XEN_UNPLUG_ALL                  (XEN_UNPLUG_IDE_SCSI_DISKS | \
                                         XEN_UNPLUG_ALL_NICS | \
                                         XEN_UNPLUG_AUX_IDE_DISKS | \
                                         XEN_UNPLUG_NVME_DISKS)

/* Platform flags (port 0x10 byte, BAR0 offset 0) */
#define XEN_PLATFORM_FLAG_ROM_LOCK      (1u << 0)

/* Log channel */
#define XEN_PLATFORM_LOG_LINE_MAX       1024    /* bytes before forced flush */
#define XEN_PLATFORM_LOG_BURST_DEFAULT  (128 * KiB)
#define XEN_PLATFORM_LOG_RATE_DEFAULT   256     /* bytes per second */
/* The smallest bucket that can pass the longest escaped line */
#define XEN_PLATFORM_LOG_BURST_MIN      (8 * KiB)
#define XEN_PLATFORM_LOG_BURST_MAX      (1 * GiB)

/* Vendor-specific capability of xen-platform-2 (ID 0x09) */
#define XEN_PLATFORM_CAP_LENGTH         0x08
#define XEN_PLATFORM_CAP_LEN            0x02    /* u8: capability length */
#define XEN_PLATFORM_CAP_CFG_TYPE       0x03    /* u8: layout version, 1 */
#define XEN_PLATFORM_CAP_PORT_BASE      0x04    /* u16: fixed port base */
#define XEN_PLATFORM_CAP_PROTOCOL       0x06    /* u8: protocol version */
#define XEN_PLATFORM_CAP_UNPLUG_MASK    0x07    /* u8: unplug bits known */
#define XEN_PLATFORM_CAP_CFG_TYPE_V1    1

/*
 * The unplug protocol core (hw/xen/xen_unplug.c): the fixed ports, the
 * driver handshake and blacklist, the log channel and the removal of
 * emulated devices. It does not know the PCI device it is part of.
 */
/* What the host says in xenstore, kept in memory (xen_unplug.c) */
typedef struct XenUnplugStore XenUnplugStore;

typedef struct XenUnplugState {
    MemoryRegion fixed_io;
    Object *owner;
    PCIBus *bus;                /* where emulated devices are removed */
    XenUnplugStore *store;      /* NULL: no xenstore the host can write */

    /* Configuration (properties of the PCI device) */
    uint32_t log_burst;         /* bytes */
    uint32_t log_rate;          /* bytes per second */
    bool log_throttle;          /* rate limit on; xenstore may override */
    CharFrontend log_chr;       /* where log lines go, if set */
    bool migrate_state;         /* send the subsections (toolstack opt-in) */

    /* Guest-visible state, reset with the device */
    uint8_t flags;
    bool product_set;
    uint16_t product;
    bool build_set;
    uint32_t build;
    bool blacklisted;           /* until reset, once set */
    uint8_t unplugged;          /* unplug bits acted on since reset */
    uint32_t guest_errors;      /* kinds logged since reset */

    /* Log channel */
    uint32_t log_len;
    uint32_t log_cost;          /* escaped length of the pending line */
    uint8_t log_line[XEN_PLATFORM_LOG_LINE_MAX];
    LeakyBucket log_bucket;     /* level: bytes written, leaking */
    int64_t log_leak_ns;        /* QEMU_CLOCK_VIRTUAL of the last leak */
    uint32_t log_dropped_lines; /* not yet reported by a notice */
    uint64_t log_dropped_bytes;
    uint64_t log_suppressed_total;
} XenUnplugState;

extern const VMStateDescription vmstate_xen_unplug_driver;
extern const VMStateDescription vmstate_xen_unplug_log;
bool xen_unplug_driver_needed(XenUnplugState *s);
bool xen_unplug_log_needed(XenUnplugState *s);

bool xen_unplug_realize(XenUnplugState *s, Object *owner, PCIBus *bus,
                        Error **errp);
void xen_unplug_unrealize(XenUnplugState *s);
void xen_unplug_reset(XenUnplugState *s);
int xen_unplug_post_load(XenUnplugState *s);

/* What query-xen-platform-pv-driver-info answers for @s */
XenPlatformPVDriverInfo *xen_unplug_query(XenUnplugState *s);

/* Entry points for the PCI device's BAR0 (legacy unplug interfaces) */
void xen_unplug_request(XenUnplugState *s, uint32_t mask);
void xen_unplug_log_byte(XenUnplugState *s, uint8_t byte);
void xen_unplug_write_flags(XenUnplugState *s, uint8_t flags);

/*
 * The PCI device (hw/xen/xen_platform.c)
 */
OBJECT_DECLARE_TYPE(XenPlatformState, XenPlatformClass, XEN_PLATFORM)

/* device-id, revision, class-id, subvendor_id and subsystem_id */
#define XEN_PLATFORM_IDENTITY_COUNT     5

struct XenPlatformClass {
    PCIDeviceClass parent_class;

    bool has_capability;        /* the vendor-specific capability */
    const Property *identity;   /* the identity properties, own defaults */
};

struct XenPlatformState {
    PCIDevice parent_obj;

    MemoryRegion bar;
    MemoryRegion mmio_bar;
    XenUnplugState unplug;

    /* Identity properties, defaulting to the type's own IDs */
    uint16_t device_id;
    uint8_t revision;
    uint16_t class_id;
    uint16_t subvendor_id;
    uint16_t subsystem_id;
    bool allow_no_xen;
};

#endif /* HW_XEN_XEN_PLATFORM_H */
