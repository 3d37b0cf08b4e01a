/*
 * A minimal xenstore wire-protocol peer for qtests
 *
 * Copyright (c) 2026 The xen-platform contributors
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "qemu/osdep.h"

#include <glib-unix.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include "hw/xen/interface/io/xs_wire.h"

#include "xenstore-peer.h"

/* Where a relative path of a dom0 (socket) client lives. */
#define XS_PEER_HOME "/local/domain/0"

typedef struct XsWatch {
    char *path;         /* as the client registered it */
    char *abs;          /* absolute path, or a special "@..." name */
    char *token;
} XsWatch;

typedef struct XsConn {
    int fd;

    /* Only touched by the peer thread. */
    GByteArray *in;     /* received bytes not yet handled */
    bool closing;       /* read no more; close once the output is out */
    bool eof;

    /* Protected by XsPeer.lock. */
    GPtrArray *watches;

    /*
     * Protected by write_lock, which any thread sending on the connection
     * holds (the peer thread for replies, whichever thread changed the tree
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
    GHashTable *nodes;  /* absolute path -> GBytes value */
    GString *log;
    GPtrArray *conns;   /* XsConn; changed only by the peer thread */
    bool failing;
    bool stopping;
    unsigned connections;
};

static void xs_watch_free(gpointer opaque)
{
    XsWatch *w = opaque;

    g_free(w->path);
    g_free(w->abs);
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
 * Paths
 */

/* Absolute form of @path, or NULL if it is not valid. */
static char *xs_path_abs(const char *path)
{
    size_t len = strlen(path);

    if (!len || len > XENSTORE_ABS_PATH_MAX) {
        return NULL;
    }
    if (path[0] == '@') {
        return g_strdup(path);
    }
    if (path[0] != '/') {
        if (len > XENSTORE_REL_PATH_MAX) {
            return NULL;
        }
        return g_strconcat(XS_PEER_HOME "/", path, NULL);
    }
    /* Drop trailing slashes, but "/" stays "/" */
    while (len > 1 && path[len - 1] == '/') {
        len--;
    }
    return g_strndup(path, len);
}

/* Is @node @base itself or below it? */
static bool xs_path_below(const char *node, const char *base)
{
    size_t len = strlen(base);

    if (!strcmp(base, "/")) {
        return node[0] == '/';
    }
    return !strncmp(node, base, len) && (!node[len] || node[len] == '/');
}

/* The parent of the absolute path @abs, which is not "/". */
static char *xs_path_parent(const char *abs)
{
    const char *slash = strrchr(abs, '/');

    return slash == abs ? g_strdup("/") : g_strndup(abs, slash - abs);
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
 * The tree and its watches, all with XsPeer.lock held
 */

/* The path a watch event for the change of @abs reports to @w's owner. */
static const char *xs_watch_event_path(XsWatch *w, const char *abs)
{
    if (w->path[0] != '/' && w->path[0] != '@' &&
        g_str_has_prefix(abs, XS_PEER_HOME "/")) {
        return abs + strlen(XS_PEER_HOME "/");
    }
    return abs;
}

/*
 * Fire the watches on @abs and its ancestors; with @removed also those on
 * nodes below @abs, which report their own path, as xenstored does.
 */
static void xs_peer_fire(XsPeer *p, const char *abs, bool removed)
{
    for (guint i = 0; i < p->conns->len; i++) {
        XsConn *c = g_ptr_array_index(p->conns, i);

        for (guint j = 0; j < c->watches->len; j++) {
            XsWatch *w = g_ptr_array_index(c->watches, j);

            if (xs_path_below(abs, w->abs)) {
                xs_conn_send_event(p, c, xs_watch_event_path(w, abs),
                                   w->token);
            } else if (removed && xs_path_below(w->abs, abs)) {
                xs_conn_send_event(p, c, w->path, w->token);
            }
        }
    }
}

/* Store @value at the absolute path @abs, creating missing parents. */
static void xs_peer_store(XsPeer *p, const char *abs, const void *value,
                          size_t len)
{
    g_autofree char *parent = NULL;

    if (strcmp(abs, "/")) {
        parent = xs_path_parent(abs);
        if (!g_hash_table_contains(p->nodes, parent)) {
            xs_peer_store(p, parent, "", 0);
        }
    }
    g_hash_table_insert(p->nodes, g_strdup(abs), g_bytes_new(value, len));
}

static gboolean xs_node_is_below(gpointer key, gpointer value,
                                 gpointer opaque)
{
    return xs_path_below(key, opaque);
}

/* Remove @abs (not "/") and everything below it. */
static void xs_peer_remove(XsPeer *p, const char *abs)
{
    g_hash_table_foreach_remove(p->nodes, xs_node_is_below, (gpointer)abs);
}

static gint xs_name_compare(gconstpointer a, gconstpointer b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* The names of the children of @abs, each NUL-terminated, sorted. */
static GByteArray *xs_peer_children(XsPeer *p, const char *abs)
{
    g_autoptr(GPtrArray) names = g_ptr_array_new();
    GByteArray *out = g_byte_array_new();
    size_t len = strcmp(abs, "/") ? strlen(abs) : 0;
    GHashTableIter iter;
    gpointer key;

    g_hash_table_iter_init(&iter, p->nodes);
    while (g_hash_table_iter_next(&iter, &key, NULL)) {
        const char *node = key;

        if (!strncmp(node, abs, len) && node[len] == '/' && node[len + 1] &&
            !strchr(node + len + 1, '/')) {
            g_ptr_array_add(names, (gpointer)(node + len + 1));
        }
    }
    g_ptr_array_sort(names, xs_name_compare);
    for (guint i = 0; i < names->len; i++) {
        const char *name = g_ptr_array_index(names, i);

        g_byte_array_append(out, (const guint8 *)name, strlen(name) + 1);
    }
    return out;
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

static bool xs_is_number(const char *s)
{
    if (!*s) {
        return false;
    }
    for (; *s; s++) {
        if (!g_ascii_isdigit(*s)) {
            return false;
        }
    }
    return true;
}

/* Handle one complete request, with XsPeer.lock held. */
static void xs_peer_handle(XsPeer *p, XsConn *c,
                           const struct xsd_sockmsg *req,
                           const uint8_t *data)
{
    g_autofree char *arg0 = xs_payload_string(data, req->len, 0);
    g_autofree char *arg1 = xs_payload_string(data, req->len, 1);
    g_autofree char *abs = NULL;
    GBytes *value;

    switch (req->type) {
    case XS_READ:
        g_string_append_printf(p->log, "READ %s\n", arg0 ? arg0 : "");
        break;
    case XS_WATCH:
        g_string_append_printf(p->log, "WATCH %s\n", arg0 ? arg0 : "");
        break;
    }

    if (p->failing && req->type != XS_WATCH && req->type != XS_UNWATCH) {
        xs_conn_send_error(p, c, req, "EIO");
        return;
    }

    switch (req->type) {
    case XS_READ:
    case XS_WRITE:
    case XS_MKDIR:
    case XS_RM:
    case XS_DIRECTORY:
    case XS_GET_PERMS:
    case XS_SET_PERMS:
    case XS_WATCH:
    case XS_UNWATCH:
        abs = arg0 ? xs_path_abs(arg0) : NULL;
        if (!abs || (abs[0] == '@' && req->type != XS_WATCH &&
                     req->type != XS_UNWATCH)) {
            xs_conn_send_error(p, c, req, "EINVAL");
            return;
        }
        break;
    }

    switch (req->type) {
    case XS_READ:
        value = g_hash_table_lookup(p->nodes, abs);
        if (!value) {
            xs_conn_send_error(p, c, req, "ENOENT");
            return;
        }
        xs_conn_send(p, c, XS_READ, req->req_id, req->tx_id,
                     g_bytes_get_data(value, NULL), g_bytes_get_size(value));
        return;

    case XS_WRITE: {
        /* "path\0" and then the value, which has no NUL of its own */
        const uint8_t *nul = memchr(data, 0, req->len);
        uint32_t off;

        if (!nul) {
            xs_conn_send_error(p, c, req, "EINVAL");
            return;
        }
        off = nul - data + 1;
        xs_peer_store(p, abs, data + off, req->len - off);
        xs_conn_send_string(p, c, req, "OK");
        xs_peer_fire(p, abs, false);
        return;
    }

    case XS_MKDIR:
        if (g_hash_table_contains(p->nodes, abs)) {
            xs_conn_send_string(p, c, req, "OK");
            return;
        }
        xs_peer_store(p, abs, "", 0);
        xs_conn_send_string(p, c, req, "OK");
        xs_peer_fire(p, abs, false);
        return;

    case XS_RM: {
        g_autofree char *parent = NULL;

        if (!strcmp(abs, "/")) {
            xs_conn_send_error(p, c, req, "EINVAL");
            return;
        }
        if (!g_hash_table_contains(p->nodes, abs)) {
            /* As xenstored: fine if only the node itself is missing */
            parent = xs_path_parent(abs);
            if (g_hash_table_contains(p->nodes, parent)) {
                xs_conn_send_string(p, c, req, "OK");
            } else {
                xs_conn_send_error(p, c, req, "ENOENT");
            }
            return;
        }
        xs_peer_remove(p, abs);
        xs_conn_send_string(p, c, req, "OK");
        xs_peer_fire(p, abs, true);
        return;
    }

    case XS_DIRECTORY: {
        g_autoptr(GByteArray) names = NULL;

        if (!g_hash_table_contains(p->nodes, abs)) {
            xs_conn_send_error(p, c, req, "ENOENT");
            return;
        }
        names = xs_peer_children(p, abs);
        xs_conn_send(p, c, XS_DIRECTORY, req->req_id, req->tx_id,
                     names->data, names->len);
        return;
    }

    case XS_GET_PERMS:
    case XS_SET_PERMS:
        if (!g_hash_table_contains(p->nodes, abs)) {
            xs_conn_send_error(p, c, req, "ENOENT");
            return;
        }
        if (req->type == XS_GET_PERMS) {
            xs_conn_send_string(p, c, req, "n0");
            return;
        }
        xs_conn_send_string(p, c, req, "OK");
        xs_peer_fire(p, abs, false);
        return;

    case XS_WATCH: {
        XsWatch *w;

        if (!arg1) {
            xs_conn_send_error(p, c, req, "EINVAL");
            return;
        }
        for (guint i = 0; i < c->watches->len; i++) {
            w = g_ptr_array_index(c->watches, i);
            if (!strcmp(w->path, arg0) && !strcmp(w->token, arg1)) {
                xs_conn_send_error(p, c, req, "EEXIST");
                return;
            }
        }
        w = g_new0(XsWatch, 1);
        w->path = g_strdup(arg0);
        w->abs = g_steal_pointer(&abs);
        w->token = g_strdup(arg1);
        g_ptr_array_add(c->watches, w);
        xs_conn_send_string(p, c, req, "OK");
        /* xenstored fires every new watch once at once */
        xs_conn_send_event(p, c, w->path, w->token);
        return;
    }

    case XS_UNWATCH:
        if (!arg1) {
            xs_conn_send_error(p, c, req, "EINVAL");
            return;
        }
        for (guint i = 0; i < c->watches->len; i++) {
            XsWatch *w = g_ptr_array_index(c->watches, i);

            if (!strcmp(w->path, arg0) && !strcmp(w->token, arg1)) {
                g_ptr_array_remove_index(c->watches, i);
                xs_conn_send_string(p, c, req, "OK");
                return;
            }
        }
        xs_conn_send_error(p, c, req, "ENOENT");
        return;

    case XS_GET_DOMAIN_PATH: {
        g_autofree char *path = NULL;

        if (!arg0 || !xs_is_number(arg0)) {
            xs_conn_send_error(p, c, req, "EINVAL");
            return;
        }
        path = g_strdup_printf("/local/domain/%s", arg0);
        xs_conn_send_string(p, c, req, path);
        return;
    }

    case XS_TRANSACTION_START:
        xs_conn_send_string(p, c, req, "1");
        return;

    case XS_TRANSACTION_END:
    case XS_CONTROL:
        xs_conn_send_string(p, c, req, "OK");
        return;

    case XS_RESET_WATCHES:
        g_ptr_array_set_size(c->watches, 0);
        xs_conn_send_string(p, c, req, "OK");
        return;

    default:
        xs_conn_send_error(p, c, req, "ENOSYS");
        return;
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

static void xs_conn_free(XsConn *c)
{
    close(c->fd);
    g_byte_array_unref(c->in);
    g_byte_array_unref(c->out);
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
    c->fd = fd;
    c->in = g_byte_array_new();
    c->out = g_byte_array_new();
    c->watches = g_ptr_array_new_with_free_func(xs_watch_free);
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
                xs_conn_free(c);
            }
        }
        g_mutex_unlock(&p->lock);

        if (pfds[1].revents & POLLIN) {
            xs_peer_accept(p);
        }
    }

    g_mutex_lock(&p->lock);
    while (p->conns->len) {
        xs_conn_free(g_ptr_array_steal_index(p->conns, p->conns->len - 1));
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
    p->nodes = g_hash_table_new_full(g_str_hash, g_str_equal, g_free,
                                     (GDestroyNotify)g_bytes_unref);
    p->log = g_string_new("");
    p->conns = g_ptr_array_new();
    g_mutex_init(&p->lock);
    g_hash_table_insert(p->nodes, g_strdup("/"), g_bytes_new("", 0));

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
    g_hash_table_unref(p->nodes);
    g_mutex_clear(&p->lock);
    g_free(p->socket_path);
    g_free(p);
}

void xs_peer_write(XsPeer *p, const char *path, const char *value)
{
    g_autofree char *abs = xs_path_abs(path);

    g_assert(abs);
    g_mutex_lock(&p->lock);
    if (abs[0] != '@') {
        xs_peer_store(p, abs, value, strlen(value));
    }
    xs_peer_fire(p, abs, false);
    g_mutex_unlock(&p->lock);
}

void xs_peer_rm(XsPeer *p, const char *path)
{
    g_autofree char *abs = xs_path_abs(path);

    g_assert(abs && abs[0] == '/' && strcmp(abs, "/"));
    g_mutex_lock(&p->lock);
    if (g_hash_table_contains(p->nodes, abs)) {
        xs_peer_remove(p, abs);
        xs_peer_fire(p, abs, true);
    }
    g_mutex_unlock(&p->lock);
}

void xs_peer_set_failing(XsPeer *p, bool failing)
{
    g_mutex_lock(&p->lock);
    p->failing = failing;
    g_mutex_unlock(&p->lock);
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

unsigned xs_peer_connections(XsPeer *p)
{
    unsigned n;

    g_mutex_lock(&p->lock);
    n = p->connections;
    g_mutex_unlock(&p->lock);
    return n;
}
