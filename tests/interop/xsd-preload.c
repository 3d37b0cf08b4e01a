/*
 * LD_PRELOAD library that lets Debian's real xenstored and oxenstored
 * (xen-utils-4.17) serve their Unix socket on a machine without Xen.
 *
 * It stubs only what the daemons need from the hypervisor:
 *  - xc_interface_open/close and the few xc_* queries they make at start,
 *  - the xenevtchn handle (an fd that never becomes readable, fake ports),
 *  - the xengnttab handle (no grant is ever mapped),
 *  - /proc/xen/xsd_port (a port number; no newline, for oxenstored) and
 *    /proc/xen/xsd_kva (a zeroed page standing for dom0's ring page),
 *  - setrlimit(RLIMIT_NOFILE) capped at the hard limit (oxenstored asks for
 *    more than an unprivileged container allows),
 *  - the compiled-in socket path /var/run/xenstored/socket (and
 *    /run/xenstored/...), redirected to $XSD_PRELOAD_SOCKET for bind(),
 *    unlink() and connect().
 * Every socket client is then dom0 with full access: the store logic,
 * permissions, watches and transactions are the daemons' own.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

static int dummy_handle;
static int evtchn_pipe[2] = { -1, -1 };

/* libxenctrl */
void *xc_interface_open(void *logger, void *dombuild_logger, unsigned flags)
{
    return &dummy_handle;
}
int xc_interface_close(void *xch) { return 0; }
int xc_domain_getinfo(void *xch, uint32_t first, unsigned int max, void *info)
{
    return 0;           /* no domain but dom0's socket clients */
}
int xc_domain_getinfolist(void *xch, uint32_t first, unsigned int max,
                          void *info)
{
    return 0;
}

/* libxenevtchn */
static void *evtchn_open(void)
{
    if (evtchn_pipe[0] < 0 && pipe(evtchn_pipe) < 0) {
        return NULL;
    }
    return &dummy_handle;
}
void *xenevtchn_open(void *logger, unsigned flags) { return evtchn_open(); }
void *xenevtchn_fdopen(void *logger, int fd, unsigned flags)
{
    return evtchn_open();
}
int xenevtchn_close(void *xce) { return 0; }
int xenevtchn_fd(void *xce) { return evtchn_pipe[0]; }
int xenevtchn_bind_virq(void *xce, unsigned int virq) { return 100; }
int xenevtchn_bind_interdomain(void *xce, uint32_t domid, unsigned port)
{
    return 101;
}
int xenevtchn_unbind(void *xce, unsigned port) { return 0; }
int xenevtchn_notify(void *xce, unsigned port) { return 0; }
int xenevtchn_pending(void *xce) { errno = EAGAIN; return -1; }
int xenevtchn_unmask(void *xce, unsigned port) { return 0; }

/* libxengnttab */
void *xengnttab_open(void *logger, unsigned flags) { return &dummy_handle; }
int xengnttab_close(void *xgt) { return 0; }
int xengnttab_set_max_grants(void *xgt, uint32_t n) { return 0; }
void *xengnttab_map_grant_ref(void *xgt, uint32_t domid, uint32_t ref,
                              int prot)
{
    errno = ENOSYS;
    return NULL;
}
int xengnttab_unmap(void *xgt, void *addr, uint32_t count) { return 0; }

/* /proc/xen/xsd_port and /proc/xen/xsd_kva */
static int fake_proc(const char *path)
{
    int fd;

    if (!path) {
        return -2;
    }
    if (!strcmp(path, "/proc/xen/xsd_port")) {
        fd = memfd_create("xsd_port", 0);
        if (fd >= 0) {
            (void)!write(fd, "1", 1);      /* no newline: oxenstored */
            lseek(fd, 0, SEEK_SET);
        }
        return fd;
    }
    if (!strcmp(path, "/proc/xen/xsd_kva")) {
        fd = memfd_create("xsd_kva", 0);
        if (fd >= 0 && ftruncate(fd, 4096) < 0) {
            close(fd);
            return -1;
        }
        return fd;
    }
    return -2;
}

#define REAL(name) \
    static __typeof__(name) *real_##name; \
    if (!real_##name) real_##name = dlsym(RTLD_NEXT, #name)

int open(const char *path, int flags, ...)
{
    mode_t mode = 0;
    int fd = fake_proc(path);
    va_list ap;
    REAL(open);

    if (fd != -2) {
        return fd;
    }
    va_start(ap, flags);
    if (flags & (O_CREAT | O_TMPFILE)) {
        mode = va_arg(ap, mode_t);
    }
    va_end(ap);
    return real_open(path, flags, mode);
}

int open64(const char *path, int flags, ...)
{
    mode_t mode = 0;
    int fd = fake_proc(path);
    va_list ap;
    REAL(open64);

    if (fd != -2) {
        return fd;
    }
    va_start(ap, flags);
    if (flags & (O_CREAT | O_TMPFILE)) {
        mode = va_arg(ap, mode_t);
    }
    va_end(ap);
    return real_open64(path, flags, mode);
}

FILE *fopen(const char *path, const char *mode)
{
    int fd = fake_proc(path);
    REAL(fopen);

    if (fd >= 0) {
        return fdopen(fd, mode);
    }
    return real_fopen(path, mode);
}

FILE *fopen64(const char *path, const char *mode)
{
    return fopen(path, mode);
}

int setrlimit(__rlimit_resource_t res, const struct rlimit *rl)
{
    struct rlimit capped = *rl, cur;
    REAL(setrlimit);

    if (res == RLIMIT_NOFILE && getrlimit(res, &cur) == 0) {
        if (capped.rlim_max > cur.rlim_max) {
            capped.rlim_max = cur.rlim_max;
        }
        if (capped.rlim_cur > capped.rlim_max) {
            capped.rlim_cur = capped.rlim_max;
        }
    }
    return real_setrlimit(res, &capped);
}

/* The compiled-in socket path */
static const char *redirect(const char *path)
{
    const char *sock = getenv("XSD_PRELOAD_SOCKET");

    if (sock && path &&
        (!strncmp(path, "/var/run/xenstored/", 19) ||
         !strncmp(path, "/run/xenstored/", 15))) {
        return sock;
    }
    return path;
}

static const struct sockaddr *redirect_addr(const struct sockaddr *sa,
                                            socklen_t *len,
                                            struct sockaddr_un *buf)
{
    const struct sockaddr_un *un = (const struct sockaddr_un *)sa;
    const char *to;

    if (!sa || sa->sa_family != AF_UNIX) {
        return sa;
    }
    to = redirect(un->sun_path);
    if (to == un->sun_path || strlen(to) >= sizeof(buf->sun_path)) {
        return sa;
    }
    memset(buf, 0, sizeof(*buf));
    buf->sun_family = AF_UNIX;
    strcpy(buf->sun_path, to);
    *len = sizeof(*buf);
    return (const struct sockaddr *)buf;
}

int bind(int fd, const struct sockaddr *sa, socklen_t len)
{
    struct sockaddr_un buf;
    REAL(bind);

    sa = redirect_addr(sa, &len, &buf);
    return real_bind(fd, sa, len);
}

int connect(int fd, const struct sockaddr *sa, socklen_t len)
{
    struct sockaddr_un buf;
    REAL(connect);

    sa = redirect_addr(sa, &len, &buf);
    return real_connect(fd, sa, len);
}

int unlink(const char *path)
{
    REAL(unlink);
    return real_unlink(redirect(path));
}
