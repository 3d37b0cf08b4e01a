/*
 * xpio: the guest's port and memory accesses for make xen's scenarios,
 * through /dev/port and /dev/mem as any root process of the guest can.
 * Built static by scripts/xen-run.sh and put in the guests' initramfs.
 *
 *   xpio inb PORT            print the byte read from PORT
 *   xpio outb PORT VALUE     write one byte to PORT
 *   xpio peek ADDR           print the byte at physical ADDR (/dev/mem)
 *   xpio poke ADDR VALUE     write one byte at physical ADDR (/dev/mem)
 *   xpio log PORT LINES LEN  write LINES lines of LEN bytes ("flood line
 *                            N xxx", cut to LEN - 1, and a newline), one
 *                            byte per write to PORT (LINES 0: until killed)
 * Numbers in C notation (0x12, 18). /dev/port moves to the next port with
 * each byte of a longer write, so every byte is a write of its own.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

static unsigned long num(const char *s)
{
    char *end;
    unsigned long v = strtoul(s, &end, 0);

    if (!*s || *end) {
        fprintf(stderr, "xpio: not a number: %s\n", s);
        exit(2);
    }
    return v;
}

static int open_or_die(const char *path)
{
    int fd = open(path, O_RDWR | O_SYNC);

    if (fd < 0) {
        fprintf(stderr, "xpio: %s: %s\n", path, strerror(errno));
        exit(1);
    }
    return fd;
}

/* the page of ADDR, mapped through /dev/mem */
static volatile unsigned char *mem_byte(unsigned long addr)
{
    int fd = open_or_die("/dev/mem");
    long pg = sysconf(_SC_PAGESIZE);
    unsigned char *p = mmap(NULL, pg, PROT_READ | PROT_WRITE, MAP_SHARED, fd,
                            addr & ~(pg - 1));

    if (p == MAP_FAILED) {
        fprintf(stderr, "xpio: mmap /dev/mem at 0x%lx: %s\n", addr,
                strerror(errno));
        exit(1);
    }
    return p + (addr & (pg - 1));
}

int main(int argc, char **argv)
{
    const char *cmd = argc > 1 ? argv[1] : "";
    unsigned char b;
    int fd;

    if (!strcmp(cmd, "inb") && argc == 3) {
        fd = open_or_die("/dev/port");
        if (pread(fd, &b, 1, num(argv[2])) != 1) {
            perror("xpio: read /dev/port");
            return 1;
        }
        printf("0x%02x\n", b);
    } else if (!strcmp(cmd, "outb") && argc == 4) {
        fd = open_or_die("/dev/port");
        b = num(argv[3]);
        if (pwrite(fd, &b, 1, num(argv[2])) != 1) {
            perror("xpio: write /dev/port");
            return 1;
        }
    } else if (!strcmp(cmd, "peek") && argc == 3) {
        printf("0x%02x\n", *mem_byte(num(argv[2])));
    } else if (!strcmp(cmd, "poke") && argc == 4) {
        *mem_byte(num(argv[2])) = num(argv[3]);
    } else if (!strcmp(cmd, "log") && argc == 5) {
        unsigned long port = num(argv[2]), lines = num(argv[3]);
        unsigned long len = num(argv[4]), i, j;
        char line[64];

        fd = open_or_die("/dev/port");
        for (i = 0; !lines || i < lines; i++) {
            snprintf(line, sizeof(line), "flood line %lu ", i);
            for (j = 0; j < len; j++) {
                b = j + 1 == len ? '\n' : j < strlen(line) ? line[j] : 'x';
                if (pwrite(fd, &b, 1, port) != 1) {
                    perror("xpio: write /dev/port");
                    return 1;
                }
            }
        }
    } else {
        fprintf(stderr, "usage: xpio inb PORT | outb PORT VALUE | peek ADDR |"
                " poke ADDR VALUE | log PORT LINES LEN\n");
        return 2;
    }
    return 0;
}
