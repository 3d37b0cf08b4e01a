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
#include "qemu/cutils.h"
#include "qemu/error-report.h"
#include "qemu/log.h"
#include "qemu/thread.h"
#include "qemu/throttle.h"
#include "qemu/timer.h"
#include "qemu/units.h"
#include "qapi/error.h"
#include "qapi/qapi-events-misc-i386.h"
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
 * The host's side in xenstore: the blacklist below /mh/driver-blacklist
 * and the log-throttling node. QEMU reads both when it realizes the
 * device and again each time a watch on them fires, in a thread of the
 * device's own, and keeps what it read in memory, where the ports'
 * handlers look. A guest's port accesses cause no xenstore request, and
 * neither a vCPU nor the main loop ever waits for xenstored. A write of
 * the toolstack applies from the first build number written after QEMU
 * has read it.
 *
 * The store is the one QEMU's Xen backend uses (libxenstore under Xen).
 * Under KVM's Xen emulation nothing on the host can write those nodes
 * into the emulated store, so the device neither watches nor reads it.
 * Under the qtest accelerator, and only there, libxenstore is used
 * without Xen against the socket $XENSTORED_PATH names, if set: the Xen
 * backend operations are process-wide, and a QEMU that runs guests
 * without Xen must not take them over.
 */
#define XEN_UNPLUG_BLACKLIST            "/mh/driver-blacklist"
#define XEN_UNPLUG_READ_BLACKLIST       (1u << 0)
#define XEN_UNPLUG_READ_THROTTLE        (1u << 1)

struct XenUnplugStore {
    struct qemu_xs_handle *xsh;
    struct qemu_xs_watch *blacklist_watch;
    struct qemu_xs_watch *throttle_watch;
    char *throttle_path;
    Object *owner;
    QemuThread thread;

    QemuMutex lock;             /* protects what follows */
    QemuCond changed;
    unsigned pending;           /* XEN_UNPLUG_READ_*, for the thread */
    bool exiting;
    GHashTable *blacklist;      /* product << 32 | build, as gint64 */
    int throttle;               /* -1: no node (the property decides) */
};

#define XEN_UNPLUG_XS_PATH_CHARS \
    "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-/_@"

/*
 * xenstore paths allow only these characters: the registry's
 * "xenserver-windows-v7.0+" and "-v7.2+" have no node to look up
 */
static bool xen_pv_product_has_node(const char *name)
{
    return !name[strspn(name, XEN_UNPLUG_XS_PATH_CHARS)];
}

static gint64 *xen_unplug_blacklist_key(uint16_t product, uint32_t build)
{
    gint64 *key = g_new(gint64, 1);

    *key = (gint64)product << 32 | build;
    return key;
}

/*
 * Blacklisted: the builds listed in /mh/driver-blacklist/<product name>/,
 * in decimal without leading zeros. A directory that cannot be listed
 * (absent, or an error) blacklists nothing: a driver is never refused
 * because the host could not be asked.
 */
static GHashTable *xen_unplug_read_blacklist(XenUnplugStore *st)
{
    GHashTable *set = g_hash_table_new_full(g_int64_hash, g_int64_equal,
                                            g_free, NULL);
    int i;

    for (i = 0; i < ARRAY_SIZE(xen_pv_products); i++) {
        const char *name = xen_pv_products[i].name;
        g_autofree char *path = NULL;
        g_autofree char **builds = NULL;
        unsigned int n = 0, j;

        if (!xen_pv_product_has_node(name)) {
            continue;
        }
        path = g_strdup_printf(XEN_UNPLUG_BLACKLIST "/%s", name);
        errno = 0;
        builds = qemu_xen_xs_directory(st->xsh, XBT_NULL, path, &n);
        trace_xen_platform_blacklist_read(path, builds ? n : 0,
                                          builds ? 0 : errno);
        if (!builds && errno != ENOENT) {
            warn_report_once("%s: cannot list %s (%s): its builds are not "
                             "blacklisted", object_get_typename(st->owner),
                             path, strerror(errno));
        }
        for (j = 0; builds && j < n; j++) {
            unsigned int build;
            g_autofree char *canon = NULL;

            if (qemu_strtoui(builds[j], NULL, 10, &build) < 0) {
                continue;
            }
            canon = g_strdup_printf("%u", build);
            if (!strcmp(canon, builds[j])) {
                g_hash_table_add(set, xen_unplug_blacklist_key(
                                          xen_pv_products[i].product, build));
            }
        }
    }
    return set;
}

/* /local/domain/<domid>/log-throttling: "0" off, "1" on, else absent */
static int xen_unplug_read_throttle(XenUnplugStore *st)
{
    g_autofree char *value = NULL;
    unsigned int len;
    int on = -1;

    value = qemu_xen_xs_read(st->xsh, XBT_NULL, st->throttle_path, &len);
    if (value && (!strcmp(value, "0") || !strcmp(value, "1"))) {
        on = value[0] == '1';
    } else if (value) {
        warn_report_once("%s: ignoring %s = '%s' (expected \"0\" or \"1\")",
                         object_get_typename(st->owner), st->throttle_path,
                         value);
    }
    trace_xen_platform_log_throttle(st->throttle_path,
                                    value ? value : "(none)");
    return on;
}

static void xen_unplug_store_read(XenUnplugStore *st, unsigned what)
{
    GHashTable *set = NULL;
    int throttle = 0;

    if (what & XEN_UNPLUG_READ_BLACKLIST) {
        set = xen_unplug_read_blacklist(st);
    }
    if (what & XEN_UNPLUG_READ_THROTTLE) {
        throttle = xen_unplug_read_throttle(st);
    }
    qemu_mutex_lock(&st->lock);
    if (set) {
        GHashTable *old = st->blacklist;

        st->blacklist = set;
        set = old;
    }
    if (what & XEN_UNPLUG_READ_THROTTLE) {
        st->throttle = throttle;
    }
    qemu_mutex_unlock(&st->lock);
    g_clear_pointer(&set, g_hash_table_unref);
}

static void *xen_unplug_store_thread(void *opaque)
{
    XenUnplugStore *st = opaque;

    qemu_mutex_lock(&st->lock);
    while (!st->exiting) {
        unsigned what = st->pending;

        if (!what) {
            qemu_cond_wait(&st->changed, &st->lock);
            continue;
        }
        st->pending = 0;
        qemu_mutex_unlock(&st->lock);
        xen_unplug_store_read(st, what);
        qemu_mutex_lock(&st->lock);
    }
    qemu_mutex_unlock(&st->lock);
    return NULL;
}

/* A watch fired, in the main loop: the thread reads the node(s) again */
static void xen_unplug_store_kick(XenUnplugStore *st, unsigned what)
{
    qemu_mutex_lock(&st->lock);
    st->pending |= what;
    qemu_cond_signal(&st->changed);
    qemu_mutex_unlock(&st->lock);
}

static void xen_unplug_blacklist_changed(void *opaque, const char *path)
{
    xen_unplug_store_kick(opaque, XEN_UNPLUG_READ_BLACKLIST);
}

static void xen_unplug_throttle_changed(void *opaque, const char *path)
{
    xen_unplug_store_kick(opaque, XEN_UNPLUG_READ_THROTTLE);
}

static void xen_unplug_store_close(XenUnplugStore *st)
{
    qemu_mutex_lock(&st->lock);
    st->exiting = true;
    qemu_cond_signal(&st->changed);
    qemu_mutex_unlock(&st->lock);
    qemu_thread_join(&st->thread);
    if (st->blacklist_watch) {
        qemu_xen_xs_unwatch(st->xsh, st->blacklist_watch);
    }
    if (st->throttle_watch) {
        qemu_xen_xs_unwatch(st->xsh, st->throttle_watch);
    }
    qemu_xen_xs_close(st->xsh);
    g_clear_pointer(&st->blacklist, g_hash_table_unref);
    qemu_cond_destroy(&st->changed);
    qemu_mutex_destroy(&st->lock);
    g_free(st->throttle_path);
    g_free(st);
}

/*
 * The first read is made here, before the guest runs, so that what the
 * toolstack wrote before starting QEMU applies from the first handshake.
 */
static XenUnplugStore *xen_unplug_store_open(Object *owner)
{
    XenUnplugStore *st;
    struct qemu_xs_handle *xsh;

    if (xen_mode == XEN_EMULATE) {
        return NULL;
    }
#ifdef CONFIG_XEN
    if (!xen_xenstore_ops && xen_mode == XEN_DISABLED && qtest_enabled() &&
        getenv("XENSTORED_PATH")) {
        setup_xen_backend_ops();
    }
#endif
    xsh = qemu_xen_xs_open();
    if (!xsh) {
        if (xen_mode == XEN_ATTACH) {
            warn_report("%s: no xenstore reachable: PV driver builds cannot "
                        "be blacklisted", object_get_typename(owner));
        }
        return NULL;
    }
    st = g_new0(XenUnplugStore, 1);
    st->xsh = xsh;
    st->owner = owner;
    st->throttle = -1;
    st->throttle_path = g_strdup_printf("/local/domain/%u/log-throttling",
                                        xen_domid);
    qemu_mutex_init(&st->lock);
    qemu_cond_init(&st->changed);
    xen_unplug_store_read(st, XEN_UNPLUG_READ_BLACKLIST |
                              XEN_UNPLUG_READ_THROTTLE);
    qemu_thread_create(&st->thread, "xen-platform-xs", xen_unplug_store_thread,
                       st, QEMU_THREAD_JOINABLE);
    st->blacklist_watch = qemu_xen_xs_watch(xsh, XEN_UNPLUG_BLACKLIST,
                                            xen_unplug_blacklist_changed, st);
    st->throttle_watch = qemu_xen_xs_watch(xsh, st->throttle_path,
                                           xen_unplug_throttle_changed, st);
    return st;
}

static bool xen_unplug_blacklisted(XenUnplugState *s)
{
    const char *name = xen_pv_product_name(s->product);
    gint64 key = (gint64)s->product << 32 | s->build;
    XenUnplugStore *st = s->store;
    bool found;

    if (!name) {
        trace_xen_platform_blacklist_unknown_product(s->product);
        return false;
    }
    if (!xen_pv_product_has_node(name)) {
        trace_xen_platform_blacklist_no_path(s->product, name);
        return false;
    }
    if (!st) {
        return false;
    }
    qemu_mutex_lock(&st->lock);
    found = st->blacklist && g_hash_table_contains(st->blacklist, &key);
    qemu_mutex_unlock(&st->lock);
    return found;
}

static bool xen_unplug_throttling(XenUnplugState *s)
{
    XenUnplugStore *st = s->store;
    int on = -1;

    if (st) {
        qemu_mutex_lock(&st->lock);
        on = st->throttle;
        qemu_mutex_unlock(&st->lock);
    }
    return on < 0 ? s->log_throttle : on;
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
    }
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
 * Guest errors: each kind is logged (-d guest_errors) the first time it
 * happens after a reset, with a note that later ones are not, so that a
 * guest cannot make the host log more than one line of each kind per
 * boot.
 */
enum {
    XEN_UNPLUG_ERR_ACCESS,          /* undefined access to the ports */
    XEN_UNPLUG_ERR_BUILD_EARLY,     /* build number before any product */
    XEN_UNPLUG_ERR_UNKNOWN_BITS,    /* unplug bits the protocol lacks */
    XEN_UNPLUG_ERR_REFUSED,         /* unplug by a blacklisted driver */
};

static void G_GNUC_PRINTF(3, 4)
xen_unplug_guest_error(XenUnplugState *s, unsigned kind, const char *fmt, ...)
{
    g_autofree char *msg = NULL;
    va_list ap;

    if (s->guest_errors & (1u << kind)) {
        return;
    }
    s->guest_errors |= 1u << kind;
    va_start(ap, fmt);
    msg = g_strdup_vprintf(fmt, ap);
    va_end(ap);
    qemu_log_mask(LOG_GUEST_ERROR, "%s: %s (logged once until reset)\n",
                  object_get_typename(s->owner), msg);
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

/* The controller is reset after its disks went */
static void xen_unplug_ide_controller(XenUnplugState *s, PCIDevice *d,
                                      bool spare_primary_master)
{
    XenUnplugIDE ide = { .spare_primary_master = spare_primary_master };

    qdev_walk_children(DEVICE(d), NULL, NULL, xen_unplug_ide_child, NULL,
                       &ide);
    if (ide.removed) {
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
        xen_unplug_guest_error(s, XEN_UNPLUG_ERR_BUILD_EARLY, "build number "
                               "%u written before any product number, "
                               "ignored", build);
        return;
    }
    s->build = build;
    s->build_set = true;
    if (xen_unplug_blacklisted(s)) {
        s->blacklisted = true;
    }
    trace_xen_platform_build(s->product, build, s->blacklisted);
    qapi_event_send_xen_platform_pv_driver_info(s->product, build);
}

void xen_unplug_request(XenUnplugState *s, uint32_t mask)
{
    if (mask & ~XEN_UNPLUG_ALL) {
        xen_unplug_guest_error(s, XEN_UNPLUG_ERR_UNKNOWN_BITS, "unknown "
                               "unplug bits 0x%x ignored",
                               mask & ~XEN_UNPLUG_ALL);
    }
    if (s->blacklisted) {
        xen_unplug_guest_error(s, XEN_UNPLUG_ERR_REFUSED, "unplug 0x%x "
                               "refused: driver product %u build %u is "
                               "blacklisted", mask, s->product, s->build);
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
    xen_unplug_guest_error(s, XEN_UNPLUG_ERR_ACCESS, "undefined %u-byte %s "
                           "of port 0x%x", size, dir,
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

    s->store = xen_unplug_store_open(owner);
    return true;
}

void xen_unplug_unrealize(XenUnplugState *s)
{
    g_clear_pointer(&s->store, xen_unplug_store_close);
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
    s->unplugged = 0;
    s->guest_errors = 0;
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
 * only sent once a driver has used the protocol, and only when the
 * toolstack asks for them (migrate-driver-state): every versioned machine
 * type of this QEMU exists in QEMU 10.2, which has no such subsections.
 * The destination removes no device: management starts it with the
 * source's devices as they are now (those the guest unplugged are gone,
 * DEVICE_DELETED told so), and drivers redo their unplug after a resume.
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

    info->has_product_num = s->product_set;
    info->product_num = s->product;
    info->has_build_num = s->build_set;
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
