/*
 * QTest testcases for the Xen platform device (xen-platform, xen-platform-2)
 *
 * Copyright (c) 2026 Xen platform series <xen-platform@localhost>
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 *
 * The tests speak to the device as a PV driver does (config space, the
 * fixed I/O ports 0x10-0x1f) and as a toolstack does (QMP, xenstore), as
 * specified in docs/specs/xen-platform.rst. Xenstore is a wire-protocol
 * peer in this process (xenstore-peer.c) that QEMU's libxenstore reaches
 * through $XENSTORED_PATH.
 */

#include "qemu/osdep.h"
#include "qemu/bswap.h"
#include "qemu/timer.h"
#include "libqtest.h"
#include "qobject/qdict.h"
#include "qobject/qlist.h"
#include "qobject/qstring.h"
#include "libqos/pci.h"
#include "libqos/pci-pc.h"
#include "hw/pci/pci_regs.h"
#include "xenstore-peer.h"

#define PORT_MAGIC      0x10
#define PORT_VERSION    0x12
#define MAGIC           0x49d2
#define MAGIC_BLACKLISTED 0xd249
#define PLATFORM_SLOT   3
/* Without Xen the device realizes only when asked to */
#define NO_XEN          "-global xen-platform.x-allow-no-xen=on"
/* The PV driver state goes into the stream only when asked for */
#define OPT_IN          "-global xen-platform.migrate-driver-state=on"
#define LOG_BURST       8192    /* the tests' log-burst, the smallest */
/* What a 99-byte log line costs: "xen-platform: " prefix, text, newline */
#define LINE_COST       (14 + 99 + 1)

#define UNPLUG_IDE_SCSI_DISKS 1
#define UNPLUG_ALL_NICS       2
#define UNPLUG_AUX_IDE_DISKS  4
#define UNPLUG_NVME_DISKS     8

/*
 * Helpers
 */
typedef struct Machine {
    QTestState *qts;
    QPCIBus *bus;
    QPCIDevice *dev;
    char *logfile;      /* -d guest_errors */
    char *drvfile;      /* the driver's log lines (chardev) */
} Machine;

static Machine *machine_start(const char *device, const char *extra)
{
    Machine *m = g_new0(Machine, 1);
    int fd;

    fd = g_file_open_tmp("xen-platform-log-XXXXXX", &m->logfile, NULL);
    g_assert(fd >= 0);
    close(fd);
    fd = g_file_open_tmp("xen-platform-drv-XXXXXX", &m->drvfile, NULL);
    g_assert(fd >= 0);
    close(fd);
    /* unless the test names a chardev of its own */
    m->qts = qtest_initf("-machine pc -nodefaults " NO_XEN " -d guest_errors "
                         "-D %s -chardev file,id=xpdrv,path=%s %s "
                         "-device %s,addr=%d %s", m->logfile, m->drvfile,
                         extra && strstr(extra, "xen-platform.chardev=") ? "" :
                         "-global xen-platform.chardev=xpdrv",
                         device, PLATFORM_SLOT, extra ? extra : "");
    m->bus = qpci_new_pc(m->qts, NULL);
    m->dev = qpci_device_find(m->bus, QPCI_DEVFN(PLATFORM_SLOT, 0));
    g_assert(m->dev);
    return m;
}

static void machine_stop(Machine *m)
{
    g_free(m->dev);
    qpci_free_pc(m->bus);
    qtest_quit(m->qts);
    unlink(m->logfile);
    g_free(m->logfile);
    unlink(m->drvfile);
    g_free(m->drvfile);
    g_free(m);
}

/* What QEMU's guest-error log and the driver's log hold so far */
static char *machine_log(Machine *m)
{
    g_autofree char *errors = NULL;
    g_autofree char *driver = NULL;

    /* A round trip: QEMU has written what earlier commands logged */
    qtest_qmp_assert_success(m->qts, "{'execute': 'query-status'}");
    g_assert(g_file_get_contents(m->logfile, &errors, NULL, NULL));
    g_assert(g_file_get_contents(m->drvfile, &driver, NULL, NULL));
    return g_strconcat(errors, driver, NULL);
}

/* What QEMU's guest-error log alone holds so far */
static char *machine_errors(Machine *m)
{
    char *text = NULL;

    qtest_qmp_assert_success(m->qts, "{'execute': 'query-status'}");
    g_assert(g_file_get_contents(m->logfile, &text, NULL, NULL));
    return text;
}

static unsigned count_substr(const char *hay, const char *needle)
{
    unsigned n = 0;
    const char *p = hay;

    while ((p = strstr(p, needle))) {
        n++;
        p += strlen(needle);
    }
    return n;
}

static QDict *driver_info(QTestState *qts)
{
    QDict *rsp = qtest_qmp(qts, "{'execute': "
                           "'query-xen-platform-pv-driver-info'}");
    QDict *ret;

    g_assert(qdict_haskey(rsp, "return"));
    ret = qdict_get_qdict(rsp, "return");
    qobject_ref(ret);
    qobject_unref(rsp);
    return ret;
}

/* query-xen-platform-pv-driver-info's "unplugged", as a mask */
static unsigned unplugged_mask(QDict *info)
{
    static const char *const bits[] = {
        "ide-scsi-disks", "nics", "aux-ide-disks", "nvme-disks",
    };
    unsigned mask = 0, last = 0;
    QListEntry *e;

    QLIST_FOREACH_ENTRY(qdict_get_qlist(info, "unplugged"), e) {
        const char *name = qstring_get_str(qobject_to(QString,
                                                      qlist_entry_obj(e)));
        unsigned bit;

        for (bit = 0; bit < ARRAY_SIZE(bits) && strcmp(name, bits[bit]);
             bit++) {
            /* look it up */
        }
        g_assert_cmpuint(bit, <, ARRAY_SIZE(bits));
        g_assert_cmpuint(1u << bit, >=, last);   /* in bit order, once */
        g_assert_false(mask & (1u << bit));
        mask |= last = 1u << bit;
    }
    return mask;
}

static void assert_running(QTestState *qts)
{
    QDict *rsp = qtest_qmp(qts, "{'execute': 'query-status'}");

    g_assert_cmpstr(qdict_get_str(qdict_get_qdict(rsp, "return"), "status"),
                    ==, "running");
    qobject_unref(rsp);
}

/* Product, build, magic re-read: the verdict */
static uint16_t preamble(QTestState *qts, uint16_t product, uint32_t build)
{
    qtest_outw(qts, PORT_VERSION, product);
    qtest_outl(qts, PORT_MAGIC, build);
    return qtest_inw(qts, PORT_MAGIC);
}

/* The driver sequence (Xen docs/misc/hvm-emulated-unplug) to the verdict */
static uint16_t handshake(QTestState *qts, uint16_t product, uint32_t build)
{
    g_assert_cmphex(qtest_inw(qts, PORT_MAGIC), ==, MAGIC);
    g_assert_cmpuint(qtest_inb(qts, PORT_VERSION), ==, 1);
    return preamble(qts, product, build);
}

static void log_line(QTestState *qts, const char *line)
{
    for (; *line; line++) {
        qtest_outb(qts, PORT_VERSION, *line);
    }
    qtest_outb(qts, PORT_VERSION, '\n');
}

/* Run QEMU expecting it to refuse to start; return its stderr */
static char *start_fails(const char *args)
{
    g_autofree char *cmd = g_strdup_printf("%s -machine pc -nodefaults "
                                           NO_XEN " -accel qtest "
                                           "-display none %s",
                                           g_getenv("QTEST_QEMU_BINARY"),
                                           args);
    g_auto(GStrv) argv = NULL;
    char *err = NULL;
    int status;

    g_assert(g_shell_parse_argv(cmd, NULL, &argv, NULL));
    g_assert(g_spawn_sync(NULL, argv, NULL, G_SPAWN_DEFAULT, NULL, NULL,
                          NULL, &err, &status, NULL));
    g_assert_true(WIFEXITED(status));
    g_assert_cmpint(WEXITSTATUS(status), !=, 0);
    return err;
}

/*
 * PCI identity and config space
 */
typedef struct Identity {
    const char *name;
    const char *device;
    const char *extra;          /* properties */
    uint16_t device_id;
    uint8_t revision;
    uint16_t class_id;
    uint16_t subvendor;
    uint16_t subsystem;
    bool cap;
} Identity;

static void check_identity(Machine *m, const Identity *id)
{
    QPCIDevice *d = m->dev;
    bool cap = id->cap;
    int i;

    g_assert_cmphex(qpci_config_readw(d, PCI_VENDOR_ID), ==, 0x5853);
    g_assert_cmphex(qpci_config_readw(d, PCI_DEVICE_ID), ==, id->device_id);
    g_assert_cmphex(qpci_config_readb(d, PCI_REVISION_ID), ==, id->revision);
    g_assert_cmphex(qpci_config_readb(d, PCI_CLASS_PROG), ==, 0);
    g_assert_cmphex(qpci_config_readw(d, PCI_CLASS_DEVICE), ==, id->class_id);
    g_assert_cmphex(qpci_config_readb(d, PCI_HEADER_TYPE), ==, 0);
    g_assert_cmphex(qpci_config_readw(d, PCI_SUBSYSTEM_VENDOR_ID), ==,
                    id->subvendor);
    g_assert_cmphex(qpci_config_readw(d, PCI_SUBSYSTEM_ID), ==,
                    id->subsystem);
    g_assert_cmphex(qpci_config_readb(d, PCI_INTERRUPT_PIN), ==, 1);
    g_assert_cmphex(qpci_config_readw(d, PCI_STATUS) & PCI_STATUS_CAP_LIST,
                    ==, cap ? PCI_STATUS_CAP_LIST : 0);
    g_assert_cmphex(qpci_config_readb(d, PCI_CAPABILITY_LIST), ==,
                    cap ? 0x40 : 0);

    /* BAR0: 256 bytes of I/O; BAR1: 16 MiB prefetchable memory */
    g_assert_cmphex(qpci_config_readl(d, PCI_BASE_ADDRESS_0), ==, 0x1);
    g_assert_cmphex(qpci_config_readl(d, PCI_BASE_ADDRESS_1), ==, 0x8);
    qpci_config_writel(d, PCI_BASE_ADDRESS_0, 0xffffffff);
    qpci_config_writel(d, PCI_BASE_ADDRESS_1, 0xffffffff);
    g_assert_cmphex(qpci_config_readl(d, PCI_BASE_ADDRESS_0), ==, 0xffffff01);
    g_assert_cmphex(qpci_config_readl(d, PCI_BASE_ADDRESS_1), ==, 0xff000008);
    for (i = PCI_BASE_ADDRESS_2; i <= PCI_BASE_ADDRESS_5; i += 4) {
        g_assert_cmphex(qpci_config_readl(d, i), ==, 0);
    }
    g_assert_cmphex(qpci_config_readl(d, PCI_ROM_ADDRESS), ==, 0);

    /* Nothing else in the device-specific area but the capability */
    for (i = cap ? 0x48 : 0x40; i < 0x100; i += 4) {
        g_assert_cmphex(qpci_config_readl(d, i), ==, 0);
    }
}

static const Identity identities[] = {
    { "v1", "xen-platform", NULL, 0x0001, 1, 0xff80, 0x5853, 0x0001, false },
    { "v2", "xen-platform-2", NULL, 0x0002, 2, 0xff80, 0x5853, 0x0002, true },
    { "properties", "xen-platform", "-global xen-platform.device-id=0xc000 "
      "-global xen-platform.revision=7 -global xen-platform.class-id=0x0880 "
      "-global xen-platform.subvendor_id=0x1af4 "
      "-global xen-platform.subsystem_id=0x1100",
      0xc000, 7, 0x0880, 0x1af4, 0x1100, false },
    { "v2-properties", "xen-platform-2", "-global xen-platform-2.revision=3",
      0x0002, 3, 0xff80, 0x5853, 0x0002, true },
};

static void test_identity(const void *opaque)
{
    const Identity *id = opaque;
    Machine *m = machine_start(id->device, id->extra);

    check_identity(m, id);
    machine_stop(m);
}

/* Introspection shows each type's own identity defaults */
static void test_identity_defaults(void)
{
    static const struct {
        const char *type;
        int64_t id;
    } types[] = { { "xen-platform", 1 }, { "xen-platform-2", 2 } };
    QTestState *qts = qtest_init("-machine none");
    int i;

    for (i = 0; i < ARRAY_SIZE(types); i++) {
        QDict *rsp = qtest_qmp(qts, "{'execute': 'device-list-properties', "
                               "'arguments': {'typename': %s}}",
                               types[i].type);
        QListEntry *e;
        unsigned seen = 0;

        QLIST_FOREACH_ENTRY(qdict_get_qlist(rsp, "return"), e) {
            QDict *prop = qobject_to(QDict, qlist_entry_obj(e));
            const char *name = qdict_get_str(prop, "name");

            if (!strcmp(name, "device-id") || !strcmp(name, "revision") ||
                !strcmp(name, "subsystem_id")) {
                g_assert_cmpint(qdict_get_int(prop, "default-value"), ==,
                                types[i].id);
                seen++;
            }
        }
        g_assert_cmpuint(seen, ==, 3);
        qobject_unref(rsp);
    }
    qtest_quit(qts);
}

static void test_identity_refused(void)
{
    static const struct {
        const char *prop;
        const char *range;
    } bad[] = {
        { "device-id=0xffff", "device-id 0xffff is no device ID" },
        { "revision=256", "'revision' expects uint8_t" },
        { "class-id=0x10000", "'class-id' expects uint16_t" },
        { "subvendor_id=0xffff", "subvendor_id 0xffff is no vendor ID" },
        { "subsystem_id=0x10000", "'subsystem_id' expects uint16_t" },
        { "log-burst=100", "log-burst must be between" },
        { "log-rate=0", "log-rate must be between" },
    };
    int i;

    for (i = 0; i < ARRAY_SIZE(bad); i++) {
        g_autofree char *args = g_strdup_printf("-device xen-platform,%s",
                                                bad[i].prop);
        g_autofree char *err = start_fails(args);

        g_assert_nonnull(strstr(err, bad[i].range));
    }
}

static void test_capability(void)
{
    Machine *m = machine_start("xen-platform-2", NULL);
    QPCIDevice *d = m->dev;
    uint8_t off = qpci_config_readb(d, PCI_CAPABILITY_LIST);
    uint8_t before[8];
    int i;

    /* Walk the list as a driver does */
    g_assert(qpci_config_readw(d, PCI_STATUS) & PCI_STATUS_CAP_LIST);
    g_assert_cmphex(off, >=, 0x40);
    g_assert_cmphex(qpci_config_readb(d, off), ==, PCI_CAP_ID_VNDR);
    g_assert_cmphex(qpci_config_readb(d, off + 1), ==, 0);   /* last */
    g_assert_cmphex(qpci_config_readb(d, off + 2), ==, 8);   /* length */
    g_assert_cmphex(qpci_config_readb(d, off + 3), ==, 1);   /* layout */
    g_assert_cmphex(qpci_config_readw(d, off + 4), ==, PORT_MAGIC);
    g_assert_cmphex(qpci_config_readb(d, off + 6), ==, 1);   /* protocol */
    g_assert_cmphex(qpci_config_readb(d, off + 7), ==, 0x0f); /* unplug */

    /* Read-only */
    for (i = 0; i < 8; i++) {
        before[i] = qpci_config_readb(d, off + i);
        qpci_config_writeb(d, off + i, ~before[i]);
    }
    for (i = 0; i < 8; i++) {
        g_assert_cmphex(qpci_config_readb(d, off + i), ==, before[i]);
    }
    machine_stop(m);
}

/* Without Xen, and without x-allow-no-xen, the device does not realize */
static void test_needs_xen(void)
{
    g_autofree char *cmd = g_strdup_printf("%s -machine pc -nodefaults "
                                           "-accel qtest -display none "
                                           "-device xen-platform",
                                           g_getenv("QTEST_QEMU_BINARY"));
    g_auto(GStrv) argv = NULL;
    g_autofree char *err = NULL;
    int status;

    g_assert(g_shell_parse_argv(cmd, NULL, &argv, NULL));
    g_assert(g_spawn_sync(NULL, argv, NULL, G_SPAWN_DEFAULT, NULL, NULL,
                          NULL, &err, &status, NULL));
    g_assert_true(WIFEXITED(status));
    g_assert_cmpint(WEXITSTATUS(status), !=, 0);
    g_assert_nonnull(strstr(err, "-device xen-platform: requires a Xen "
                            "guest"));
}

static void test_single_owner(void)
{
    static const char *pairs[] = {
        "-device xen-platform -device xen-platform-2",
        "-device xen-platform-2 -device xen-platform",
        "-device xen-platform -device xen-platform",
        "-device xen-platform-2 -device xen-platform-2",
    };
    int i;

    for (i = 0; i < ARRAY_SIZE(pairs); i++) {
        g_autofree char *err = start_fails(pairs[i]);

        g_assert_nonnull(strstr(err, "I/O ports 0x10-0x1f already belong"));
    }
}

/*
 * The pc machines leave the platform device they create under KVM's Xen
 * emulation out with xen-platform=off, so that -device can create another
 */
static void test_machine_property(void)
{
    static const char *const machines[] = { "pc", "q35" };
    int i;

    for (i = 0; i < ARRAY_SIZE(machines); i++) {
        QTestState *qts;
        QDict *rsp;

        if (!qtest_has_machine(machines[i])) {
            continue;
        }
        qts = qtest_initf("-machine %s -nodefaults", machines[i]);
        rsp = qtest_qmp(qts, "{'execute': 'qom-get', 'arguments': "
                        "{'path': '/machine', 'property': 'xen-platform'}}");
        g_assert_true(qdict_get_bool(rsp, "return"));
        qobject_unref(rsp);
        qtest_quit(qts);

        qts = qtest_initf("-machine %s,xen-platform=off -nodefaults " NO_XEN
                          " -device xen-platform-2", machines[i]);
        rsp = qtest_qmp(qts, "{'execute': 'qom-get', 'arguments': "
                        "{'path': '/machine', 'property': 'xen-platform'}}");
        g_assert_false(qdict_get_bool(rsp, "return"));
        qobject_unref(rsp);
        assert_running(qts);
        qtest_quit(qts);
    }
}

static void test_hotplug_refused(void)
{
    QTestState *qts = qtest_init("-machine pc -nodefaults " NO_XEN " "
                                 "-device xen-platform,id=xp,addr=3");
    QDict *rsp;

    rsp = qtest_qmp(qts, "{'execute': 'device_add', 'arguments': "
                    "{'driver': 'xen-platform-2', 'id': 'xp2'}}");
    g_assert(qdict_haskey(rsp, "error"));
    g_assert_nonnull(strstr(qdict_get_str(qdict_get_qdict(rsp, "error"),
                                          "desc"), "hotplug"));
    qobject_unref(rsp);
    rsp = qtest_qmp(qts, "{'execute': 'device_del', 'arguments': "
                    "{'id': 'xp'}}");
    g_assert(qdict_haskey(rsp, "error"));
    g_assert_nonnull(strstr(qdict_get_str(qdict_get_qdict(rsp, "error"),
                                          "desc"), "hotplug"));
    qobject_unref(rsp);
    assert_running(qts);
    qtest_quit(qts);
}

/*
 * Unplug of emulated devices
 */
#define UNPLUG_MACHINE \
    "-drive if=none,id=hd0,driver=null-co " \
    "-drive if=none,id=hd1,driver=null-co " \
    "-drive if=none,id=cd0,driver=null-co,media=cdrom " \
    "-drive if=none,id=sd0,driver=null-co " \
    "-drive if=none,id=nv0,driver=null-co " \
    "-device ide-hd,drive=hd0,bus=ide.0,unit=0 " \
    "-device ide-hd,drive=hd1,bus=ide.1,unit=0 " \
    "-device ide-cd,drive=cd0,bus=ide.1,unit=1 " \
    "-device virtio-scsi-pci,id=scsi,addr=4 " \
    "-device scsi-hd,drive=sd0,bus=scsi.0 " \
    "-device nvme,drive=nv0,serial=xp0,addr=5 " \
    "-netdev user,id=net0 -netdev user,id=net1 " \
    "-device e1000,netdev=net0,addr=6 " \
    "-device rtl8139,netdev=net1,addr=7"

/* Set of drive ids in query-block, as "hd0 hd1 ..." */
static char *drives(QTestState *qts)
{
    QDict *rsp = qtest_qmp(qts, "{'execute': 'query-block'}");
    GString *s = g_string_new("");
    QListEntry *e;

    QLIST_FOREACH_ENTRY(qdict_get_qlist(rsp, "return"), e) {
        QDict *b = qobject_to(QDict, qlist_entry_obj(e));

        g_string_append_printf(s, "%s%s", s->len ? " " : "",
                               qdict_get_str(b, "device"));
    }
    qobject_unref(rsp);
    return g_string_free(s, false);
}

/*
 * Drives of removed PCI devices go when the device is finalized, which
 * QEMU defers to an RCU grace period, just before it sends DEVICE_DELETED:
 * wait for those events until the drives are @want
 */
static char *drives_settled(QTestState *qts, const char *want)
{
    char *have = drives(qts);

    while (strcmp(have, want)) {
        g_free(have);
        qtest_qmp_eventwait(qts, "DEVICE_DELETED");
        have = drives(qts);
    }
    return have;
}

/* Slots of the devices on bus 0, as "1.1:0101 3.0:ff80 ..." */
static char *pci_devices(QTestState *qts)
{
    QDict *rsp = qtest_qmp(qts, "{'execute': 'query-pci'}");
    QList *buses = qdict_get_qlist(rsp, "return");
    QDict *bus0 = qobject_to(QDict, qlist_peek(buses));
    GString *s = g_string_new("");
    QListEntry *e;

    QLIST_FOREACH_ENTRY(qdict_get_qlist(bus0, "devices"), e) {
        QDict *d = qobject_to(QDict, qlist_entry_obj(e));
        QDict *cls = qdict_get_qdict(d, "class_info");

        g_string_append_printf(s, "%s%d.%d:%04x", s->len ? " " : "",
                               (int)qdict_get_int(d, "slot"),
                               (int)qdict_get_int(d, "function"),
                               (unsigned)qdict_get_int(cls, "class"));
    }
    qobject_unref(rsp);
    return g_string_free(s, false);
}

static char *networks(QTestState *qts)
{
    return qtest_hmp(qts, "info network");
}

typedef struct UnplugCase {
    uint16_t mask;
    const char *drives;     /* what stays */
    const char *pci;        /* what stays */
    bool nics_gone;
} UnplugCase;

static const char *all_pci =
    "0.0:0600 1.0:0601 1.1:0101 1.3:0680 3.0:ff80 4.0:0100 5.0:0108 "
    "6.0:0200 7.0:0200";

static const UnplugCase unplug_cases[] = {
    { 0, "hd0 hd1 cd0 sd0 nv0",
      "0.0:0600 1.0:0601 1.1:0101 1.3:0680 3.0:ff80 4.0:0100 5.0:0108 "
      "6.0:0200 7.0:0200", false },
    { UNPLUG_IDE_SCSI_DISKS, "cd0 nv0",
      "0.0:0600 1.0:0601 1.1:0101 1.3:0680 3.0:ff80 5.0:0108 "
      "6.0:0200 7.0:0200", false },
    { UNPLUG_ALL_NICS, "hd0 hd1 cd0 sd0 nv0",
      "0.0:0600 1.0:0601 1.1:0101 1.3:0680 3.0:ff80 4.0:0100 5.0:0108",
      true },
    { UNPLUG_AUX_IDE_DISKS, "hd0 cd0 sd0 nv0",
      "0.0:0600 1.0:0601 1.1:0101 1.3:0680 3.0:ff80 4.0:0100 5.0:0108 "
      "6.0:0200 7.0:0200", false },
    { UNPLUG_AUX_IDE_DISKS | UNPLUG_IDE_SCSI_DISKS, "cd0 nv0",
      "0.0:0600 1.0:0601 1.1:0101 1.3:0680 3.0:ff80 5.0:0108 "
      "6.0:0200 7.0:0200", false },
    { UNPLUG_NVME_DISKS, "hd0 hd1 cd0 sd0",
      "0.0:0600 1.0:0601 1.1:0101 1.3:0680 3.0:ff80 4.0:0100 "
      "6.0:0200 7.0:0200", false },
    { 0xf, "cd0",
      "0.0:0600 1.0:0601 1.1:0101 1.3:0680 3.0:ff80", true },
};

static void test_unplug(const void *opaque)
{
    const UnplugCase *c = opaque;
    Machine *m = machine_start("xen-platform", UNPLUG_MACHINE);
    g_autofree char *before = pci_devices(m->qts);
    g_autofree char *drv = NULL;
    g_autofree char *pci = NULL;
    g_autofree char *net = NULL;
    QDict *info;
    int round;

    g_assert_cmpstr(before, ==, all_pci);
    for (round = 0; round < 2; round++) {   /* a second write is harmless */
        qtest_outw(m->qts, PORT_MAGIC, c->mask);
        g_free(drv);
        g_free(pci);
        g_free(net);
        drv = drives_settled(m->qts, c->drives);
        pci = pci_devices(m->qts);
        net = networks(m->qts);
        g_assert_cmpstr(drv, ==, c->drives);
        g_assert_cmpstr(pci, ==, c->pci);
        g_assert_cmpint(!strstr(net, "net0"), ==, c->nics_gone);
        g_assert_cmpint(!strstr(net, "net1"), ==, c->nics_gone);
        assert_running(m->qts);
    }
    info = driver_info(m->qts);
    g_assert_cmpint(unplugged_mask(info), ==, c->mask);
    qobject_unref(info);
    machine_stop(m);
}

/*
 * Every PCI NIC model of the build, as -device help lists them: the NIC
 * goes with its backend, whatever the model hands qemu_new_nic() as its
 * opaque. Models that take no netdev (rocker) or are no Ethernet
 * controller are not NICs the protocol removes.
 */
static GPtrArray *pci_nic_models(QTestState *qts)
{
    g_autofree char *help = qtest_hmp(qts, "device_add help");
    GPtrArray *models = g_ptr_array_new_with_free_func(g_free);
    char *p = strstr(help, "Network devices:\r\n");
    g_auto(GStrv) lines = NULL;
    int i;

    g_assert_nonnull(p);
    lines = g_strsplit(p, "\r\n", -1);
    for (i = 1; lines[i] && *lines[i]; i++) {
        const char *name = lines[i] + strlen("name \"");
        const char *end = strchr(name, '"');

        if (g_str_has_prefix(lines[i], "name \"") && end &&
            g_str_has_prefix(end, "\", bus PCI")) {
            g_ptr_array_add(models, g_strndup(name, end - name));
        }
    }
    return models;
}

static void test_unplug_every_nic_model(void)
{
    Machine *m = machine_start("xen-platform", NULL);
    g_autoptr(GPtrArray) models = pci_nic_models(m->qts);
    g_autoptr(GString) kept = g_string_new("");
    unsigned i, tested = 0;

    for (i = 0; i < models->len; i++) {
        const char *model = models->pdata[i];
        g_autofree char *id = g_strdup_printf("xpnet%u", i);
        g_autofree char *listed = g_strdup_printf("%s:", id);
        g_autofree char *pci = NULL;
        g_autofree char *net = NULL;
        QDict *rsp;

        qtest_qmp_assert_success(m->qts, "{'execute': 'netdev_add', "
                                 "'arguments': {'type': 'user', "
                                 "'id': %s}}", id);
        rsp = qtest_qmp(m->qts, "{'execute': 'device_add', 'arguments': "
                        "{'driver': %s, 'netdev': %s, 'id': 'nic'}}",
                        model, id);
        if (qdict_haskey(rsp, "error")) {
            g_test_message("%s: no NIC with a netdev: %s", model,
                           qdict_get_str(qdict_get_qdict(rsp, "error"),
                                         "desc"));
            qobject_unref(rsp);
            qtest_qmp_assert_success(m->qts, "{'execute': 'netdev_del', "
                                     "'arguments': {'id': %s}}", id);
            continue;
        }
        qobject_unref(rsp);
        pci = pci_devices(m->qts);
        g_assert_nonnull(strstr(pci, ":0200"));
        qtest_outw(m->qts, PORT_MAGIC, UNPLUG_ALL_NICS);
        qtest_qmp_eventwait(m->qts, "DEVICE_DELETED");
        assert_running(m->qts);
        g_free(pci);
        pci = pci_devices(m->qts);
        g_assert_null(strstr(pci, ":0200"));
        net = networks(m->qts);
        if (strstr(net, listed)) {
            g_string_append_printf(kept, " %s", model);
            qtest_qmp_assert_success(m->qts, "{'execute': 'netdev_del', "
                                     "'arguments': {'id': %s}}", id);
        }
        tested++;
    }
    g_test_message("%u PCI NIC models unplugged", tested);
    g_assert_cmpuint(tested, >, 0);
    /* the models whose backend outlived their NIC */
    g_assert_cmpstr(kept->str, ==, "");
    machine_stop(m);
}

/* Old SUSE kernels and Novell VMDP unplug through BAR0 */
static void test_unplug_legacy_bar0(void)
{
    Machine *m = machine_start("xen-platform", UNPLUG_MACHINE);
    QPCIBar bar;
    g_autofree char *drv = NULL;
    g_autofree char *net = NULL;

    qpci_device_enable(m->dev);
    bar = qpci_iomap(m->dev, 0, NULL);
    qpci_io_writeb(m->dev, bar, 8, 2);          /* VMDP: NICs */
    net = networks(m->qts);
    g_assert_null(strstr(net, "net0"));
    drv = drives(m->qts);
    g_assert_cmpstr(drv, ==, "hd0 hd1 cd0 sd0 nv0");
    g_free(drv);
    qpci_io_writel(m->dev, bar, 4, 1);          /* SUSE: disks and NICs */
    drv = drives_settled(m->qts, "cd0 nv0");
    g_assert_cmpstr(drv, ==, "cd0 nv0");
    qpci_iounmap(m->dev, bar);
    machine_stop(m);
}

/*
 * Ports: undefined accesses
 */
static void test_ports_undefined(void)
{
    Machine *m = machine_start("xen-platform", NULL);
    QTestState *qts = m->qts;
    g_autofree char *log = NULL;
    uint16_t port;

    g_assert_cmphex(qtest_inl(qts, PORT_MAGIC), ==, 0xffffffff);
    g_assert_cmphex(qtest_inw(qts, PORT_VERSION), ==, 0xffff);
    g_assert_cmphex(qtest_inl(qts, PORT_VERSION), ==, 0xffffffff);
    for (port = 0x11; port < 0x20; port++) {
        if (port == PORT_VERSION) {
            continue;
        }
        g_assert_cmphex(qtest_inb(qts, port), ==, 0xff);
        qtest_outb(qts, port, 0x5a);
        if (port <= 0x1c) {     /* wider accesses within the ports */
            g_assert_cmphex(qtest_inw(qts, port), ==, 0xffff);
            g_assert_cmphex(qtest_inl(qts, port), ==, 0xffffffff);
            qtest_outw(qts, port, 0x5a5a);
            qtest_outl(qts, port, 0x5a5a5a5a);
        }
    }
    qtest_outl(qts, PORT_VERSION, 0x12345678);
    /* Nothing changed */
    g_assert_cmphex(qtest_inw(qts, PORT_MAGIC), ==, MAGIC);
    g_assert_cmphex(qtest_inb(qts, PORT_MAGIC), ==, 0);
    g_assert_cmphex(qtest_inb(qts, PORT_VERSION), ==, 1);
    /* the first is logged, with a word that later ones are not */
    log = machine_errors(m);
    g_assert_cmpuint(count_substr(log, "undefined"), ==, 1);
    g_assert_nonnull(strstr(log, "undefined 4-byte read of port 0x10 "
                            "(logged once until reset)"));
    g_free(log);
    qtest_system_reset(qts);
    qtest_outl(qts, PORT_VERSION, 0x12345678);
    log = machine_errors(m);
    g_assert_cmpuint(count_substr(log, "undefined"), ==, 2);
    g_assert_nonnull(strstr(log, "undefined 4-byte write of port 0x12"));
    assert_running(qts);
    machine_stop(m);
}

/*
 * What a guest can make the host log is bounded: protocol errors of each
 * kind once per reset, driver lines never in the guest-error log
 */
static void test_guest_errors_bounded(void)
{
    Machine *m = machine_start("xen-platform", NULL);
    g_autofree char *log = NULL;
    int i;

    for (i = 0; i < 3000; i++) {
        qtest_outb(m->qts, 0x11, i);            /* undefined */
        qtest_outl(m->qts, PORT_MAGIC, i);      /* build before product */
        qtest_outw(m->qts, PORT_MAGIC, 0x10);   /* unknown unplug bit */
    }
    log_line(m->qts, "a driver line");
    log = machine_errors(m);
    g_assert_cmpuint(count_substr(log, "\n"), ==, 3);
    g_assert_cmpuint(count_substr(log, "(logged once until reset)"), ==, 3);
    g_assert_null(strstr(log, "a driver line"));
    g_assert_cmpuint(strlen(log), <, 400);
    machine_stop(m);
}

static void test_flags(void)
{
    Machine *m = machine_start("xen-platform", NULL);

    g_assert_cmphex(qtest_inb(m->qts, PORT_MAGIC), ==, 0);
    qtest_outb(m->qts, PORT_MAGIC, 0xff);       /* only bit 0 sticks */
    g_assert_cmphex(qtest_inb(m->qts, PORT_MAGIC), ==, 1);
    qtest_system_reset(m->qts);
    g_assert_cmphex(qtest_inb(m->qts, PORT_MAGIC), ==, 0);
    machine_stop(m);
}

/* The drivers' sequence, and a build number before any product number */
static void test_handshake_sequence(void)
{
    Machine *m = machine_start("xen-platform", NULL);
    g_autofree char *log = NULL;

    qtest_outl(m->qts, PORT_MAGIC, 5);
    log = machine_log(m);
    g_assert_nonnull(strstr(log, "build number 5 written before any "
                            "product number, ignored"));
    g_assert_cmphex(handshake(m->qts, 3, 0), ==, MAGIC);
    g_assert_cmphex(handshake(m->qts, 1, 8219), ==, MAGIC);
    g_assert_cmphex(qtest_inw(m->qts, PORT_MAGIC), ==, MAGIC);
    assert_running(m->qts);
    machine_stop(m);
}

/*
 * The handshake and the blacklist, against the xenstore peer
 */
/* The requests of one reading of the blacklist, in the registry's order */
#define BLACKLIST_READ \
    "DIRECTORY /mh/driver-blacklist/xensource-windows\n" \
    "DIRECTORY /mh/driver-blacklist/gplpv-windows\n" \
    "DIRECTORY /mh/driver-blacklist/linux\n" \
    "DIRECTORY /mh/driver-blacklist/experimental\n"

/*
 * What QEMU asks xenstore when it starts: it reads the blacklist and the
 * log-throttling node when the device is realized, and once more when
 * each watch fires on being set. Wait for all of it and return it.
 */
static char *store_started(XsStore *st)
{
    GString *all = g_string_new("");
    int i;

    for (i = 0; i < 1000; i++) {
        g_autofree char *more = xs_peer_take_reads(st->peer);

        g_string_append(all, more);
        if (count_substr(all->str, "experimental\n") == 2 &&
            count_substr(all->str, "log-throttling\n") == 2) {
            return g_string_free(all, false);
        }
        g_usleep(10 * 1000);
    }
    g_assert_not_reached();
}

/*
 * The toolstack wrote below /mh/driver-blacklist: wait until QEMU's
 * reader has listed it again, then until a driver's preamble after a
 * reset gets @want (the reader keeps what it read a moment after its
 * last request); then reset again
 */
static void blacklist_settles(XsStore *st, Machine *m, uint16_t product,
                              uint32_t build, uint16_t want)
{
    int i;

    g_assert_true(xs_peer_wait_log(st->peer, "DIRECTORY /mh/driver-blacklist/"
                                   "experimental", 10000));
    for (i = 0; i < 500; i++) {
        qtest_system_reset(m->qts);
        if (preamble(m->qts, product, build) == want) {
            qtest_system_reset(m->qts);
            return;
        }
        g_usleep(10 * 1000);
    }
    g_assert_not_reached();
}

static void test_handshake_linux(void)
{
    XsStore *st = xs_store_start();
    Machine *m = machine_start("xen-platform", NULL);
    g_autofree char *reads = NULL;
    QDict *info;

    g_free(store_started(st));
    g_assert_cmphex(handshake(m->qts, 3, 0), ==, MAGIC);
    reads = xs_peer_take_reads(st->peer);
    g_assert_cmpstr(reads, ==, "");
    info = driver_info(m->qts);
    g_assert_cmpint(qdict_get_int(info, "product-num"), ==, 3);
    g_assert_cmpint(qdict_get_int(info, "build-num"), ==, 0);
    g_assert_cmpstr(qdict_get_str(info, "product-name"), ==, "linux");
    g_assert_false(qdict_get_bool(info, "refused"));
    qobject_unref(info);
    /* after a reset, no driver has said anything */
    qtest_system_reset(m->qts);
    info = driver_info(m->qts);
    g_assert_false(qdict_haskey(info, "product-num"));
    g_assert_false(qdict_haskey(info, "build-num"));
    qobject_unref(info);
    machine_stop(m);
    xs_store_stop(st);
}

static void test_blacklist(void)
{
    static const struct {
        uint16_t product;
        const char *name;
    } products[] = {
        { 1, "xensource-windows" },
        { 2, "gplpv-windows" },
        { 3, "linux" },
        { 0xffff, "experimental" },
    };
    XsStore *st = xs_store_start();
    Machine *m;
    g_autofree char *reads = NULL;
    int i;

    for (i = 0; i < ARRAY_SIZE(products); i++) {
        g_autofree char *node = g_strdup_printf("/mh/driver-blacklist/%s/"
                                                "4294967295",
                                                products[i].name);

        xs_peer_write(st->peer, node, "");
    }
    /* not builds: "07", "x", "-1" */
    xs_peer_write(st->peer, "/mh/driver-blacklist/linux/07", "");
    xs_peer_write(st->peer, "/mh/driver-blacklist/linux/x", "");
    xs_peer_write(st->peer, "/mh/driver-blacklist/linux/-1", "");
    m = machine_start("xen-platform-2", NULL);
    reads = store_started(st);
    g_assert_cmpuint(strlen(reads), ==, 2 * strlen(BLACKLIST_READ
                     "READ /local/domain/0/log-throttling\n"));
    g_assert_cmphex(handshake(m->qts, 3, 7), ==, MAGIC);
    qtest_system_reset(m->qts);
    for (i = 0; i < ARRAY_SIZE(products); i++) {
        QDict *info;

        g_assert_cmphex(handshake(m->qts, products[i].product, 0xffffffff),
                        ==, MAGIC_BLACKLISTED);
        /* it stays so */
        g_assert_cmphex(qtest_inw(m->qts, PORT_MAGIC), ==, MAGIC_BLACKLISTED);
        info = driver_info(m->qts);
        g_assert_true(qdict_get_bool(info, "refused"));
        g_assert_cmpstr(qdict_get_str(info, "product-name"), ==,
                        products[i].name);
        qobject_unref(info);
        /* after a reset, other builds of the same product are fine */
        qtest_system_reset(m->qts);
        g_assert_cmphex(preamble(m->qts, products[i].product, 7), ==, MAGIC);
        qtest_system_reset(m->qts);
    }
    /* the guest made QEMU ask nothing */
    g_free(reads);
    reads = xs_peer_take_reads(st->peer);
    g_assert_cmpstr(reads, ==, "");
    machine_stop(m);
    xs_store_stop(st);
}

/* Windows drivers replay the preamble after resume, magic first */
static void test_handshake_windows_replay(void)
{
    XsStore *st = xs_store_start();
    Machine *m = machine_start("xen-platform", NULL);
    g_autofree char *reads = NULL;
    QDict *info;

    g_free(store_started(st));
    g_assert_cmphex(handshake(m->qts, 1, 8219), ==, MAGIC);
    g_assert_cmphex(handshake(m->qts, 1, 8219), ==, MAGIC);
    /* the replay asks the store nothing */
    reads = xs_peer_take_reads(st->peer);
    g_assert_cmpstr(reads, ==, "");

    /*
     * The toolstack retires the build: a preamble once QEMU has read it
     * is refused
     */
    xs_peer_write(st->peer, "/mh/driver-blacklist/xensource-windows/8219",
                  "");
    blacklist_settles(st, m, 1, 8219, MAGIC_BLACKLISTED);
    g_assert_cmphex(handshake(m->qts, 1, 8219), ==, MAGIC_BLACKLISTED);
    /* A blacklisted driver may not unplug */
    qtest_outw(m->qts, PORT_MAGIC, UNPLUG_ALL_NICS);
    info = driver_info(m->qts);
    g_assert_cmpint(unplugged_mask(info), ==, 0);
    qobject_unref(info);
    /* Until reset, the magic says so, even to a new driver's first read */
    g_assert_cmphex(qtest_inw(m->qts, PORT_MAGIC), ==, MAGIC_BLACKLISTED);
    qtest_system_reset(m->qts);
    g_assert_cmphex(qtest_inw(m->qts, PORT_MAGIC), ==, MAGIC);
    machine_stop(m);
    xs_store_stop(st);
}

static void test_handshake_gplpv(void)
{
    XsStore *st = xs_store_start();
    Machine *m;
    g_autofree char *reads = NULL;

    xs_peer_write(st->peer, "/mh/driver-blacklist/gplpv-windows/300", "");
    m = machine_start("xen-platform", NULL);
    g_free(store_started(st));
    g_assert_cmphex(handshake(m->qts, 2, 301), ==, MAGIC);
    g_assert_cmphex(handshake(m->qts, 2, 300), ==, MAGIC_BLACKLISTED);
    /* A new product write does not undo the verdict; a reset does */
    qtest_outw(m->qts, PORT_VERSION, 2);
    g_assert_cmphex(qtest_inw(m->qts, PORT_MAGIC), ==, MAGIC_BLACKLISTED);
    qtest_system_reset(m->qts);
    g_assert_cmphex(qtest_inw(m->qts, PORT_MAGIC), ==, MAGIC);
    reads = xs_peer_take_reads(st->peer);
    g_assert_cmpstr(reads, ==, "");
    machine_stop(m);
    xs_store_stop(st);
}

static void test_handshake_unknown_product(void)
{
    XsStore *st = xs_store_start();
    Machine *m;
    g_autofree char *reads = NULL;
    QDict *info;

    /* 6 is not in Xen's registry (pvdrivers.h) */
    xs_peer_write(st->peer, "/mh/driver-blacklist/6/1", "");
    m = machine_start("xen-platform", NULL);
    g_free(store_started(st));
    g_assert_cmphex(handshake(m->qts, 6, 1), ==, MAGIC);
    g_assert_cmphex(handshake(m->qts, 0, 1), ==, MAGIC);
    reads = xs_peer_take_reads(st->peer);
    g_assert_cmpstr(reads, ==, "");
    info = driver_info(m->qts);
    g_assert_cmpint(qdict_get_int(info, "product-num"), ==, 0);
    g_assert_cmpint(qdict_get_int(info, "build-num"), ==, 1);
    g_assert_false(qdict_haskey(info, "product-name"));
    qobject_unref(info);
    machine_stop(m);
    xs_store_stop(st);
}

/*
 * Products 4 and 5 have names that are no xenstore path ('+'): nothing to
 * look up, never blacklisted, and no read spent on them
 */
static void test_blacklist_no_path(void)
{
    XsStore *st = xs_store_start();
    Machine *m = machine_start("xen-platform", NULL);
    g_autofree char *reads = NULL;
    QDict *info;

    g_free(store_started(st));
    g_assert_cmphex(handshake(m->qts, 4, 1), ==, MAGIC);
    info = driver_info(m->qts);
    g_assert_cmpstr(qdict_get_str(info, "product-name"), ==,
                    "xenserver-windows-v7.0+");
    qobject_unref(info);
    g_assert_cmphex(handshake(m->qts, 5, 1), ==, MAGIC);
    g_assert_cmphex(handshake(m->qts, 3, 1), ==, MAGIC);
    reads = xs_peer_take_reads(st->peer);
    g_assert_cmpstr(reads, ==, "");
    machine_stop(m);
    xs_store_stop(st);
}

static void test_build_before_product(void)
{
    XsStore *st = xs_store_start();
    Machine *m;
    g_autofree char *reads = NULL;
    g_autofree char *log = NULL;
    QDict *info;

    xs_peer_write(st->peer, "/mh/driver-blacklist/linux/5", "");
    m = machine_start("xen-platform", NULL);
    g_free(store_started(st));
    qtest_outl(m->qts, PORT_MAGIC, 5);
    g_assert_cmphex(qtest_inw(m->qts, PORT_MAGIC), ==, MAGIC);
    reads = xs_peer_take_reads(st->peer);
    g_assert_cmpstr(reads, ==, "");
    info = driver_info(m->qts);
    g_assert_false(qdict_haskey(info, "build-num"));
    qobject_unref(info);
    log = machine_log(m);
    g_assert_nonnull(strstr(log, "build number 5 written before any "
                            "product number, ignored"));
    machine_stop(m);
    xs_store_stop(st);
}

/*
 * A store that refuses (EACCES: a device model that may not read /mh, as
 * in a stubdomain) or stops answering never gets a driver refused, at any
 * handshake, and stalls neither the vCPU nor QMP
 */
static void test_blacklist_failing_store(void)
{
    XsStore *st = xs_store_start();
    Machine *m;
    g_autofree char *reads = NULL;
    QDict *info;
    int i;

    xs_peer_write(st->peer, "/mh/driver-blacklist/linux/9", "");
    xs_peer_set_error(st->peer, "EACCES");
    m = machine_start("xen-platform", UNPLUG_MACHINE);
    /* a Windows driver replays its preamble: at resume, S4->S3, ... */
    for (i = 0; i < 20; i++) {
        g_assert_cmphex(handshake(m->qts, 3, 9), ==, MAGIC);
    }
    qtest_system_reset(m->qts);
    g_assert_cmphex(handshake(m->qts, 3, 9), ==, MAGIC);
    qtest_outw(m->qts, PORT_MAGIC, UNPLUG_ALL_NICS);
    info = driver_info(m->qts);
    g_assert_cmpint(unplugged_mask(info), ==, UNPLUG_ALL_NICS);
    g_assert_false(qdict_get_bool(info, "refused"));
    qobject_unref(info);

    /* It answers again: what it lists applies */
    xs_peer_set_error(st->peer, NULL);
    g_free(xs_peer_take_reads(st->peer));
    xs_peer_write(st->peer, "/mh/driver-blacklist/linux/10", "");
    blacklist_settles(st, m, 3, 9, MAGIC_BLACKLISTED);

    /* It stops answering, with a request of QEMU's pending */
    xs_peer_set_silent(st->peer, true);
    xs_peer_write(st->peer, "/mh/driver-blacklist/linux/11", "");
    g_assert_true(xs_peer_wait_log(st->peer, "DIRECTORY /mh/driver-blacklist/"
                                   "xensource-windows", 10000));
    for (i = 0; i < 20; i++) {
        qtest_system_reset(m->qts);
        g_assert_cmphex(handshake(m->qts, 3, 11), ==, MAGIC);
        info = driver_info(m->qts);
        g_assert_false(qdict_get_bool(info, "refused"));
        qobject_unref(info);
    }
    assert_running(m->qts);
    machine_stop(m);
    xs_store_stop(st);
}

static void test_blacklist_no_store(void)
{
    Machine *m;
    QDict *info;

    g_setenv("XENSTORED_PATH", "/nonexistent/xenstored/socket", true);
    m = machine_start("xen-platform", NULL);
    g_assert_cmphex(handshake(m->qts, 3, 1), ==, MAGIC);
    g_assert_cmphex(handshake(m->qts, 1, 1), ==, MAGIC);
    info = driver_info(m->qts);
    g_assert_false(qdict_get_bool(info, "refused"));
    qobject_unref(info);
    assert_running(m->qts);
    machine_stop(m);
    g_unsetenv("XENSTORED_PATH");
}

static void test_qmp_event(void)
{
    Machine *m = machine_start("xen-platform", NULL);
    QDict *ev, *data;

    handshake(m->qts, 1, 8219);
    ev = qtest_qmp_eventwait_ref(m->qts, "XEN_PLATFORM_PV_DRIVER_INFO");
    data = qdict_get_qdict(ev, "data");
    g_assert_cmpint(qdict_get_int(data, "product-num"), ==, 1);
    g_assert_cmpint(qdict_get_int(data, "build-num"), ==, 8219);
    qobject_unref(ev);
    machine_stop(m);
}

/* A guest looping on the preamble gets one event a second, the last kept */
static void test_qmp_event_throttled(void)
{
    Machine *m = machine_start("xen-platform", NULL);
    QDict *ev;
    uint32_t build;

    for (build = 1; build <= 50; build++) {
        preamble(m->qts, 3, build);
    }
    ev = qtest_qmp_eventwait_ref(m->qts, "XEN_PLATFORM_PV_DRIVER_INFO");
    g_assert_cmpint(qdict_get_int(qdict_get_qdict(ev, "data"), "build-num"),
                    ==, 1);
    qobject_unref(ev);
    /* Under qtest, QMP's event rate limit follows the virtual clock */
    qtest_clock_step(m->qts, NANOSECONDS_PER_SECOND);
    ev = qtest_qmp_eventwait_ref(m->qts, "XEN_PLATFORM_PV_DRIVER_INFO");
    g_assert_cmpint(qdict_get_int(qdict_get_qdict(ev, "data"), "build-num"),
                    ==, 50);
    qobject_unref(ev);
    qtest_qmp_assert_success(m->qts, "{'execute': 'query-status'}");
    g_assert_null(qtest_qmp_event_ref(m->qts, "XEN_PLATFORM_PV_DRIVER_INFO"));
    machine_stop(m);
}

static void test_qmp_no_device(void)
{
    QTestState *qts = qtest_init("-machine pc -nodefaults");
    QDict *rsp = qtest_qmp(qts, "{'execute': "
                           "'query-xen-platform-pv-driver-info'}");

    g_assert_cmpstr(qdict_get_str(qdict_get_qdict(rsp, "error"), "desc"), ==,
                    "The machine has no Xen platform device");
    qobject_unref(rsp);
    qtest_quit(qts);
}

/*
 * The log channel
 */
static void test_log_lines(void)
{
    Machine *m = machine_start("xen-platform", NULL);
    g_autofree char *log = NULL;
    g_autofree char *rest = g_strnfill(1099 - 1024, 'a');
    g_autofree char *tail = g_strdup_printf("\nxen-platform: %s\n", rest);
    QPCIBar bar;
    char longline[1100];

    log_line(m->qts, "XEN: hello from the guest");
    qtest_outb(m->qts, PORT_VERSION, 0x01);
    qtest_outb(m->qts, PORT_VERSION, '\\');
    qtest_outb(m->qts, PORT_VERSION, 0xff);
    log_line(m->qts, "tail");
    memset(longline, 'a', sizeof(longline) - 1);
    longline[sizeof(longline) - 1] = '\0';
    log_line(m->qts, longline);

    /* VMDP's log bytes through BAR0 offset 8 */
    qpci_device_enable(m->dev);
    bar = qpci_iomap(m->dev, 0, NULL);
    qpci_io_writeb(m->dev, bar, 8, 'V');
    qpci_io_writeb(m->dev, bar, 8, '\n');

    log = machine_log(m);
    g_assert_nonnull(strstr(log, "xen-platform: XEN: hello from the guest\n"));
    g_assert_nonnull(strstr(log, "xen-platform: \\x01\\\\\\xfftail\n"));
    /* A line is cut at 1024 bytes */
    g_assert_cmpint(count_substr(log, "xen-platform: aaaa"), ==, 2);
    g_assert_nonnull(strstr(log, tail));
    g_assert_nonnull(strstr(log, "xen-platform: V\n"));
    qpci_iounmap(m->dev, bar);
    machine_stop(m);
}

/* With a chardev, the lines go there, and not to the guest-error log */
static void test_log_chardev(void)
{
    g_autofree char *dir = g_dir_make_tmp("xen-platform-chr-XXXXXX", NULL);
    g_autofree char *path = g_strdup_printf("%s/log", dir);
    g_autofree char *extra = g_strdup_printf("-chardev file,id=xplog,"
                                             "path=%s -global xen-platform."
                                             "chardev=xplog", path);
    Machine *m = machine_start("xen-platform-2", extra);
    g_autofree char *log = NULL;
    g_autofree char *file = NULL;

    log_line(m->qts, "to the chardev");
    qtest_outb(m->qts, PORT_VERSION, 0x07);
    qtest_outb(m->qts, PORT_VERSION, '\n');
    log = machine_log(m);
    g_assert_null(strstr(log, "to the chardev"));
    g_assert(g_file_get_contents(path, &file, NULL, NULL));
    g_assert_cmpstr(file, ==, "xen-platform-2: to the chardev\n"
                    "xen-platform-2: \\x07\n");
    machine_stop(m);
    unlink(path);
    rmdir(dir);
}

/* A partial line is dropped by reset */
static void test_log_reset(void)
{
    Machine *m = machine_start("xen-platform", NULL);
    g_autofree char *log = NULL;

    qtest_outb(m->qts, PORT_VERSION, 'x');
    qtest_system_reset(m->qts);
    log_line(m->qts, "after reset");
    log = machine_log(m);
    g_assert_nonnull(strstr(log, "xen-platform: after reset\n"));
    g_assert_null(strstr(log, "xafter"));
    machine_stop(m);
}

/* Lines of 99 bytes */
static void flood(QTestState *qts, unsigned lines)
{
    unsigned i, j;

    for (i = 0; i < lines; i++) {
        for (j = 0; j < 99; j++) {
            qtest_outb(qts, PORT_VERSION, 'f');
        }
        qtest_outb(qts, PORT_VERSION, '\n');
    }
}

/* A run of lines reaches the host's log whole */
static void test_log_many_lines(void)
{
    Machine *m = machine_start("xen-platform", NULL);
    g_autofree char *log = NULL;

    flood(m->qts, 200);
    assert_running(m->qts);
    log = machine_log(m);
    g_assert_cmpuint(count_substr(log, "xen-platform: ffff"), ==, 200);
    machine_stop(m);
}

static void test_log_flood(void)
{
    Machine *m = machine_start("xen-platform", "-global xen-platform."
                               "log-burst=8192");
    g_autofree char *log = NULL;
    g_autofree char *notice = NULL;
    unsigned emitted, dropped;
    QDict *info;

    /* 20 KiB from a guest whose clock stands still: one burst passes */
    flood(m->qts, 200);
    assert_running(m->qts);
    log = machine_log(m);
    emitted = count_substr(log, "xen-platform: ffff");
    g_assert_cmpuint(emitted, ==, LOG_BURST / LINE_COST);
    dropped = 200 - emitted;
    g_assert_cmpuint(count_substr(log, "suppressed"), ==, 0);
    info = driver_info(m->qts);
    g_assert_cmpint(qdict_get_int(info, "log-lines-suppressed"), ==,
                    200 - emitted);
    qobject_unref(info);

    /* 10 s later: 2560 more bytes; one notice, then lines again */
    qtest_clock_step(m->qts, 10 * NANOSECONDS_PER_SECOND);
    log_line(m->qts, "back");
    g_free(log);
    log = machine_log(m);
    g_assert_cmpuint(count_substr(log, "suppressed by the rate limit"), ==, 1);
    notice = g_strdup_printf("xen-platform: (%u lines, %u bytes of guest log "
                             "suppressed by the rate limit)\n"
                             "xen-platform: back\n", dropped,
                             dropped * LINE_COST);
    g_assert_nonnull(strstr(log, notice));
    machine_stop(m);
}

static void test_log_throttle_property(void)
{
    Machine *m = machine_start("xen-platform", "-global xen-platform."
                               "log-throttle=off -global xen-platform."
                               "log-burst=8192");
    g_autofree char *log = NULL;

    flood(m->qts, 200);
    log = machine_log(m);
    g_assert_cmpuint(count_substr(log, "xen-platform: ffff"), ==, 200);
    machine_stop(m);
}

static void test_log_throttle_xenstore(void)
{
    XsStore *st = xs_store_start();
    Machine *m = machine_start("xen-platform", "-global xen-platform."
                               "log-burst=8192");
    g_autofree char *log = NULL;
    g_autofree char *watches = NULL;
    int i;

    flood(m->qts, 100);
    log = machine_log(m);
    g_assert_cmpuint(count_substr(log, "xen-platform: ffff"), ==,
                     8192 / LINE_COST);

    g_free(xs_peer_take_log(st->peer));
    xs_peer_write(st->peer, "/local/domain/0/log-throttling", "0");
    /* QEMU's reader reads it; wait for it to take effect */
    g_assert_true(xs_peer_wait_log(st->peer, "READ /local/domain/0/"
                                   "log-throttling", 10000));
    for (i = 0; i < 100; i++) {
        g_free(log);
        flood(m->qts, 1);
        log = machine_log(m);
        if (count_substr(log, "xen-platform: ffff") > 8192 / LINE_COST) {
            break;
        }
        g_usleep(20 * 1000);
    }
    flood(m->qts, 100);
    g_free(log);
    log = machine_log(m);
    g_assert_cmpuint(count_substr(log, "xen-platform: ffff"), >=,
                     8192 / LINE_COST + 100);
    watches = xs_peer_take_log(st->peer);
    g_assert_null(strstr(watches, "/mh/"));
    machine_stop(m);
    xs_store_stop(st);
}

/*
 * Migration
 */
static const char *migration_status(QTestState *qts, QDict **rsp)
{
    *rsp = qtest_qmp(qts, "{'execute': 'query-migrate'}");
    return qdict_get_try_str(qdict_get_qdict(*rsp, "return"), "status");
}

/*
 * Wait, for at most 20 s, until @qts's migration has completed or failed;
 * return the status, with *rsp holding the answer (qobject_unref() it)
 */
static const char *migration_wait(QTestState *qts, QDict **rsp)
{
    const char *status;
    int i;

    for (i = 0; i < 1000; i++) {
        status = migration_status(qts, rsp);
        if (!g_strcmp0(status, "completed") || !g_strcmp0(status, "failed")) {
            return status;
        }
        qobject_unref(*rsp);
        g_usleep(20 * 1000);
    }
    g_assert_not_reached();
}

/* Wait, for at most 20 s, until @qts runs */
static void wait_running(QTestState *qts)
{
    int i;

    for (i = 0; i < 1000; i++) {
        QDict *rsp = qtest_qmp(qts, "{'execute': 'query-status'}");
        bool running = !g_strcmp0(qdict_get_try_str(
                                      qdict_get_qdict(rsp, "return"),
                                      "status"), "running");

        qobject_unref(rsp);
        if (running) {
            return;
        }
        g_usleep(20 * 1000);
    }
    g_assert_not_reached();
}

static QTestState *migrate(QTestState *from, const char *device,
                           const char *extra, bool expect_ok)
{
    g_autofree char *tmp = g_dir_make_tmp("xen-platform-mig-XXXXXX", NULL);
    g_autofree char *uri = g_strdup_printf("unix:%s/sock", tmp);
    g_autofree char *sock = g_strdup_printf("%s/sock", tmp);
    QTestState *to;
    QDict *rsp;
    const char *status;

    to = qtest_initf("-machine pc -nodefaults " NO_XEN " " OPT_IN " "
                     "-device %s,addr=%d %s -incoming defer", device,
                     PLATFORM_SLOT, extra ? extra : "");
    qtest_qmp_assert_success(to, "{'execute': 'migrate-incoming', "
                             "'arguments': {'uri': %s, "
                             "'exit-on-error': false}}", uri);
    qtest_qmp_assert_success(from, "{'execute': 'migrate', 'arguments': "
                             "{'uri': %s}}", uri);
    status = migration_wait(to, &rsp);
    g_assert_cmpstr(status, ==, expect_ok ? "completed" : "failed");
    if (!expect_ok) {
        const char *desc = qdict_get_str(qdict_get_qdict(rsp, "return"),
                                         "error-desc");
        /* QEMU's standard answer; stderr names the device and the byte */
        g_test_message("refused: %s", desc);
        g_assert_nonnull(strstr(desc, "load of migration failed"));
    }
    qobject_unref(rsp);
    unlink(sock);
    rmdir(tmp);
    return to;
}

static void test_migrate_handshaked(const void *opaque)
{
    const char *device = opaque;
    XsStore *st = xs_store_start();
    Machine *m;
    g_autofree char *reads = NULL;
    QTestState *to;
    QDict *info;

    xs_peer_write(st->peer, "/mh/driver-blacklist/linux/77", "");
    m = machine_start(device, OPT_IN " -netdev user,id=n0 "
                      "-device e1000,netdev=n0,addr=6");
    g_assert_cmphex(handshake(m->qts, 3, 77), ==, MAGIC_BLACKLISTED);
    qtest_outb(m->qts, PORT_VERSION, 'p');      /* partial log line */
    g_free(xs_peer_take_reads(st->peer));

    to = migrate(m->qts, device, "-netdev user,id=n0 "
                 "-device e1000,netdev=n0,addr=6", true);
    /* The verdict is the source's */
    g_assert_cmphex(qtest_inw(to, PORT_MAGIC), ==, MAGIC_BLACKLISTED);
    info = driver_info(to);
    g_assert_cmpint(qdict_get_int(info, "product-num"), ==, 3);
    g_assert_cmpint(qdict_get_int(info, "build-num"), ==, 77);
    g_assert_true(qdict_get_bool(info, "refused"));
    qobject_unref(info);
    qtest_quit(to);
    machine_stop(m);
    xs_store_stop(st);
}

/* NICs unplugged on the source stay unplugged on the destination */
static void test_migrate_unplugged(void)
{
    Machine *m = machine_start("xen-platform", OPT_IN " -netdev user,id=n0 "
                               "-device e1000,netdev=n0,addr=6");
    g_autofree char *pci = NULL;
    QTestState *to;
    QDict *info;

    qtest_outw(m->qts, PORT_MAGIC, UNPLUG_ALL_NICS);
    /* management starts the destination with the source's devices */
    to = migrate(m->qts, "xen-platform", NULL, true);
    info = driver_info(to);
    g_assert_cmpint(unplugged_mask(info), ==, UNPLUG_ALL_NICS);
    qobject_unref(info);
    pci = pci_devices(to);
    g_assert_null(strstr(pci, "0200"));
    qtest_quit(to);
    machine_stop(m);
}

static void test_migrate_v1_to_v2_refused(void)
{
    Machine *m = machine_start("xen-platform", NULL);
    QTestState *to = migrate(m->qts, "xen-platform-2", NULL, false);

    qtest_quit(to);
    machine_stop(m);
}


/* A stream whose log subsection claims an impossible line length */
static void test_migrate_corrupt_stream(void)
{
    Machine *m = machine_start("xen-platform", OPT_IN);
    g_autofree char *tmp = g_dir_make_tmp("xen-platform-mig-XXXXXX", NULL);
    g_autofree char *file = g_strdup_printf("%s/stream", tmp);
    g_autofree char *uri = g_strdup_printf("file:%s", file);
    g_autofree char *data = NULL;
    const char *status;
    QTestState *to;
    QDict *rsp;
    gsize len;
    char *p;

    qtest_outb(m->qts, PORT_VERSION, 'p');  /* a partial line to migrate */
    qtest_qmp_assert_success(m->qts, "{'execute': 'migrate', 'arguments': "
                             "{'uri': %s}}", uri);
    g_assert_cmpstr(migration_wait(m->qts, &rsp), ==, "completed");
    qobject_unref(rsp);

    /* The subsection: its name, version_id (be32), then log_len (be32) */
    g_assert(g_file_get_contents(file, &data, &len, NULL));
    p = memmem(data, len, "platform/log", strlen("platform/log"));
    g_assert_nonnull(p);
    p += strlen("platform/log") + 4;
    g_assert_cmpuint(ldl_be_p(p), ==, 1);
    stl_be_p(p, 0xffffffff);
    g_assert(g_file_set_contents(file, data, len, NULL));

    to = qtest_initf("-machine pc -nodefaults " NO_XEN " "
                     "-device xen-platform,addr=%d -incoming defer",
                     PLATFORM_SLOT);
    qtest_qmp_assert_success(to, "{'execute': 'migrate-incoming', "
                             "'arguments': {'uri': %s, "
                             "'exit-on-error': false}}", uri);
    status = migration_wait(to, &rsp);
    g_assert_cmpstr(status, ==, "failed");
    qobject_unref(rsp);
    /* Refused, and the destination is still there to say so */
    rsp = qtest_qmp(to, "{'execute': 'query-status'}");
    g_assert_cmpstr(qdict_get_str(qdict_get_qdict(rsp, "return"), "status"),
                    !=, "running");
    qobject_unref(rsp);
    qtest_quit(to);
    machine_stop(m);
    unlink(file);
    rmdir(tmp);
}

/*
 * Hostile and interleaved sequences
 */

/* The NIC behind a bridge stays, with its backend; the one on bus 0 goes */
static void test_unplug_nic_behind_bridge(void)
{
    Machine *m = machine_start("xen-platform",
                               "-device pci-bridge,id=b,chassis_nr=1,addr=8 "
                               "-netdev user,id=n0 -netdev user,id=n1 "
                               "-device e1000,netdev=n0,addr=6 "
                               "-device e1000,netdev=n1,bus=b,addr=1");
    int round;

    for (round = 0; round < 3; round++) {  /* Linux writes it each resume */
        g_autofree char *net = NULL;
        g_autofree char *pci = NULL;

        qtest_outw(m->qts, PORT_MAGIC, UNPLUG_ALL_NICS);
        assert_running(m->qts);
        net = networks(m->qts);
        pci = pci_devices(m->qts);
        g_assert_null(strstr(net, "n0:"));
        g_assert_nonnull(strstr(net, "n1:"));
        g_assert_null(strstr(pci, "6.0:0200"));
    }
    machine_stop(m);
}

/*
 * A platform device behind a bridge acts on its own bus, before and after
 * the firmware gave that bus its number
 */
static void test_unplug_own_bus(void)
{
    QTestState *qts = qtest_init("-machine pc -nodefaults " NO_XEN " "
                                 "-device pci-bridge,id=b,chassis_nr=1,addr=8 "
                                 "-device xen-platform,bus=b,addr=3 "
                                 "-netdev user,id=n0 -netdev user,id=n1 "
                                 "-device e1000,netdev=n0,bus=b,addr=4 "
                                 "-device e1000,netdev=n1,addr=6");
    QPCIBus *bus = qpci_new_pc(qts, NULL);
    QPCIDevice *bridge = qpci_device_find(bus, QPCI_DEVFN(8, 0));
    g_autofree char *net = NULL;

    g_assert(bridge);
    qpci_config_writeb(bridge, PCI_SECONDARY_BUS, 1);
    qpci_config_writeb(bridge, PCI_SUBORDINATE_BUS, 1);
    qtest_outw(qts, PORT_MAGIC, UNPLUG_ALL_NICS);
    assert_running(qts);
    net = networks(qts);
    g_assert_null(strstr(net, "n0:"));          /* on the device's bus */
    g_assert_nonnull(strstr(net, "n1:"));       /* on bus 0 */
    g_free(bridge);
    qpci_free_pc(bus);
    qtest_quit(qts);
}

/* netdev_del first: the NIC goes, nothing is deleted twice */
static void test_unplug_netdev_deleted(void)
{
    Machine *m = machine_start("xen-platform",
                               "-netdev user,id=n0 -netdev user,id=n1 "
                               "-device e1000,netdev=n0,addr=6 "
                               "-device virtio-net-pci,netdev=n1,addr=7");
    g_autofree char *pci = NULL;

    qtest_qmp_assert_success(m->qts, "{'execute': 'netdev_del', "
                             "'arguments': {'id': 'n0'}}");
    qtest_qmp_assert_success(m->qts, "{'execute': 'netdev_del', "
                             "'arguments': {'id': 'n1'}}");
    qtest_outw(m->qts, PORT_MAGIC, UNPLUG_ALL_NICS);
    qtest_outw(m->qts, PORT_MAGIC, UNPLUG_ALL_NICS);
    assert_running(m->qts);
    pci = pci_devices(m->qts);
    g_assert_null(strstr(pci, "6.0:0200"));
    g_assert_null(strstr(pci, "7.0:0200"));
    machine_stop(m);
}

/*
 * Every unplug mask, the legacy BAR0 writes, netdev_del, device_del and
 * system_reset, interleaved in a pseudo-random order over a machine with
 * every kind of removable device on bus 0 and behind a bridge: QEMU keeps
 * running and answers QMP throughout.
 */
static void test_unplug_interleaved(void)
{
    static const char *const nets[] = { "n0", "n1", "n2" };
    Machine *m = machine_start("xen-platform", UNPLUG_MACHINE " "
                               "-device pci-bridge,id=b,chassis_nr=1,addr=8 "
                               "-netdev user,id=n0 -netdev user,id=n1 "
                               "-netdev user,id=n2 "
                               "-device e1000,netdev=n0,bus=b,addr=1 "
                               "-device rtl8139,netdev=n1,bus=b,addr=2,id=r1 "
                               "-device virtio-net-pci,netdev=n2,addr=9");
    uint32_t bar0 = qpci_config_readl(m->dev, PCI_BASE_ADDRESS_0) & ~3u;
    GRand *rand = g_rand_new_with_seed(0x5853);
    int i;

    qpci_config_writew(m->dev, PCI_COMMAND, PCI_COMMAND_IO);
    for (i = 0; i < 200; i++) {
        switch (g_rand_int_range(rand, 0, 7)) {
        case 0:
        case 1:
            qtest_outw(m->qts, PORT_MAGIC, g_rand_int_range(rand, 0, 16));
            break;
        case 2:
            qtest_outl(m->qts, bar0 + 4, 1);
            break;
        case 3:
            qtest_outb(m->qts, bar0 + 8, g_rand_int_range(rand, 1, 3));
            break;
        case 4:
            qtest_qmp(m->qts, "{'execute': 'netdev_del', 'arguments': "
                      "{'id': %s}}", nets[g_rand_int_range(rand, 0, 3)]);
            break;
        case 5:
            qtest_qmp(m->qts, "{'execute': 'device_del', 'arguments': "
                      "{'id': 'r1'}}");
            break;
        case 6:
            qtest_system_reset_nowait(m->qts);
            qtest_qmp_eventwait(m->qts, "RESET");
            /* the reset clears the command register: enable I/O again */
            qpci_config_writew(m->dev, PCI_COMMAND, PCI_COMMAND_IO);
            break;
        }
        assert_running(m->qts);
    }
    g_rand_free(rand);
    machine_stop(m);
}

/* A blacklisted verdict holds until reset, whatever the driver writes */
static void test_blacklist_sticky(void)
{
    XsStore *st = xs_store_start();
    Machine *m;
    g_autofree char *pci = NULL;
    QDict *info;

    xs_peer_write(st->peer, "/mh/driver-blacklist/linux/1", "");
    m = machine_start("xen-platform", UNPLUG_MACHINE);
    g_assert_cmphex(handshake(m->qts, 3, 1), ==, MAGIC_BLACKLISTED);
    /* a new product number, with or without a build, changes nothing */
    qtest_outw(m->qts, PORT_VERSION, 3);
    qtest_outw(m->qts, PORT_MAGIC, 0xf);
    g_assert_cmphex(qtest_inw(m->qts, PORT_MAGIC), ==, MAGIC_BLACKLISTED);
    g_assert_cmphex(preamble(m->qts, 3, 2), ==, MAGIC_BLACKLISTED);
    g_assert_cmphex(preamble(m->qts, 0x1234, 2), ==, MAGIC_BLACKLISTED);
    qtest_outw(m->qts, PORT_MAGIC, 0xf);
    pci = pci_devices(m->qts);
    g_assert_cmpstr(pci, ==, all_pci);
    info = driver_info(m->qts);
    g_assert_cmpint(unplugged_mask(info), ==, 0);
    g_assert_true(qdict_get_bool(info, "refused"));
    qobject_unref(info);
    /* the reset ends it */
    qtest_system_reset(m->qts);
    g_assert_cmphex(handshake(m->qts, 3, 2), ==, MAGIC);
    machine_stop(m);
    xs_store_stop(st);
}

/*
 * Only under the qtest accelerator does the device take over QEMU's Xen
 * backend operations to reach $XENSTORED_PATH: a QEMU that runs a guest
 * without Xen (x-allow-no-xen) makes no xenstore connection.
 */
static void test_no_xenstore_without_qtest(void)
{
    XsStore *st;
    QTestState *qts;

    if (!qtest_has_accel("tcg")) {
        g_test_skip("needs the TCG accelerator");
        return;
    }
    st = xs_store_start();
    qts = qtest_initf("-machine pc -nodefaults -accel tcg "
                      "-device xen-platform,addr=%d,x-allow-no-xen=on",
                      PLATFORM_SLOT);
    g_assert_cmphex(preamble(qts, 3, 1), ==, MAGIC);
    qtest_qmp_assert_success(qts, "{'execute': 'query-status'}");
    g_assert_cmpuint(xs_peer_connections(st->peer), ==, 0);
    qtest_quit(qts);
    xs_store_stop(st);
}

/*
 * A hostile driver cycling product/build pairs makes QEMU ask xenstore
 * nothing, and the build the toolstack listed is still refused
 */
static void test_blacklist_guest_requests(void)
{
    XsStore *st = xs_store_start();
    Machine *m;
    g_autofree char *reads = NULL;
    int i;

    xs_peer_write(st->peer, "/mh/driver-blacklist/linux/1500", "");
    m = machine_start("xen-platform", NULL);
    g_free(store_started(st));
    for (i = 0; i < 1000; i++) {
        g_assert_cmphex(preamble(m->qts, 3, i), ==, MAGIC);
        preamble(m->qts, 1 + i % 5, 0);         /* repeated pairs */
    }
    reads = xs_peer_take_reads(st->peer);
    g_assert_cmpstr(reads, ==, "");
    g_assert_cmphex(preamble(m->qts, 3, 1500), ==, MAGIC_BLACKLISTED);
    machine_stop(m);
    xs_store_stop(st);
}

/* Only the watched node itself sets the log throttle */
static void test_log_throttle_watch_child(void)
{
    XsStore *st = xs_store_start();
    Machine *m = machine_start("xen-platform", "-global xen-platform."
                               "log-burst=8192");
    g_autofree char *log = NULL;

    g_free(store_started(st));
    xs_peer_write(st->peer, "/local/domain/0/log-throttling/x", "0");
    xs_peer_rm(st->peer, "/local/domain/0/log-throttling/x");
    xs_peer_write(st->peer, "/local/domain/0/log-throttling/y", "0");
    /* QEMU's reader reads the node itself again */
    g_assert_true(xs_peer_wait_log(st->peer, "READ /local/domain/0/"
                                   "log-throttling", 10000));
    flood(m->qts, 200);
    log = machine_log(m);
    g_assert_cmpuint(count_substr(log, "xen-platform: ffff"), ==,
                     8192 / LINE_COST);
    machine_stop(m);
    xs_store_stop(st);
}

/*
 * Offsets in the "platform/log" subsection, after its name and version:
 * log_len (be32), log_line[1024], log_dropped_lines (be32),
 * log_dropped_bytes (be64), suppressed (be64)
 */
#define LOG_SUB_DROPPED_LINES   (4 + 1024)

/* Migrate @from through a file, edited by @edit on the way */
static QTestState *migrate_edited(QTestState *from, const char *extra,
                                  void (*edit)(char *sub))
{
    g_autofree char *tmp = g_dir_make_tmp("xen-platform-mig-XXXXXX", NULL);
    g_autofree char *file = g_strdup_printf("%s/stream", tmp);
    g_autofree char *uri = g_strdup_printf("file:%s", file);
    g_autofree char *data = NULL;
    QTestState *to;
    QDict *rsp;
    gsize len;
    char *p;

    qtest_qmp_assert_success(from, "{'execute': 'migrate', 'arguments': "
                             "{'uri': %s}}", uri);
    g_assert_cmpstr(migration_wait(from, &rsp), ==, "completed");
    qobject_unref(rsp);
    g_assert(g_file_get_contents(file, &data, &len, NULL));
    p = memmem(data, len, "platform/log", strlen("platform/log"));
    g_assert_nonnull(p);
    edit(p + strlen("platform/log") + 4);
    g_assert(g_file_set_contents(file, data, len, NULL));

    to = qtest_initf("-machine pc -nodefaults " NO_XEN " "
                     "-device xen-platform,addr=%d -d guest_errors %s "
                     "-incoming %s", PLATFORM_SLOT,
                     extra, uri);
    /* not RESUME: it may come before this monitor is connected */
    wait_running(to);
    unlink(file);
    rmdir(tmp);
    return to;
}

static void edit_dropped_max(char *sub)
{
    stl_be_p(sub + LOG_SUB_DROPPED_LINES, UINT32_MAX);
}

/*
 * A full bucket on the source, and lines dropped, @edit on the way; on the
 * destination the bucket is empty again (it is not migrated), and the
 * first line that passes is preceded by the notice of what was dropped.
 */
static void log_after_edited_stream(void (*edit)(char *sub), const char *want)
{
    Machine *m = machine_start("xen-platform", OPT_IN " -global xen-platform."
                               "log-burst=8192 -global xen-platform."
                               "log-rate=8192");
    g_autofree char *dir = g_dir_make_tmp("xen-platform-log-XXXXXX", NULL);
    g_autofree char *logfile = g_strdup_printf("%s/log", dir);
    g_autofree char *extra = g_strdup_printf("-global xen-platform."
                                             "log-burst=8192 -global "
                                             "xen-platform.log-rate=8192 "
                                             "-chardev file,id=xpdst,"
                                             "path=%s -global "
                                             "xen-platform.chardev=xpdst",
                                             logfile);
    g_autofree char *log = NULL;
    QTestState *to;

    /* qtest's virtual clock stands still until the test steps it */
    flood(m->qts, 200);                 /* fills the bucket, drops lines */
    to = migrate_edited(m->qts, extra, edit);
    log_line(to, "after");
    qtest_qmp_assert_success(to, "{'execute': 'query-status'}");
    g_assert(g_file_get_contents(logfile, &log, NULL, NULL));
    g_assert_nonnull(strstr(log, "xen-platform: after"));
    g_assert_nonnull(strstr(log, want));
    qtest_quit(to);
    machine_stop(m);
    unlink(logfile);
    rmdir(dir);
}

static void edit_none(char *sub)
{
}

/* The notice of the lines the source dropped comes out on the destination */
static void test_migrate_log_dropped(void)
{
    log_after_edited_stream(edit_none, "(129 lines, 14706 bytes of guest log "
                            "suppressed by the rate limit)\nxen-platform: "
                            "after\n");
}

/* A dropped-line count at its limit is reported as it is */
static void test_migrate_log_dropped_max(void)
{
    log_after_edited_stream(edit_dropped_max, "(4294967295 lines");
}

/* IDE, SCSI, virtio and NIC devices (NVMe is not migratable) */
#define MIGRATION_MACHINE \
    "-drive if=none,id=hd0,driver=null-co " \
    "-drive if=none,id=hd1,driver=null-co " \
    "-drive if=none,id=sd0,driver=null-co " \
    "-drive if=none,id=vb0,driver=null-co " \
    "-device ide-hd,drive=hd0,bus=ide.0,unit=0 " \
    "-device ide-hd,drive=hd1,bus=ide.1,unit=0 " \
    "-device virtio-scsi-pci,id=scsi,addr=4 " \
    "-device scsi-hd,drive=sd0,bus=scsi.0 " \
    "-netdev user,id=net0 -netdev user,id=net1 -netdev user,id=net2 " \
    "-device e1000,netdev=net0,addr=6 " \
    "-device rtl8139,netdev=net1,addr=7 " \
    "-device virtio-blk-pci,drive=vb0,addr=8 " \
    "-device virtio-net-pci,netdev=net2,addr=9"

/*
 * The destination removes nothing: the guest unplugged its NICs, the host
 * then added one, and management starts the destination with the
 * source's devices as they are now
 */
static void test_migrate_no_replay(void)
{
    Machine *m = machine_start("xen-platform", OPT_IN " " MIGRATION_MACHINE);
    g_autofree char *after = NULL;
    g_autofree char *before = NULL;
    QTestState *to;
    int i;

    qtest_outw(m->qts, PORT_MAGIC, UNPLUG_ALL_NICS);
    qtest_qmp_eventwait(m->qts, "DEVICE_DELETED");
    qtest_qmp_assert_success(m->qts, "{'execute': 'netdev_add', 'arguments': "
                             "{'type': 'user', 'id': 'n9'}}");
    qtest_qmp_assert_success(m->qts, "{'execute': 'device_add', 'arguments': "
                             "{'driver': 'rtl8139', 'netdev': 'n9', "
                             "'id': 'nic9', 'addr': '10'}}");
    to = migrate(m->qts, "xen-platform",
                 "-drive if=none,id=hd0,driver=null-co "
                 "-drive if=none,id=hd1,driver=null-co "
                 "-drive if=none,id=sd0,driver=null-co "
                 "-drive if=none,id=vb0,driver=null-co "
                 "-device ide-hd,drive=hd0,bus=ide.0,unit=0 "
                 "-device ide-hd,drive=hd1,bus=ide.1,unit=0 "
                 "-device virtio-scsi-pci,id=scsi,addr=4 "
                 "-device scsi-hd,drive=sd0,bus=scsi.0 "
                 "-device virtio-blk-pci,drive=vb0,addr=8 "
                 "-netdev user,id=n9 -device rtl8139,netdev=n9,id=nic9,addr=10",
                 true);
    before = pci_devices(to);
    qtest_qmp_assert_success(to, "{'execute': 'cont'}");
    wait_running(to);
    for (i = 0; i < 10; i++) {      /* main loop iterations after cont */
        assert_running(to);
    }
    after = pci_devices(to);
    g_assert_cmpstr(after, ==, before);
    g_assert_nonnull(strstr(after, "16.0:0200"));       /* nic9 */
    g_assert_nonnull(strstr(after, "8.0:0100"));
    qtest_quit(to);
    machine_stop(m);
}

/* Whether a handshaked guest's stream on @machine has the subsections */
static bool stream_has_driver_state(const char *machine, bool opt_in)
{
    g_autofree char *tmp = g_dir_make_tmp("xen-platform-mig-XXXXXX", NULL);
    g_autofree char *file = g_strdup_printf("%s/stream", tmp);
    g_autofree char *uri = g_strdup_printf("file:%s", file);
    g_autofree char *data = NULL;
    QTestState *qts;
    QDict *rsp;
    gsize len;
    bool found;

    qts = qtest_initf("-machine %s -nodefaults " NO_XEN " %s "
                      "-device xen-platform,addr=%d", machine,
                      opt_in ? OPT_IN : "", PLATFORM_SLOT);
    preamble(qts, 3, 7);
    qtest_outw(qts, PORT_MAGIC, UNPLUG_ALL_NICS);
    qtest_outb(qts, PORT_VERSION, 'p');     /* a partial log line */
    qtest_qmp_assert_success(qts, "{'execute': 'migrate', 'arguments': "
                             "{'uri': %s}}", uri);
    g_assert_cmpstr(migration_wait(qts, &rsp), ==, "completed");
    qobject_unref(rsp);
    qtest_quit(qts);
    g_assert(g_file_get_contents(file, &data, &len, NULL));
    found = memmem(data, len, "platform/", strlen("platform/"));
    unlink(file);
    rmdir(tmp);
    return found;
}

/*
 * Every versioned pc and q35 machine type of this QEMU exists in QEMU
 * 10.2, which has no subsections for the driver's state: a guest on any
 * of them migrates to it, whatever its driver did. The toolstack opts in.
 */
static unsigned machine_types_checked;

static void check_machine_type(const char *machine)
{
    if (!g_regex_match_simple("^pc-(i440fx|q35)-[0-9]+\\.[0-9]+$", machine,
                              0, 0)) {
        return;
    }
    g_assert_false(stream_has_driver_state(machine, false));
    machine_types_checked++;
}

static void test_migrate_machine_types(void)
{
    qtest_cb_for_every_machine(check_machine_type, false);
    g_test_message("%u versioned machine types", machine_types_checked);
    g_assert_cmpuint(machine_types_checked, >, 0);
    g_assert_false(stream_has_driver_state("pc", false));
    g_assert_false(stream_has_driver_state("q35", false));
    g_assert_true(stream_has_driver_state("pc", true));
    g_assert_true(stream_has_driver_state("q35", true));
}

int main(int argc, char **argv)
{
    int i;

    g_test_init(&argc, &argv, NULL);
    if (!qtest_has_device("xen-platform")) {
        g_test_message("this QEMU has no xen-platform device");
        return g_test_run();
    }

    for (i = 0; i < ARRAY_SIZE(identities); i++) {
        g_autofree char *name = g_strdup_printf("/xen-platform/identity/%s",
                                                identities[i].name);

        qtest_add_data_func(name, &identities[i], test_identity);
    }
    qtest_add_func("/xen-platform/identity/defaults", test_identity_defaults);
    qtest_add_func("/xen-platform/identity/refused", test_identity_refused);
    qtest_add_func("/xen-platform/capability", test_capability);
    qtest_add_func("/xen-platform/needs-xen", test_needs_xen);
    qtest_add_func("/xen-platform/single-owner", test_single_owner);
    qtest_add_func("/xen-platform/hotplug-refused", test_hotplug_refused);
    qtest_add_func("/xen-platform/machine-property", test_machine_property);
    for (i = 0; i < ARRAY_SIZE(unplug_cases); i++) {
        g_autofree char *name = g_strdup_printf("/xen-platform/unplug/0x%x",
                                                unplug_cases[i].mask);

        qtest_add_data_func(name, &unplug_cases[i], test_unplug);
    }
    qtest_add_func("/xen-platform/unplug/legacy-bar0",
                   test_unplug_legacy_bar0);
    qtest_add_func("/xen-platform/unplug/every-nic-model",
                   test_unplug_every_nic_model);
    qtest_add_func("/xen-platform/unplug/nic-behind-bridge",
                   test_unplug_nic_behind_bridge);
    qtest_add_func("/xen-platform/unplug/own-bus", test_unplug_own_bus);
    qtest_add_func("/xen-platform/unplug/netdev-deleted",
                   test_unplug_netdev_deleted);
    qtest_add_func("/xen-platform/unplug/interleaved",
                   test_unplug_interleaved);
    qtest_add_func("/xen-platform/ports/undefined", test_ports_undefined);
    qtest_add_func("/xen-platform/ports/guest-errors-bounded",
                   test_guest_errors_bounded);
    qtest_add_func("/xen-platform/ports/flags", test_flags);
    qtest_add_func("/xen-platform/handshake/sequence",
                   test_handshake_sequence);
    xs_qtest_add_func("/xen-platform/handshake/linux", test_handshake_linux);
    xs_qtest_add_func("/xen-platform/handshake/windows-replay",
                      test_handshake_windows_replay);
    xs_qtest_add_func("/xen-platform/handshake/gplpv", test_handshake_gplpv);
    xs_qtest_add_func("/xen-platform/handshake/unknown-product",
                      test_handshake_unknown_product);
    xs_qtest_add_func("/xen-platform/handshake/build-before-product",
                      test_build_before_product);
    xs_qtest_add_func("/xen-platform/blacklist/products", test_blacklist);
    xs_qtest_add_func("/xen-platform/blacklist/no-path",
                      test_blacklist_no_path);
    xs_qtest_add_func("/xen-platform/blacklist/failing-store",
                      test_blacklist_failing_store);
    xs_qtest_add_func("/xen-platform/blacklist/sticky",
                      test_blacklist_sticky);
    xs_qtest_add_func("/xen-platform/blacklist/guest-requests",
                      test_blacklist_guest_requests);
    xs_qtest_add_func("/xen-platform/blacklist/no-xenstore-without-qtest",
                      test_no_xenstore_without_qtest);
    qtest_add_func("/xen-platform/blacklist/no-store",
                   test_blacklist_no_store);
    qtest_add_func("/xen-platform/qmp/event", test_qmp_event);
    qtest_add_func("/xen-platform/qmp/event-throttled",
                   test_qmp_event_throttled);
    qtest_add_func("/xen-platform/qmp/no-device", test_qmp_no_device);
    qtest_add_func("/xen-platform/log/lines", test_log_lines);
    qtest_add_func("/xen-platform/log/reset", test_log_reset);
    qtest_add_func("/xen-platform/log/chardev", test_log_chardev);
    qtest_add_func("/xen-platform/log/many-lines", test_log_many_lines);
    qtest_add_func("/xen-platform/log/flood", test_log_flood);
    qtest_add_func("/xen-platform/log/throttle-property",
                   test_log_throttle_property);
    xs_qtest_add_func("/xen-platform/log/throttle-xenstore",
                      test_log_throttle_xenstore);
    xs_qtest_add_func("/xen-platform/log/throttle-watch-child",
                      test_log_throttle_watch_child);
    xs_qtest_add_data_func("/xen-platform/migration/handshaked/v1",
                           "xen-platform", test_migrate_handshaked);
    xs_qtest_add_data_func("/xen-platform/migration/handshaked/v2",
                           "xen-platform-2", test_migrate_handshaked);
    qtest_add_func("/xen-platform/migration/unplugged",
                   test_migrate_unplugged);
    qtest_add_func("/xen-platform/migration/v1-to-v2-refused",
                   test_migrate_v1_to_v2_refused);
    qtest_add_func("/xen-platform/migration/corrupt-stream-refused",
                   test_migrate_corrupt_stream);
    qtest_add_func("/xen-platform/migration/log-dropped",
                   test_migrate_log_dropped);
    qtest_add_func("/xen-platform/migration/log-dropped-max",
                   test_migrate_log_dropped_max);
    qtest_add_func("/xen-platform/migration/no-replay",
                   test_migrate_no_replay);
    qtest_add_func("/xen-platform/migration/machine-types",
                   test_migrate_machine_types);

    return g_test_run();
}
