/*
 * A xenstore wire-protocol peer for qtests, serving QEMU's own xenstore
 *
 * Copyright (c) 2026 Xen platform series <xen-platform@localhost>
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "qemu/osdep.h"

#include <glib-unix.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>

/*
 * The store is QEMU's own, the one KVM's Xen emulation serves to guests
 * (hw/i386/kvm/xenstore_impl.c), built into the test as
 * tests/unit/test-xs-node.c builds it; this file adds the socket side of
 * xenstored's wire protocol, as a dom0 client sees it, and the faults a
 * test needs.
 */
#define __XEN_PUBLIC_XEN_H__
typedef unsigned long xen_pfn_t;
#include "hw/i386/kvm/xenstore_impl.c"

#include "libqtest.h"
#include "xenstore-peer.h"

/* Every socket client is dom0, as with xenstored */
#define XS_PEER_DOMID 0

typedef struct XsPeerWatch {
    char *path;         /* as the client registered it */
    char *token;
} XsPeerWatch;

typedef struct XsConn {
    XsPeer *peer;
    int fd;

    /* Only touched by the peer thread. */
    GByteArray *in;     /* received bytes not yet handled */
    bool closing;       /* read no more; close once the output is out */
    bool eof;

    /* Protected by XsPeer.lock. */
    GPtrArray *watches;     /* XsPeerWatch */
    GByteArray *held;       /* events of a new watch, sent after its OK */
    bool holding;

    /*
     * Protected by write_lock, which any thread sending on the connection
     * holds (the peer thread for replies, whichever thread changed the store
     * for watch events).  Taken after XsPeer.lock, never before it.
     */
    GMutex write_lock;
    GByteArray *out;    /* queued bytes not yet sent */
    bool broken;        /* sending failed: the peer thread closes it */
} XsConn;

struct XsPeer {
    char *socket_path;
    int listen_fd;
    int wake_fds[2];
    GThread *thread;

    GMutex lock;        /* protects everything below */
    XenstoreImplState *store;
    GString *log;
    GPtrArray *conns;   /* XsConn; changed only by the peer thread */
    const char *error;  /* answer to every request but (UN)WATCH, if set */
    bool silent;        /* answer nothing at all */
    GCond logged;       /* signalled when the log grows */
    bool stopping;
    unsigned connections;
};

static void xs_peer_watch_free(gpointer opaque)
{
    XsPeerWatch *w = opaque;

    g_free(w->path);
    g_free(w->token);
    g_free(w);
}

static void xs_peer_wake(XsPeer *p)
{
    static const char byte = 1;
    ssize_t r;

    do {
        r = write(p->wake_fds[1], &byte, 1);
    } while (r < 0 && errno == EINTR);
    /* EAGAIN: the pipe is full, so the thread is woken anyway */
}

/*
 * Sending
 */

/* Send what can be sent now without blocking.  Called with write_lock. */
static void xs_conn_flush_locked(XsConn *c)
{
    while (c->out->len && !c->broken) {
        ssize_t r = send(c->fd, c->out->data, c->out->len,
                         MSG_NOSIGNAL | MSG_DONTWAIT);

        if (r < 0) {
            if (errno == EINTR) {
                continue;
            }
            if (errno != EAGAIN && errno != EWOULDBLOCK) {
                c->broken = true;
                g_byte_array_set_size(c->out, 0);
            }
            break;
        }
        g_byte_array_remove_range(c->out, 0, r);
    }
}

/*
 * Queue one message and send as much as possible at once.  The rest is
 * sent by the peer thread when the socket can take it.
 */
static void xs_conn_send(XsPeer *p, XsConn *c, uint32_t type,
                         uint32_t req_id, uint32_t tx_id,
                         const void *payload, uint32_t len)
{
    struct xsd_sockmsg hdr = {
        .type = type,
        .req_id = req_id,
        .tx_id = tx_id,
        .len = len,
    };
    bool wake;

    g_mutex_lock(&c->write_lock);
    if (!c->broken) {
        g_byte_array_append(c->out, (const guint8 *)&hdr, sizeof(hdr));
        if (len) {
            g_byte_array_append(c->out, payload, len);
        }
        xs_conn_flush_locked(c);
    }
    wake = c->out->len || c->broken;
    g_mutex_unlock(&c->write_lock);

    if (wake) {
        xs_peer_wake(p);
    }
}

static void xs_conn_send_error(XsPeer *p, XsConn *c,
                               const struct xsd_sockmsg *req,
                               const char *err)
{
    xs_conn_send(p, c, XS_ERROR, req->req_id, req->tx_id, err,
                 strlen(err) + 1);
}

static void xs_conn_send_string(XsPeer *p, XsConn *c,
                                const struct xsd_sockmsg *req,
                                const char *str)
{
    xs_conn_send(p, c, req->type, req->req_id, req->tx_id, str,
                 strlen(str) + 1);
}

static void xs_conn_send_event(XsPeer *p, XsConn *c, const char *path,
                               const char *token)
{
    size_t plen = strlen(path) + 1;
    size_t tlen = strlen(token) + 1;
    g_autofree char *buf = g_malloc(plen + tlen);

    memcpy(buf, path, plen);
    memcpy(buf + plen, token, tlen);
    xs_conn_send(p, c, XS_WATCH_EVENT, 0, 0, buf, plen + tlen);
}

/*
 * Watches, with XsPeer.lock held: the store calls this when a watched node
 * changes, with the path to report (relative if the watch was)
 */
static void xs_peer_watch_fired(void *opaque, const char *path,
                                const char *token)
{
    XsConn *c = opaque;
    size_t plen = strlen(path) + 1;
    size_t tlen = strlen(token) + 1;

    if (c->holding) {
        g_byte_array_append(c->held, (const guint8 *)path, plen);
        g_byte_array_append(c->held, (const guint8 *)token, tlen);
        return;
    }
    xs_conn_send_event(c->peer, c, path, token);
}

static void xs_conn_unwatch_all(XsPeer *p, XsConn *c)
{
    for (guint i = 0; i < c->watches->len; i++) {
        XsPeerWatch *w = g_ptr_array_index(c->watches, i);

        xs_impl_unwatch(p->store, XS_PEER_DOMID, w->path, w->token,
                        xs_peer_watch_fired, c);
    }
    g_ptr_array_set_size(c->watches, 0);
}

/*
 * Requests
 */

/*
 * The @n-th NUL-terminated string of a payload (a final string may lack its
 * NUL), or NULL if there are not that many.
 */
static char *xs_payload_string(const uint8_t *data, uint32_t len,
                               unsigned n)
{
    uint32_t start = 0;

    for (;;) {
        const uint8_t *nul;
        uint32_t slen;

        if (start >= len) {
            return NULL;
        }
        nul = memchr(data + start, 0, len - start);
        slen = nul ? nul - (data + start) : len - start;
        if (!n--) {
            return g_strndup((const char *)data + start, slen);
        }
        start += slen + 1;
    }
}

static void xs_conn_send_errno(XsPeer *p, XsConn *c,
                               const struct xsd_sockmsg *req, int err)
{
    const char *name = "EIO";

    for (unsigned i = 0; i < ARRAY_SIZE(xsd_errors); i++) {
        if (xsd_errors[i].errnum == err) {
            name = xsd_errors[i].errstring;
            break;
        }
    }
    xs_conn_send_error(p, c, req, name);
}

/* Handle one complete request, with XsPeer.lock held. */
static void xs_peer_handle(XsPeer *p, XsConn *c,
                           const struct xsd_sockmsg *req,
                           const uint8_t *data)
{
    g_autofree char *arg0 = xs_payload_string(data, req->len, 0);
    g_autofree char *arg1 = xs_payload_string(data, req->len, 1);
    XenstoreImplState *s = p->store;
    unsigned int dom = XS_PEER_DOMID;
    xs_transaction_t tx = req->tx_id;
    int err = 0;

    switch (req->type) {
    case XS_READ:
        g_string_append_printf(p->log, "READ %s\n", arg0 ? arg0 : "");
        break;
    case XS_DIRECTORY:
        g_string_append_printf(p->log, "DIRECTORY %s\n", arg0 ? arg0 : "");
        break;
    case XS_WATCH:
        g_string_append_printf(p->log, "WATCH %s\n", arg0 ? arg0 : "");
        break;
    }
    g_cond_broadcast(&p->logged);

    if (p->silent) {
        return;
    }
    if (p->error && req->type != XS_WATCH && req->type != XS_UNWATCH) {
        xs_conn_send_error(p, c, req, p->error);
        return;
    }
    if (!arg0) {
        xs_conn_send_error(p, c, req, "EINVAL");
        return;
    }

    switch (req->type) {
    case XS_READ: {
        g_autoptr(GByteArray) value = g_byte_array_new();

        err = xs_impl_read(s, dom, tx, arg0, value);
        if (!err) {
            xs_conn_send(p, c, XS_READ, req->req_id, req->tx_id,
                         value->data, value->len);
            return;
        }
        break;
    }

    case XS_DIRECTORY: {
        g_autoptr(GByteArray) names = g_byte_array_new();
        uint64_t gencnt;
        GList *items = NULL, *l;

        err = xs_impl_directory(s, dom, tx, arg0, &gencnt, &items);
        if (!err) {
            for (l = items; l; l = l->next) {
                g_byte_array_append(names, l->data, strlen(l->data) + 1);
            }
            g_list_free_full(items, g_free);
            xs_conn_send(p, c, XS_DIRECTORY, req->req_id, req->tx_id,
                         names->data, names->len);
            return;
        }
        break;
    }

    case XS_WATCH:
        if (!arg1) {
            err = EINVAL;
            break;
        }
        /* the store fires a new watch at once: after the OK, as xenstored */
        c->holding = true;
        err = xs_impl_watch(s, dom, arg0, arg1, xs_peer_watch_fired, c);
        c->holding = false;
        if (!err) {
            XsPeerWatch *w = g_new0(XsPeerWatch, 1);
            g_autoptr(GByteArray) held = c->held;

            w->path = g_strdup(arg0);
            w->token = g_strdup(arg1);
            g_ptr_array_add(c->watches, w);
            xs_conn_send_string(p, c, req, "OK");
            c->held = g_byte_array_new();
            for (guint off = 0; off < held->len;) {
                const char *path = (const char *)held->data + off;
                const char *token = path + strlen(path) + 1;

                xs_conn_send_event(p, c, path, token);
                off = token + strlen(token) + 1 - (const char *)held->data;
            }
            return;
        }
        g_byte_array_set_size(c->held, 0);
        break;

    case XS_UNWATCH:
        if (!arg1) {
            err = EINVAL;
            break;
        }
        err = xs_impl_unwatch(s, dom, arg0, arg1, xs_peer_watch_fired, c);
        for (guint i = 0; !err && i < c->watches->len; i++) {
            XsPeerWatch *w = g_ptr_array_index(c->watches, i);

            if (!strcmp(w->path, arg0) && !strcmp(w->token, arg1)) {
                g_ptr_array_remove_index(c->watches, i);
                break;
            }
        }
        break;

    default:
        err = ENOSYS;
        break;
    }

    if (err) {
        xs_conn_send_errno(p, c, req, err);
    } else {
        xs_conn_send_string(p, c, req, "OK");
    }
}

/*
 * Connections, in the peer thread
 */

/* Handle every complete request received so far. */
static void xs_conn_process(XsPeer *p, XsConn *c)
{
    struct xsd_sockmsg hdr;

    while (!c->closing && c->in->len >= sizeof(hdr)) {
        memcpy(&hdr, c->in->data, sizeof(hdr));
        if (hdr.len > XENSTORE_PAYLOAD_MAX) {
            /* Like xenstored: refuse it and drop the connection */
            g_mutex_lock(&p->lock);
            xs_conn_send_error(p, c, &hdr, "E2BIG");
            g_mutex_unlock(&p->lock);
            c->closing = true;
            g_byte_array_set_size(c->in, 0);
            return;
        }
        if (c->in->len < sizeof(hdr) + hdr.len) {
            return;
        }
        g_mutex_lock(&p->lock);
        xs_peer_handle(p, c, &hdr, c->in->data + sizeof(hdr));
        g_mutex_unlock(&p->lock);
        g_byte_array_remove_range(c->in, 0, sizeof(hdr) + hdr.len);
    }
}

static void xs_conn_read(XsPeer *p, XsConn *c)
{
    uint8_t buf[4096];
    ssize_t r;

    do {
        r = recv(c->fd, buf, sizeof(buf), MSG_DONTWAIT);
    } while (r < 0 && errno == EINTR);

    if (r < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
        return;
    }
    if (r <= 0) {
        c->eof = true;
        return;
    }
    g_byte_array_append(c->in, buf, r);
    xs_conn_process(p, c);
}

static void xs_conn_free(XsPeer *p, XsConn *c)
{
    xs_conn_unwatch_all(p, c);
    close(c->fd);
    g_byte_array_unref(c->in);
    g_byte_array_unref(c->out);
    g_byte_array_unref(c->held);
    g_ptr_array_unref(c->watches);
    g_mutex_clear(&c->write_lock);
    g_free(c);
}

static void xs_peer_accept(XsPeer *p)
{
    XsConn *c;
    int fd;

    do {
        fd = accept(p->listen_fd, NULL, NULL);
    } while (fd < 0 && errno == EINTR);
    if (fd < 0) {
        return;
    }
    fcntl(fd, F_SETFD, FD_CLOEXEC);

    c = g_new0(XsConn, 1);
    c->peer = p;
    c->fd = fd;
    c->in = g_byte_array_new();
    c->out = g_byte_array_new();
    c->held = g_byte_array_new();
    c->watches = g_ptr_array_new_with_free_func(xs_peer_watch_free);
    g_mutex_init(&c->write_lock);

    g_mutex_lock(&p->lock);
    g_ptr_array_add(p->conns, c);
    p->connections++;
    g_mutex_unlock(&p->lock);
}

static gpointer xs_peer_thread(gpointer opaque)
{
    XsPeer *p = opaque;
    g_autofree struct pollfd *pfds = NULL;

    for (;;) {
        guint nconns;
        int r;

        g_mutex_lock(&p->lock);
        if (p->stopping) {
            g_mutex_unlock(&p->lock);
            break;
        }
        nconns = p->conns->len;
        pfds = g_renew(struct pollfd, pfds, nconns + 2);
        pfds[0] = (struct pollfd) { .fd = p->wake_fds[0], .events = POLLIN };
        pfds[1] = (struct pollfd) { .fd = p->listen_fd, .events = POLLIN };
        for (guint i = 0; i < nconns; i++) {
            XsConn *c = g_ptr_array_index(p->conns, i);
            short events = c->closing ? 0 : POLLIN;

            g_mutex_lock(&c->write_lock);
            if (c->out->len) {
                events |= POLLOUT;
            }
            g_mutex_unlock(&c->write_lock);
            pfds[i + 2] = (struct pollfd) { .fd = c->fd, .events = events };
        }
        g_mutex_unlock(&p->lock);

        r = poll(pfds, nconns + 2, -1);
        if (r < 0) {
            g_assert(errno == EINTR);
            continue;
        }

        if (pfds[0].revents) {
            char buf[64];

            while (read(p->wake_fds[0], buf, sizeof(buf)) > 0) {
                /* drain */
            }
        }

        /* Only this thread changes p->conns, so the indices still hold */
        for (guint i = 0; i < nconns; i++) {
            XsConn *c = g_ptr_array_index(p->conns, i);
            short revents = pfds[i + 2].revents;

            if (revents & POLLOUT) {
                g_mutex_lock(&c->write_lock);
                xs_conn_flush_locked(c);
                g_mutex_unlock(&c->write_lock);
            }
            if (revents & (POLLERR | POLLNVAL)) {
                c->eof = true;
            } else if (revents & (POLLIN | POLLHUP)) {
                if (c->closing) {
                    c->eof = true;
                } else {
                    xs_conn_read(p, c);
                }
            }
        }

        /* Drop the connections that are done with */
        g_mutex_lock(&p->lock);
        for (guint i = nconns; i-- > 0;) {
            XsConn *c = g_ptr_array_index(p->conns, i);
            bool done;

            g_mutex_lock(&c->write_lock);
            done = c->eof || c->broken || (c->closing && !c->out->len);
            g_mutex_unlock(&c->write_lock);
            if (done) {
                g_ptr_array_remove_index(p->conns, i);
                xs_conn_free(p, c);
            }
        }
        g_mutex_unlock(&p->lock);

        if (pfds[1].revents & POLLIN) {
            xs_peer_accept(p);
        }
    }

    g_mutex_lock(&p->lock);
    while (p->conns->len) {
        xs_conn_free(p, g_ptr_array_steal_index(p->conns,
                                        p->conns->len - 1));
    }
    g_mutex_unlock(&p->lock);
    close(p->listen_fd);
    p->listen_fd = -1;
    return NULL;
}

/*
 * The test side
 */

XsPeer *xs_peer_start(const char *socket_path)
{
    XsPeer *p = g_new0(XsPeer, 1);
    struct sockaddr_un addr = { .sun_family = AF_UNIX };
    g_autoptr(GError) err = NULL;

    g_assert(strlen(socket_path) < sizeof(addr.sun_path));
    memcpy(addr.sun_path, socket_path, strlen(socket_path) + 1);

    p->socket_path = g_strdup(socket_path);
    p->store = xs_impl_create(XS_PEER_DOMID);
    p->log = g_string_new("");
    p->conns = g_ptr_array_new();
    g_mutex_init(&p->lock);
    g_cond_init(&p->logged);

    if (!g_unix_open_pipe(p->wake_fds, FD_CLOEXEC, &err)) {
        g_error("xs_peer_start: pipe: %s", err->message);
    }
    if (!g_unix_set_fd_nonblocking(p->wake_fds[0], true, NULL) ||
        !g_unix_set_fd_nonblocking(p->wake_fds[1], true, NULL)) {
        g_error("xs_peer_start: pipe: %s", g_strerror(errno));
    }

    p->listen_fd = socket(AF_UNIX, SOCK_STREAM, 0);
    g_assert(p->listen_fd >= 0);
    fcntl(p->listen_fd, F_SETFD, FD_CLOEXEC);
    unlink(socket_path);
    if (bind(p->listen_fd, (struct sockaddr *)&addr, sizeof(addr)) < 0 ||
        listen(p->listen_fd, 16) < 0) {
        g_error("xs_peer_start: %s: %s", socket_path, g_strerror(errno));
    }

    p->thread = g_thread_new("xenstore-peer", xs_peer_thread, p);
    return p;
}

void xs_peer_stop(XsPeer *p)
{
    if (!p) {
        return;
    }

    g_mutex_lock(&p->lock);
    p->stopping = true;
    g_mutex_unlock(&p->lock);
    xs_peer_wake(p);
    g_thread_join(p->thread);

    close(p->wake_fds[0]);
    close(p->wake_fds[1]);
    unlink(p->socket_path);
    g_ptr_array_unref(p->conns);
    g_string_free(p->log, true);
    /* The store has no destructor: a test process lives briefly */
    g_mutex_clear(&p->lock);
    g_free(p->socket_path);
    g_free(p);
}

void xs_peer_write(XsPeer *p, const char *path, const char *value)
{
    g_autoptr(GByteArray) data = g_byte_array_new();

    g_byte_array_append(data, (const guint8 *)value, strlen(value));
    g_mutex_lock(&p->lock);
    g_assert_cmpint(xs_impl_write(p->store, XS_PEER_DOMID, XBT_NULL, path,
                                  data), ==, 0);
    g_mutex_unlock(&p->lock);
}

void xs_peer_rm(XsPeer *p, const char *path)
{
    int err;

    g_mutex_lock(&p->lock);
    err = xs_impl_rm(p->store, XS_PEER_DOMID, XBT_NULL, path);
    g_mutex_unlock(&p->lock);
    g_assert(!err || err == ENOENT);
}

void xs_peer_set_error(XsPeer *p, const char *error)
{
    g_mutex_lock(&p->lock);
    p->error = error;
    g_mutex_unlock(&p->lock);
}

void xs_peer_set_failing(XsPeer *p, bool failing)
{
    xs_peer_set_error(p, failing ? "EIO" : NULL);
}

void xs_peer_set_silent(XsPeer *p, bool silent)
{
    g_mutex_lock(&p->lock);
    p->silent = silent;
    g_mutex_unlock(&p->lock);
}

bool xs_peer_wait_log(XsPeer *p, const char *line, unsigned timeout_ms)
{
    gint64 end = g_get_monotonic_time() + timeout_ms * G_TIME_SPAN_MILLISECOND;
    g_autofree char *want = g_strdup_printf("%s\n", line);
    bool found;

    g_mutex_lock(&p->lock);
    while (!(found = strstr(p->log->str, want)) &&
           g_cond_wait_until(&p->logged, &p->lock, end)) {
        /* the log grew: look again */
    }
    g_mutex_unlock(&p->lock);
    return found;
}

char *xs_peer_take_log(XsPeer *p)
{
    char *log;

    g_mutex_lock(&p->lock);
    log = g_strdup(p->log->str);
    g_string_truncate(p->log, 0);
    g_mutex_unlock(&p->lock);
    return log;
}

char *xs_peer_take_reads(XsPeer *p)
{
    g_autofree char *log = xs_peer_take_log(p);
    g_auto(GStrv) lines = g_strsplit(log, "\n", -1);
    GString *s = g_string_new("");
    int i;

    for (i = 0; lines[i]; i++) {
        if (g_str_has_prefix(lines[i], "READ ") ||
            g_str_has_prefix(lines[i], "DIRECTORY ")) {
            g_string_append_printf(s, "%s\n", lines[i]);
        }
    }
    return g_string_free(s, false);
}

unsigned xs_peer_connections(XsPeer *p)
{
    unsigned n;

    g_mutex_lock(&p->lock);
    n = p->connections;
    g_mutex_unlock(&p->lock);
    return n;
}

XsStore *xs_store_start(void)
{
    XsStore *st = g_new0(XsStore, 1);

    st->dir = g_dir_make_tmp("xenstore-peer-XXXXXX", NULL);
    st->path = g_strdup_printf("%s/socket", st->dir);
    st->peer = xs_peer_start(st->path);
    g_setenv("XENSTORED_PATH", st->path, true);
    return st;
}

void xs_store_stop(XsStore *st)
{
    g_unsetenv("XENSTORED_PATH");
    xs_peer_stop(st->peer);
    rmdir(st->dir);
    g_free(st->dir);
    g_free(st->path);
    g_free(st);
}

#ifndef CONFIG_XEN_BACKEND
static void skip_no_xenstore(void)
{
    g_test_skip("QEMU is built without Xen: no libxenstore");
}
#endif

void xs_qtest_add_func(const char *path, void (*fn)(void))
{
#ifdef CONFIG_XEN_BACKEND
    qtest_add_func(path, fn);
#else
    qtest_add_func(path, skip_no_xenstore);
#endif
}

void xs_qtest_add_data_func(const char *path, const void *data,
                            void (*fn)(const void *))
{
#ifdef CONFIG_XEN_BACKEND
    qtest_add_data_func(path, data, fn);
#else
    qtest_add_func(path, skip_no_xenstore);
#endif
}
