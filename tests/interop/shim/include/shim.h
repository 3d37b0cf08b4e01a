/*
 * The interop shim: what the kernel gives arch/x86/xen/platform-pci-unplug.c.
 * Two back ends implement it: guest.c (a flat 32-bit image run as -bios,
 * real port I/O) and host.c (a host program doing port I/O over QEMU's
 * qtest protocol). The kernel file itself is compiled unmodified.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#ifndef SHIM_H
#define SHIM_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

typedef _Bool bool;
#define true 1
#define false 0

/* Port I/O, as <asm/io.h>: outX(value, port) */
uint8_t shim_inb(uint16_t port);
uint16_t shim_inw(uint16_t port);
uint32_t shim_inl(uint16_t port);
void shim_outb(uint8_t v, uint16_t port);
void shim_outw(uint16_t v, uint16_t port);
void shim_outl(uint32_t v, uint16_t port);

/* printk goes to the back end's console (debugcon 0xe9, or stdout) */
void shim_putc(char c);
int printk(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
int shim_vsnprintf(char *buf, size_t size, const char *fmt, va_list ap);

size_t strlen(const char *s);
char *strchr(const char *s, int c);
int strncmp(const char *a, const char *b, size_t n);
int strcmp(const char *a, const char *b);
char *strstr(const char *h, const char *n);
void *memcpy(void *d, const void *s, size_t n);
void *memset(void *d, int c, size_t n);

/* early_param(): one per file; the shim calls it as parse_early_param() */
struct shim_early_param {
    const char *name;
    int (*fn)(char *arg);
};
extern const struct shim_early_param shim_early_param;
void shim_parse_early_params(char *cmdline);

/* The driver's entry points (arch/x86/xen/xen-ops.h, xen/platform_pci.h) */
void xen_unplug_emulated_devices(void);
bool xen_has_pv_devices(void);
bool xen_has_pv_disk_devices(void);
bool xen_has_pv_nic_devices(void);
bool xen_has_pv_and_legacy_disk_devices(void);

/* What both back ends run: the kernel's order of calls */
void shim_run(char *cmdline);

#endif
