/*
 * The guest back end of the interop shim: a flat 32-bit image passed to
 * QEMU with -bios. start.S switches from the reset vector to protected
 * mode and calls shim_main(). Port I/O is real; printk goes to the ISA
 * debug console at 0xe9; the kernel command line comes from the fw_cfg
 * file "opt/interop/cmdline".
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include <shim.h>

uint8_t shim_inb(uint16_t port)
{
    uint8_t v;
    __asm__ volatile("inb %1, %0" : "=a"(v) : "Nd"(port));
    return v;
}

uint16_t shim_inw(uint16_t port)
{
    uint16_t v;
    __asm__ volatile("inw %1, %0" : "=a"(v) : "Nd"(port));
    return v;
}

uint32_t shim_inl(uint16_t port)
{
    uint32_t v;
    __asm__ volatile("inl %1, %0" : "=a"(v) : "Nd"(port));
    return v;
}

void shim_outb(uint8_t v, uint16_t port)
{
    __asm__ volatile("outb %0, %1" : : "a"(v), "Nd"(port));
}

void shim_outw(uint16_t v, uint16_t port)
{
    __asm__ volatile("outw %0, %1" : : "a"(v), "Nd"(port));
}

void shim_outl(uint32_t v, uint16_t port)
{
    __asm__ volatile("outl %0, %1" : : "a"(v), "Nd"(port));
}

void shim_putc(char c)
{
    shim_outb(c, 0xe9);
}

/* fw_cfg, the traditional I/O interface: selector 0x510, data 0x511 */
#define FW_CFG_FILE_DIR 0x19

static uint32_t be32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | p[1] << 16 | p[2] << 8 | p[3];
}

static void fw_cfg_read(void *buf, uint32_t len)
{
    uint8_t *p = buf;

    while (len--) {
        *p++ = shim_inb(0x511);
    }
}

static int fw_cfg_file(const char *name, char *buf, uint32_t size)
{
    uint8_t count[4], ent[64];
    uint32_t n;

    shim_outw(FW_CFG_FILE_DIR, 0x510);
    fw_cfg_read(count, 4);
    for (n = be32(count); n; n--) {
        fw_cfg_read(ent, sizeof(ent));
        if (!strcmp((char *)ent + 8, name)) {
            uint32_t len = be32(ent);

            if (len >= size) {
                len = size - 1;
            }
            shim_outw(ent[4] << 8 | ent[5], 0x510);
            fw_cfg_read(buf, len);
            buf[len] = 0;
            return 0;
        }
    }
    return -1;
}

void shim_main(void)
{
    static char cmdline[256];

    if (fw_cfg_file("opt/interop/cmdline", cmdline, sizeof(cmdline))) {
        cmdline[0] = 0;
    }
    shim_run(cmdline);
}
