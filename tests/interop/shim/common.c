/*
 * The interop shim's common part: printk, the string functions the kernel
 * file uses, parse_early_param(), the Xen domain predicates and the order
 * in which the kernel calls the driver.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include <shim.h>
#include <xen/xen.h>

/* An HVM guest (not PVH): what init_hvm_pv_info() establishes */
enum xen_domain_type xen_domain_type = XEN_HVM_DOMAIN;
bool xen_pvh = false;

size_t strlen(const char *s)
{
    size_t n = 0;

    while (s[n]) {
        n++;
    }
    return n;
}

char *strchr(const char *s, int c)
{
    for (;; s++) {
        if (*s == (char)c) {
            return (char *)s;
        }
        if (!*s) {
            return NULL;
        }
    }
}

int strncmp(const char *a, const char *b, size_t n)
{
    for (; n; n--, a++, b++) {
        if (*a != *b) {
            return (unsigned char)*a - (unsigned char)*b;
        }
        if (!*a) {
            return 0;
        }
    }
    return 0;
}

int strcmp(const char *a, const char *b)
{
    return strncmp(a, b, (size_t)-1);
}

char *strstr(const char *h, const char *n)
{
    size_t l = strlen(n);

    for (; *h; h++) {
        if (!strncmp(h, n, l)) {
            return (char *)h;
        }
    }
    return l ? NULL : (char *)h;
}

void *memcpy(void *d, const void *s, size_t n)
{
    char *dp = d;
    const char *sp = s;

    while (n--) {
        *dp++ = *sp++;
    }
    return d;
}

void *memset(void *d, int c, size_t n)
{
    char *dp = d;

    while (n--) {
        *dp++ = c;
    }
    return d;
}

static void put(char *buf, size_t size, size_t *pos, char c)
{
    if (*pos + 1 < size) {
        buf[*pos] = c;
    }
    (*pos)++;
}

int shim_vsnprintf(char *buf, size_t size, const char *fmt, va_list ap)
{
    size_t pos = 0;

    for (; *fmt; fmt++) {
        char tmp[24];
        int n = 0, base = 10, neg = 0;
        unsigned long v;
        const char *s;

        if (*fmt != '%') {
            put(buf, size, &pos, *fmt);
            continue;
        }
        fmt++;
        switch (*fmt) {
        case 's':
            s = va_arg(ap, const char *);
            for (s = s ? s : "(null)"; *s; s++) {
                put(buf, size, &pos, *s);
            }
            continue;
        case 'c':
            put(buf, size, &pos, (char)va_arg(ap, int));
            continue;
        case 'd':
        case 'i': {
            int i = va_arg(ap, int);
            neg = i < 0;
            v = neg ? 0ul - (unsigned long)i : (unsigned long)i;
            break;
        }
        case 'u':
            v = va_arg(ap, unsigned int);
            break;
        case 'x':
            v = va_arg(ap, unsigned int);
            base = 16;
            break;
        case '%':
            put(buf, size, &pos, '%');
            continue;
        default:
            put(buf, size, &pos, '%');
            put(buf, size, &pos, *fmt);
            continue;
        }
        do {
            tmp[n++] = "0123456789abcdef"[v % base];
            v /= base;
        } while (v);
        if (neg) {
            put(buf, size, &pos, '-');
        }
        while (n) {
            put(buf, size, &pos, tmp[--n]);
        }
    }
    if (size) {
        buf[pos < size ? pos : size - 1] = 0;
    }
    return pos;
}

int printk(const char *fmt, ...)
{
    char buf[512];
    va_list ap;
    int n;

    va_start(ap, fmt);
    n = shim_vsnprintf(buf, sizeof(buf), fmt, ap);
    va_end(ap);
    for (const char *p = buf; *p; p++) {
        shim_putc(*p);
    }
    return n;
}

/* As the kernel's parse_early_param(): each "name=value" word of the
 * command line whose name an early_param() registered calls its function
 * with the value. */
void shim_parse_early_params(char *cmdline)
{
    char *p = cmdline;
    size_t l = strlen(shim_early_param.name);

    while (*p) {
        char *end;

        while (*p == ' ') {
            p++;
        }
        end = strchr(p, ' ');
        if (end) {
            *end = 0;
        }
        if (!strncmp(p, shim_early_param.name, l) && p[l] == '=') {
            shim_early_param.fn(p + l + 1);
        }
        if (!end) {
            break;
        }
        p = end + 1;
    }
}

/*
 * What the kernel does on an HVM guest: setup_arch() runs
 * parse_early_param(), then init_hypervisor_platform() runs
 * xen_hvm_guest_init(), which calls xen_unplug_emulated_devices().
 * After every resume (migration, save/restore) xen_hvm_post_suspend()
 * calls it again; "interop.resume=1" on the command line does that too.
 */
void shim_run(char *cmdline)
{
    bool resume = strstr(cmdline, "interop.resume=1") != NULL;

    printk("shim: command line \"%s\"\n", cmdline);
    shim_parse_early_params(cmdline);
    printk("shim: xen_hvm_guest_init: xen_unplug_emulated_devices()\n");
    xen_unplug_emulated_devices();
    if (resume) {
        printk("shim: xen_hvm_post_suspend: xen_unplug_emulated_devices()\n");
        xen_unplug_emulated_devices();
    }
    printk("shim: xen_has_pv_devices=%d disk=%d nic=%d pv_and_legacy_disk=%d\n",
           xen_has_pv_devices(), xen_has_pv_disk_devices(),
           xen_has_pv_nic_devices(), xen_has_pv_and_legacy_disk_devices());
    printk("shim: done\n");
}
