/*
 * Xen emulated-device unplug protocol: the fixed I/O ports 0x10-0x1f
 *
 * Copyright (c) 2003-2004 Intel Corp.
 * Copyright (c) 2006 XenSource
 * Copyright (c) 2026 Xen platform series <xen-platform@localhost>
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 *
 * Parts of this file (the removal of emulated IDE disks and NICs, the
 * platform flags and the log line) derive from hw/xen/xen_platform.c,
 * formerly hw/i386/xen/xen_platform.c, which Intel and XenSource
 * published under this notice:
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
 * PV drivers in Xen HVM guests identify themselves here, are told whether
 * the host refuses their build (the blacklist), ask for the emulated disks
 * and NICs they replace to be removed, and log to the host. The contract is
 * docs/specs/xen-platform.rst; this file implements it top to bottom:
 *
 *   port 0x10  read  16 bit   magic (0x49d2, or 0xd249 when blacklisted)
 *              write 16 bit   unplug mask
 *              write 32 bit   driver build number (ends the preamble)
 *              r/w    8 bit   platform flags (ROM lock)
 *   port 0x12  read   8 bit   protocol version (1)
 *              write 16 bit   driver product number (starts the preamble)
 *              write  8 bit   log byte
 *
 * Every other access size and offset reads as all-ones and ignores writes.
 */

#include "qemu/osdep.h"
#ifdef CONFIG_XEN
#include "hw/xen/xen_native.h"  /* must come first */
#endif
#include "qemu/error-report.h"
#include "qemu/log.h"
#include "qemu/throttle.h"
#include "qemu/timer.h"
#include "qemu/units.h"
#include "qapi/error.h"
#include "qapi/qapi-events-xen-platform.h"
#include "hw/ide/ide-bus.h"
#include "hw/ide/ide-dev.h"
#include "hw/pci/pci.h"
#include "hw/pci/pci_bus.h"
#include "hw/xen/xen.h"
#include "hw/xen/xen_backend_ops.h"
#include "hw/xen/xen_platform.h"
#include "hw/xen/interface/hvm/pvdrivers.h"
#include "migration/vmstate.h"
#include "monitor/monitor.h"
#include "net/net.h"
#include "system/block-backend.h"
#include "system/blockdev.h"
#include "system/qtest.h"
#include "system/runstate.h"
#include "trace.h"

/* Product registry: Xen's public/hvm/pvdrivers.h */
#define XEN_PV_PRODUCT(name, product)   { product, name },

static const struct {
    uint16_t product;
    const char *name;
} xen_pv_products[] = {
    PVDRIVERS_PRODUCT_LIST(XEN_PV_PRODUCT)
};

static const char *xen_pv_product_name(uint16_t product)
{
    int i;

    for (i = 0; i < ARRAY_SIZE(xen_pv_products); i++) {
        if (xen_pv_products[i].product == product) {
            return xen_pv_products[i].name;
        }
    }
    return NULL;
}

/*
 * Xenstore access: the backend QEMU already uses (libxenstore under Xen,
 * the emulated store under KVM's Xen emulation). Under the qtest
 * accelerator, and only there, libxenstore is used without Xen against
 * the socket $XENSTORED_PATH names, if set: the Xen backend operations
 * are process-wide, and a QEMU that runs guests without Xen must not
 * take them over.
 */
static void xen_unplug_xs_open(XenUnplugState *s)
{
#ifdef CONFIG_XEN
    if (!xen_xenstore_ops && xen_mode == XEN_DISABLED && qtest_enabled() &&
        getenv("XENSTORED_PATH")) {
        setup_xen_backend_ops();
    }
#endif
    s->xsh = qemu_xen_xs_open();
}

static bool xen_unplug_xs_reachable(XenUnplugState *s, const char *why)
{
    if (s->xsh) {
        return true;
    }
    if (!s->xs_warned) {
        warn_report("%s: no xenstore reachable, %s",
                    object_get_typename(s->owner), why);
        s->xs_warned = true;
    }
    return false;
}

#define XEN_UNPLUG_XS_PATH_CHARS \
    "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-/_@"

/*
 * Blacklist: /mh/driver-blacklist/<product name>/<build in decimal>
 * exists and is readable.
 *
 * The read is made on the device model's own (privileged) xenstore
 * connection, which no per-domain quota covers, so what a guest can make
 * it cost is bounded here: each (product, build) pair is looked up once
 * between two resets (again only if the read failed), and at most
 * XEN_UNPLUG_LOOKUPS_MAX reads are made at all. A pair that would need
 * one more is refused without a lookup: a driver that could otherwise
 * try builds until one passes gains nothing by it.
 */
static bool xen_unplug_lookup_blacklist(XenUnplugState *s)
{
    const char *name = xen_pv_product_name(s->product);
    g_autofree char *path = NULL;
    g_autofree void *value = NULL;
    unsigned int len, i;
    bool found;

    if (!name) {
        trace_xen_platform_blacklist_unknown_product(s->product);
        return false;
    }
    /*
     * xenstore paths allow only these characters: the registry's
     * "xenserver-windows-v7.0+" and "-v7.2+" have no node to look up
     */
    if (name[strspn(name, XEN_UNPLUG_XS_PATH_CHARS)]) {
        trace_xen_platform_blacklist_no_path(s->product, name);
        return false;
    }
    for (i = 0; i < s->verdicts; i++) {
        if (s->looked_up[i].product == s->product &&
            s->looked_up[i].build == s->build) {
            return s->looked_up[i].blacklisted;
        }
    }
    if (!xen_unplug_xs_reachable(s, "PV driver builds cannot be "
                                 "blacklisted")) {
        return false;
    }
    if (s->lookups == XEN_UNPLUG_LOOKUPS_MAX) {
        qemu_log_mask(LOG_GUEST_ERROR, "%s: product %u build %u refused: "
                      "more than %u blacklist lookups since reset\n",
                      object_get_typename(s->owner), s->product, s->build,
                      XEN_UNPLUG_LOOKUPS_MAX);
        return true;
    }
    path = g_strdup_printf("/mh/driver-blacklist/%s/%u", name, s->build);
    errno = 0;
    value = qemu_xen_xs_read(s->xsh, XBT_NULL, path, &len);
    found = value != NULL;
    trace_xen_platform_blacklist_lookup(path, found);
    s->lookups++;
    /* A failed read is not an answer: the pair may be looked up again */
    if (found || errno == ENOENT || errno == EINVAL) {
        s->looked_up[s->verdicts].product = s->product;
        s->looked_up[s->verdicts].build = s->build;
        s->looked_up[s->verdicts].blacklisted = found;
        s->verdicts++;
    }
    return found;
}

/*
 * Run-time log throttling toggle: /local/domain/<domid>/log-throttling,
 * "0" off, "1" on; absent: the log-throttle property decides.
 */
static void xen_unplug_throttle_changed(void *opaque, const char *fired)
{
    XenUnplugState *s = opaque;
    const char *path = s->throttle_path;
    g_autofree char *value = NULL;
    unsigned int len;

    /* The watch fires for nodes below it too: read the node itself */
    value = qemu_xen_xs_read(s->xsh, XBT_NULL, path, &len);
    if (!value) {
        s->throttle_override = false;
    } else if (!strcmp(value, "0") || !strcmp(value, "1")) {
        s->throttle_override = true;
        s->throttle_xs = value[0] == '1';
    } else {
        warn_report("%s: ignoring %s = '%s' (expected \"0\" or \"1\")",
                    object_get_typename(s->owner), path, value);
        return;
    }
    trace_xen_platform_log_throttle(path, value ? value : "(none)");
}

static bool xen_unplug_throttling(XenUnplugState *s)
{
    return s->throttle_override ? s->throttle_xs : s->log_throttle;
}

/*
 * Log channel. Bytes collect into a line, emitted on '\n' or when the line
 * is full. Bytes other than printable ASCII, and the backslash, are
 * escaped as \xNN and \\. A leaky bucket (qemu/throttle.h) of log_burst
 * bytes, which leaks log_rate bytes per second of guest (virtual) time,
 * bounds what reaches the host: a line that would overflow it is dropped
 * and counted, and the next line that fits is preceded by a notice saying
 * how much was dropped. The guest is never stalled.
 */
static unsigned xen_unplug_log_escaped_len(uint8_t byte)
{
    if (byte == '\\') {
        return 2;
    }
    return byte >= 0x20 && byte < 0x7f ? 1 : 4;
}

static char *xen_unplug_log_escape(const uint8_t *line, uint32_t len,
                                   uint32_t escaped_len)
{
    char *out = g_malloc(escaped_len + 1);
    char *p = out;
    uint32_t i;

    for (i = 0; i < len; i++) {
        if (line[i] == '\\') {
            *p++ = '\\';
            *p++ = '\\';
        } else if (line[i] >= 0x20 && line[i] < 0x7f) {
            *p++ = line[i];
        } else {
            p += snprintf(p, out + escaped_len + 1 - p, "\\x%02x", line[i]);
        }
    }
    *p = '\0';
    return out;
}

static void xen_unplug_log_output(XenUnplugState *s, const char *text)
{
    g_autofree char *line = NULL;

    trace_xen_platform_log(text);
    if (qemu_chr_fe_backend_connected(&s->log_chr)) {
        /* Never blocks: what the chardev cannot take now is lost */
        line = g_strdup_printf("%s: %s\n", object_get_typename(s->owner),
                               text);
        qemu_chr_fe_write(&s->log_chr, (const uint8_t *)line, strlen(line));
        return;
    }
    qemu_log_mask(LOG_GUEST_ERROR, "%s: %s\n",
                  object_get_typename(s->owner), text);
}

/* What a line of @len escaped bytes costs the host: prefix and newline too */
static uint64_t xen_unplug_log_line_cost(XenUnplugState *s, size_t len)
{
    return strlen(object_get_typename(s->owner)) + 2 + len + 1;
}

/* Take @bytes from the bucket if it has room for them all */
static bool xen_unplug_log_take(XenUnplugState *s, uint64_t bytes)
{
    int64_t now = qemu_clock_get_ns(QEMU_CLOCK_VIRTUAL);

    if (!xen_unplug_throttling(s)) {
        return true;
    }
    if (now > s->log_leak_ns) {
        throttle_leak_bucket(&s->log_bucket, now - s->log_leak_ns);
    }
    s->log_leak_ns = now;
    s->log_bucket.level += bytes;
    if (throttle_compute_wait(&s->log_bucket)) {
        s->log_bucket.level -= bytes;   /* it would overflow: not taken */
        return false;
    }
    return true;
}

static void xen_unplug_log_flush(XenUnplugState *s)
{
    g_autofree char *notice = NULL;
    g_autofree char *text = NULL;
    uint64_t line_cost = xen_unplug_log_line_cost(s, s->log_cost);
    uint64_t cost = line_cost;

    if (s->log_dropped_lines) {
        notice = g_strdup_printf("(%u lines, %" PRIu64 " bytes of guest log "
                                 "suppressed by the rate limit)",
                                 s->log_dropped_lines, s->log_dropped_bytes);
        cost += xen_unplug_log_line_cost(s, strlen(notice));
    }
    if (!xen_unplug_log_take(s, cost)) {
        /* saturating: a count that wrapped to 0 would lose the notice */
        if (s->log_dropped_lines < UINT32_MAX) {
            s->log_dropped_lines++;
        }
        s->log_dropped_bytes = MIN(s->log_dropped_bytes,
                                   UINT64_MAX - line_cost) + line_cost;
        if (s->log_suppressed_total < UINT64_MAX) {
            s->log_suppressed_total++;
        }
        trace_xen_platform_log_suppressed(s->log_len);
    } else {
        if (notice) {
            xen_unplug_log_output(s, notice);
            s->log_dropped_lines = 0;
            s->log_dropped_bytes = 0;
        }
        text = xen_unplug_log_escape(s->log_line, s->log_len, s->log_cost);
        xen_unplug_log_output(s, text);
    }
    s->log_len = 0;
    s->log_cost = 0;
}

void xen_unplug_log_byte(XenUnplugState *s, uint8_t byte)
{
    if (byte == '\n') {
        xen_unplug_log_flush(s);
        return;
    }
    s->log_line[s->log_len++] = byte;
    s->log_cost += xen_unplug_log_escaped_len(byte);
    if (s->log_len == XEN_PLATFORM_LOG_LINE_MAX) {
        xen_unplug_log_flush(s);
    }
}

/*
 * Removal of emulated devices
 */
/* Drives attached to @dev or below it go away with it, like device_del */
static void xen_unplug_drives_auto_del(DeviceState *dev)
{
    BlockBackend *blk = NULL;

    while ((blk = blk_all_next(blk))) {
        DeviceState *d = blk_get_attached_dev(blk);

        while (d && d != dev) {
            d = d->parent_bus ? d->parent_bus->parent : NULL;
        }
        if (d) {
            blockdev_mark_auto_del(blk);
        }
    }
}

static void xen_unplug_pci_device(PCIDevice *d, const char *what)
{
    trace_xen_platform_unplug(what, d->name, PCI_SLOT(d->devfn),
                              PCI_FUNC(d->devfn));
    xen_unplug_drives_auto_del(DEVICE(d));
    object_unparent(OBJECT(d));
}

/* An IDE disk: detach and drop its drive, then remove the device */
static void xen_unplug_ide_disk(IDEBus *bus, IDEDevice *dev)
{
    int unit = dev == bus->slave;
    BlockBackend *blk = bus->ifs[unit].blk;

    trace_xen_platform_unplug("ide-disk", object_get_typename(OBJECT(dev)),
                              bus->bus_id, unit);
    if (blk) {
        blk_drain(blk);
        blk_flush(blk);
        blk_detach_dev(blk, DEVICE(dev));
        bus->ifs[unit].blk = NULL;
        dev->conf.blk = NULL;
        monitor_remove_blk(blk);
        blk_unref(blk);
    }
    object_unparent(OBJECT(dev));
}

typedef struct XenUnplugIDE {
    bool spare_primary_master;
    unsigned removed;
} XenUnplugIDE;

/* The primary master: the master of the bus named "ide.0", as in QEMU 10.0 */
static bool xen_unplug_is_primary_master(IDEBus *bus, IDEDevice *dev)
{
    return dev == bus->master && !strcmp(BUS(bus)->name, "ide.0");
}

static int xen_unplug_ide_child(DeviceState *dev, void *opaque)
{
    XenUnplugIDE *ide = opaque;
    IDEDevice *idedev;
    IDEBus *bus;

    if (!object_dynamic_cast(OBJECT(dev), "ide-hd")) {
        return 0;       /* CD-ROMs stay */
    }
    idedev = IDE_DEVICE(dev);
    bus = IDE_BUS(qdev_get_parent_bus(dev));
    if (ide->spare_primary_master &&
        xen_unplug_is_primary_master(bus, idedev)) {
        return 0;
    }
    xen_unplug_ide_disk(bus, idedev);
    ide->removed++;
    return 0;
}

/*
 * The controller is reset after its disks went, except when replaying a
 * migration source's unplug: then its state is the source's already.
 */
static void xen_unplug_ide_controller(XenUnplugState *s, PCIDevice *d,
                                      bool spare_primary_master)
{
    XenUnplugIDE ide = { .spare_primary_master = spare_primary_master };

    qdev_walk_children(DEVICE(d), NULL, NULL, xen_unplug_ide_child, NULL,
                       &ide);
    if (ide.removed && !s->replay_unplug) {
        pci_device_reset(d);
    }
}

/* Devices that are never removed: this device, passed-through devices */
static bool xen_unplug_spared(XenUnplugState *s, PCIDevice *d)
{
    return OBJECT(d) == s->owner ||
           object_dynamic_cast(OBJECT(d), "xen-pci-passthrough") ||
           object_dynamic_cast(OBJECT(d), "vfio-pci");
}

typedef struct XenUnplugWalk {
    XenUnplugState *s;
    uint32_t mask;
} XenUnplugWalk;

static void xen_unplug_disks_on(PCIBus *bus, PCIDevice *d, void *opaque)
{
    XenUnplugWalk *w = opaque;
    uint32_t mask = w->mask;
    bool all = mask & XEN_UNPLUG_IDE_SCSI_DISKS;

    if (xen_unplug_spared(w->s, d)) {
        return;
    }
    switch (pci_get_word(d->config + PCI_CLASS_DEVICE)) {
    case PCI_CLASS_STORAGE_IDE:
    case PCI_CLASS_STORAGE_SATA:
        if (mask & (XEN_UNPLUG_IDE_SCSI_DISKS | XEN_UNPLUG_AUX_IDE_DISKS)) {
            xen_unplug_ide_controller(w->s, d, !all);
        }
        break;
    case PCI_CLASS_STORAGE_SCSI:
        if (all) {
            xen_unplug_pci_device(d, "scsi-controller");
        }
        break;
    case PCI_CLASS_STORAGE_EXPRESS:
        if (mask & XEN_UNPLUG_NVME_DISKS) {
            xen_unplug_pci_device(d, "nvme-controller");
        }
        break;
    }
}

/*
 * The backend of a NIC that goes goes with it, unless the host deleted it
 * already (netdev_del). It is the netdev named by the NIC's "netdev"
 * property, if it still exists and is the peer of this very NIC, that is
 * of the PCI device or of a device below it (virtio-net-pci's
 * virtio-net-device): a netdev of the same name added since may belong
 * to another NIC. The NIC is told by the reentrancy guard that every NIC
 * model hands qemu_new_nic(): the opaque it hands over is not always the
 * device (ne2k_pci's is its NE2000State, pcnet's its PCNetState).
 */
typedef struct XenUnplugNIC {
    MemReentrancyGuard *guard;
    bool ours;
} XenUnplugNIC;

static int xen_unplug_nic_is(DeviceState *dev, void *opaque)
{
    XenUnplugNIC *n = opaque;

    n->ours |= &dev->mem_reentrancy_guard == n->guard;
    return 0;
}

static void xen_unplug_nic_backend(PCIDevice *d)
{
    g_autofree char *name = object_property_get_str(OBJECT(d), "netdev",
                                                    NULL);
    NetClientState *backend = name && *name ? qemu_find_netdev(name) : NULL;
    XenUnplugNIC n = { };

    if (!backend || !backend->peer ||
        backend->peer->info->type != NET_CLIENT_DRIVER_NIC) {
        return;
    }
    n.guard = qemu_get_nic(backend->peer)->reentrancy_guard;
    xen_unplug_nic_is(DEVICE(d), &n);
    qdev_walk_children(DEVICE(d), NULL, NULL, xen_unplug_nic_is, NULL, &n);
    if (n.ours) {
        qemu_del_net_client(backend);
    }
}

static void xen_unplug_nic_on(PCIBus *bus, PCIDevice *d, void *opaque)
{
    XenUnplugWalk *w = opaque;

    if (pci_get_word(d->config + PCI_CLASS_DEVICE) ==
        PCI_CLASS_NETWORK_ETHERNET && !xen_unplug_spared(w->s, d)) {
        xen_unplug_nic_backend(d);
        xen_unplug_pci_device(d, "nic");
    }
}

static void xen_unplug_devices(XenUnplugState *s, uint32_t mask)
{
    XenUnplugWalk w = { .s = s, .mask = mask };
    int busnr = pci_bus_num(s->bus);

    trace_xen_platform_unplug_request(mask, s->unplugged);
    if (mask & (XEN_UNPLUG_IDE_SCSI_DISKS | XEN_UNPLUG_AUX_IDE_DISKS |
                XEN_UNPLUG_NVME_DISKS)) {
        pci_for_each_device(s->bus, busnr, xen_unplug_disks_on, &w);
    }
    if (mask & XEN_UNPLUG_ALL_NICS) {
        pci_for_each_device(s->bus, busnr, xen_unplug_nic_on, &w);
    }
    s->unplugged |= mask & XEN_UNPLUG_ALL;
}

/*
 * The handshake
 */
static void xen_unplug_write_product(XenUnplugState *s, uint16_t product)
{
    const char *name = xen_pv_product_name(product);

    trace_xen_platform_product(product, name ? name : "unknown");
    s->product = product;
    s->product_set = true;
    s->build_set = false;
    s->build = 0;
    /* A blacklisted verdict stands until reset, whatever comes next */
}

static void xen_unplug_write_build(XenUnplugState *s, uint32_t build)
{
    if (!s->product_set) {
        qemu_log_mask(LOG_GUEST_ERROR, "%s: build number %u written before "
                      "any product number, ignored\n",
                      object_get_typename(s->owner), build);
        return;
    }
    s->build = build;
    s->build_set = true;
    if (xen_unplug_lookup_blacklist(s)) {
        s->blacklisted = true;
    }
    trace_xen_platform_build(s->product, build, s->blacklisted);
    qapi_event_send_xen_platform_pv_driver_info(s->product, build);
}

void xen_unplug_request(XenUnplugState *s, uint32_t mask)
{
    if (mask & ~XEN_UNPLUG_ALL) {
        qemu_log_mask(LOG_GUEST_ERROR, "%s: unknown unplug bits 0x%x "
                      "ignored\n", object_get_typename(s->owner),
                      mask & ~XEN_UNPLUG_ALL);
    }
    if (s->blacklisted) {
        qemu_log_mask(LOG_GUEST_ERROR, "%s: unplug 0x%x refused: driver "
                      "product %u build %u is blacklisted\n",
                      object_get_typename(s->owner), mask, s->product,
                      s->build);
        return;
    }
    xen_unplug_devices(s, mask & XEN_UNPLUG_ALL);
}

/*
 * ROM lock: under Xen the hypervisor makes 0xc0000-0xfffff read-only;
 * elsewhere (KVM's Xen emulation, qtest) the flag is only kept.
 */
void xen_unplug_write_flags(XenUnplugState *s, uint8_t flags)
{
    bool lock = flags & XEN_PLATFORM_FLAG_ROM_LOCK;

#ifdef CONFIG_XEN
    if (xen_mode == XEN_ATTACH &&
        xen_set_mem_type(xen_domid, lock ? HVMMEM_ram_ro : HVMMEM_ram_rw,
                         0xc0, 0x40)) {
        warn_report_once("%s: cannot make the ROM area %s",
                         object_get_typename(s->owner),
                         lock ? "read-only" : "writable");
        return;
    }
#endif
    s->flags = lock ? XEN_PLATFORM_FLAG_ROM_LOCK : 0;
}

static void xen_unplug_bad_access(XenUnplugState *s, const char *dir,
                                  hwaddr addr, unsigned size)
{
    qemu_log_mask(LOG_GUEST_ERROR, "%s: undefined %u-byte %s of port 0x%x\n",
                  object_get_typename(s->owner), size, dir,
                  (unsigned)(XEN_PLATFORM_IOPORT + addr));
}

static uint64_t xen_unplug_port_read(void *opaque, hwaddr addr, unsigned size)
{
    XenUnplugState *s = opaque;
    uint64_t val = MAKE_64BIT_MASK(0, size * 8);

    if (addr == XEN_PLATFORM_PORT_MAGIC && size == 2) {
        val = s->blacklisted ? XEN_PLATFORM_MAGIC_BLACKLISTED
                             : XEN_PLATFORM_MAGIC;
    } else if (addr == XEN_PLATFORM_PORT_MAGIC && size == 1) {
        val = s->flags;
    } else if (addr == XEN_PLATFORM_PORT_VERSION && size == 1) {
        val = XEN_PLATFORM_PROTOCOL_VERSION;
    } else {
        xen_unplug_bad_access(s, "read", addr, size);
    }
    trace_xen_platform_port_read(XEN_PLATFORM_IOPORT + addr, size, val);
    return val;
}

static void xen_unplug_port_write(void *opaque, hwaddr addr, uint64_t val,
                                  unsigned size)
{
    XenUnplugState *s = opaque;

    trace_xen_platform_port_write(XEN_PLATFORM_IOPORT + addr, size, val);
    switch (addr << 4 | size) {
    case XEN_PLATFORM_PORT_MAGIC << 4 | 2:
        xen_unplug_request(s, val);
        break;
    case XEN_PLATFORM_PORT_MAGIC << 4 | 4:
        xen_unplug_write_build(s, val);
        break;
    case XEN_PLATFORM_PORT_MAGIC << 4 | 1:
        xen_unplug_write_flags(s, val);
        break;
    case XEN_PLATFORM_PORT_VERSION << 4 | 2:
        xen_unplug_write_product(s, val);
        break;
    case XEN_PLATFORM_PORT_VERSION << 4 | 1:
        xen_unplug_log_byte(s, val);
        break;
    default:
        xen_unplug_bad_access(s, "write", addr, size);
        break;
    }
}

static const MemoryRegionOps xen_unplug_port_ops = {
    .read = xen_unplug_port_read,
    .write = xen_unplug_port_write,
    .endianness = DEVICE_LITTLE_ENDIAN,
    /* Every access reaches the handlers whole, whatever its size */
    .valid = {
        .min_access_size = 1,
        .max_access_size = 4,
        .unaligned = true,
    },
    .impl = {
        .min_access_size = 1,
        .max_access_size = 4,
        .unaligned = true,
    },
};

/*
 * Lifetime
 */
/* Devices unplugged on the migration source stay unplugged here */
static void xen_unplug_replay(void *opaque)
{
    XenUnplugState *s = opaque;

    if (s->replay_unplug) {
        xen_unplug_devices(s, s->unplugged);
        s->replay_unplug = false;
    }
}

/*
 * Removing devices removes their own VM change state handlers, which
 * QEMU is walking here: the replay runs in a bottom half instead.
 */
static void xen_unplug_vm_state_change(void *opaque, bool running,
                                       RunState state)
{
    XenUnplugState *s = opaque;

    if (running && s->replay_unplug) {
        qemu_bh_schedule(s->replay_bh);
    }
}

bool xen_unplug_realize(XenUnplugState *s, Object *owner, PCIBus *bus,
                        Error **errp)
{
    if (s->log_burst < XEN_PLATFORM_LOG_BURST_MIN ||
        s->log_burst > XEN_PLATFORM_LOG_BURST_MAX) {
        error_setg(errp, "log-burst must be between %u and %u bytes",
                   (unsigned)XEN_PLATFORM_LOG_BURST_MIN,
                   (unsigned)XEN_PLATFORM_LOG_BURST_MAX);
        return false;
    }
    if (s->log_rate == 0) {
        error_setg(errp, "log-rate must be between 1 and %u bytes per second",
                   UINT32_MAX);
        return false;
    }

    s->owner = owner;
    s->bus = bus;
    s->log_bucket = (LeakyBucket) {
        .avg = s->log_rate,
        .max = s->log_burst,
        .burst_length = 1,
    };
    s->log_leak_ns = qemu_clock_get_ns(QEMU_CLOCK_VIRTUAL);
    memory_region_init_io(&s->fixed_io, owner, &xen_unplug_port_ops, s,
                          "xen-fixed", XEN_PLATFORM_IOPORT_SIZE);
    memory_region_add_subregion(get_system_io(), XEN_PLATFORM_IOPORT,
                                &s->fixed_io);

    xen_unplug_xs_open(s);
    if (s->xsh) {
        s->throttle_path = g_strdup_printf("/local/domain/%u/log-throttling",
                                           xen_domid);
        s->throttle_watch = qemu_xen_xs_watch(s->xsh, s->throttle_path,
                                              xen_unplug_throttle_changed, s);
    }
    s->replay_bh = qemu_bh_new(xen_unplug_replay, s);
    s->vm_change = qemu_add_vm_change_state_handler(xen_unplug_vm_state_change,
                                                     s);
    return true;
}

void xen_unplug_unrealize(XenUnplugState *s)
{
    if (s->vm_change) {
        qemu_del_vm_change_state_handler(s->vm_change);
        s->vm_change = NULL;
    }
    if (s->replay_bh) {
        qemu_bh_delete(s->replay_bh);
        s->replay_bh = NULL;
    }
    if (s->throttle_watch) {
        qemu_xen_xs_unwatch(s->xsh, s->throttle_watch);
        s->throttle_watch = NULL;
    }
    if (s->xsh) {
        qemu_xen_xs_close(s->xsh);
        s->xsh = NULL;
    }
    g_clear_pointer(&s->throttle_path, g_free);
    memory_region_del_subregion(get_system_io(), &s->fixed_io);
}

void xen_unplug_reset(XenUnplugState *s)
{
    xen_unplug_write_flags(s, 0);
    s->product_set = false;
    s->product = 0;
    s->build_set = false;
    s->build = 0;
    s->blacklisted = false;
    s->lookups = 0;
    s->verdicts = 0;
    s->unplugged = 0;
    s->replay_unplug = false;
    s->log_len = 0;
    s->log_cost = 0;
    s->log_suppressed_total = 0;
    /*
     * The bucket and a pending suppression notice outlive guest resets:
     * a guest cannot reboot its way to a new burst.
     */
}

/*
 * Migration: the state a driver created travels in subsections that are
 * only sent once a driver has used the protocol.
 */
bool xen_unplug_driver_needed(XenUnplugState *s)
{
    return s->migrate_state && (s->product_set || s->unplugged);
}

/*
 * The pending line and what the rate limit dropped. The bucket itself is
 * not migrated (QEMU migrates no throttle state): the destination starts
 * with an empty one, so a migration, which only the host starts, may
 * grant the guest one more burst.
 */
bool xen_unplug_log_needed(XenUnplugState *s)
{
    return s->migrate_state &&
           (s->log_len || s->log_dropped_lines || s->log_suppressed_total);
}

int xen_unplug_post_load(XenUnplugState *s)
{
    const char *name = object_get_typename(s->owner);

    uint32_t i;

    if (s->log_len >= XEN_PLATFORM_LOG_LINE_MAX) {
        error_report("%s: migrated log line length %u is invalid", name,
                     s->log_len);
        return -EINVAL;
    }
    s->log_cost = 0;
    for (i = 0; i < s->log_len; i++) {
        s->log_cost += xen_unplug_log_escaped_len(s->log_line[i]);
    }
    if (s->unplugged & ~XEN_UNPLUG_ALL) {
        error_report("%s: migrated unplug mask 0x%x is invalid", name,
                     s->unplugged);
        return -EINVAL;
    }
    if ((s->build_set || s->blacklisted) && !s->product_set) {
        error_report("%s: migrated driver state is inconsistent", name);
        return -EINVAL;
    }
    s->replay_unplug = s->unplugged != 0;
    return 0;
}

const VMStateDescription vmstate_xen_unplug_driver = {
    .name = "xen-platform/driver",
    .version_id = 1,
    .minimum_version_id = 1,
    .fields = (const VMStateField[]) {
        VMSTATE_BOOL(product_set, XenUnplugState),
        VMSTATE_UINT16(product, XenUnplugState),
        VMSTATE_BOOL(build_set, XenUnplugState),
        VMSTATE_UINT32(build, XenUnplugState),
        VMSTATE_BOOL(blacklisted, XenUnplugState),
        VMSTATE_UINT8(unplugged, XenUnplugState),
        VMSTATE_END_OF_LIST()
    }
};

const VMStateDescription vmstate_xen_unplug_log = {
    .name = "xen-platform/log",
    .version_id = 1,
    .minimum_version_id = 1,
    .fields = (const VMStateField[]) {
        VMSTATE_UINT32(log_len, XenUnplugState),
        VMSTATE_UINT8_ARRAY(log_line, XenUnplugState,
                            XEN_PLATFORM_LOG_LINE_MAX),
        VMSTATE_UINT32(log_dropped_lines, XenUnplugState),
        VMSTATE_UINT64(log_dropped_bytes, XenUnplugState),
        VMSTATE_UINT64(log_suppressed_total, XenUnplugState),
        VMSTATE_END_OF_LIST()
    }
};

/*
 * QMP
 */
XenPlatformPVDriverInfo *xen_unplug_query(XenUnplugState *s)
{
    XenPlatformPVDriverInfo *info = g_new0(XenPlatformPVDriverInfo, 1);
    XenPlatformUnplugList **tail = &info->unplugged;
    const char *name;
    int bit;

    info->product_num = s->product;
    info->build_num = s->build;
    name = s->product_set ? xen_pv_product_name(s->product) : NULL;
    if (name) {
        info->product_name = g_strdup(name);
    }
    info->refused = s->blacklisted;
    for (bit = 0; bit < XEN_PLATFORM_UNPLUG__MAX; bit++) {
        if (s->unplugged & (1u << bit)) {
            QAPI_LIST_APPEND(tail, bit);
        }
    }
    info->log_lines_suppressed = s->log_suppressed_total;
    return info;
}
