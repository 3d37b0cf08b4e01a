/*
 * The host back end of the interop shim: the same kernel file as a host
 * program whose port I/O goes to QEMU over the qtest protocol (file
 * descriptor 3, connected to QEMU's -qtest chardev), so that the real
 * driver code runs against a QEMU under -accel qtest, the one accelerator
 * where the device uses a real xenstore ($XENSTORED_PATH). printk goes to
 * standard output; the kernel command line is argv[1].
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#define _GNU_SOURCE
#include <shim.h>

int dprintf(int fd, const char *fmt, ...);
long read(int fd, void *buf, unsigned long n);
long write(int fd, const void *buf, unsigned long n);
unsigned long strtoul(const char *s, char **end, int base);
void exit(int status);
int fflush(void *f);

int atoi(const char *s);
char *getenv(const char *name);

static int qtest_fd = 3;        /* $INTEROP_QTEST_FD overrides */
#define QTEST_FD qtest_fd

static unsigned long qtest(const char *cmd, uint16_t port, int has_val,
                           uint32_t val)
{
    char line[128];
    size_t n = 0;

    if (has_val) {
        dprintf(QTEST_FD, "%s 0x%x 0x%x\n", cmd, port, val);
    } else {
        dprintf(QTEST_FD, "%s 0x%x\n", cmd, port);
    }
    for (;;) {
        n = 0;
        for (;;) {
            char c;

            if (read(QTEST_FD, &c, 1) != 1) {
                dprintf(2, "host shim: qtest connection closed\n");
                exit(2);
            }
            if (c == '\n') {
                break;
            }
            if (n + 1 < sizeof(line)) {
                line[n++] = c;
            }
        }
        line[n] = 0;
        if (!strncmp(line, "OK", 2)) {
            return n > 3 ? strtoul(line + 3, NULL, 0) : 0;
        }
        if (!strncmp(line, "IRQ", 3)) {
            continue;               /* asynchronous, not an answer */
        }
        dprintf(2, "host shim: qtest answered \"%s\" to %s\n", line, cmd);
        exit(2);
    }
}

uint8_t shim_inb(uint16_t port) { return qtest("inb", port, 0, 0); }
uint16_t shim_inw(uint16_t port) { return qtest("inw", port, 0, 0); }
uint32_t shim_inl(uint16_t port) { return qtest("inl", port, 0, 0); }
void shim_outb(uint8_t v, uint16_t port) { qtest("outb", port, 1, v); }
void shim_outw(uint16_t v, uint16_t port) { qtest("outw", port, 1, v); }
void shim_outl(uint32_t v, uint16_t port) { qtest("outl", port, 1, v); }

void shim_putc(char c)
{
    (void)!write(1, &c, 1);
}

int main(int argc, char **argv)
{
    char cmdline[256] = "";

    if (getenv("INTEROP_QTEST_FD")) {
        qtest_fd = atoi(getenv("INTEROP_QTEST_FD"));
    }
    if (argc > 1) {
        size_t l = strlen(argv[1]);

        if (l >= sizeof(cmdline)) {
            l = sizeof(cmdline) - 1;
        }
        memcpy(cmdline, argv[1], l);
        cmdline[l] = 0;
    }
    shim_run(cmdline);
    return 0;
}
