/*
 * A xenstore wire-protocol peer for qtests
 *
 * There is no Xen hypervisor on a test machine, and xenstored does not run
 * without one, so tests that start QEMU with libxenstore pointed at a unix
 * socket (XENSTORED_PATH) serve that socket themselves with this peer, the
 * way the vhost-user tests carry their own backend.  The store is QEMU's
 * own (hw/i386/kvm/xenstore_impl.c, as KVM's Xen emulation serves it to
 * guests); the peer runs in a thread of the test process, accepts any
 * number of connections, all of them dom0, and adds what a real xenstored
 * cannot do for a test: fail on request and log what was asked.  It
 * answers what the platform device asks of a store, reads, directory
 * listings and watches, and any other request with ENOSYS.
 *
 * Copyright (c) 2026 Xen platform series <xen-platform@localhost>
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#ifndef TESTS_QTEST_XENSTORE_PEER_H
#define TESTS_QTEST_XENSTORE_PEER_H

typedef struct XsPeer XsPeer;

/*
 * Bind and listen on @socket_path (a stale file there is removed first),
 * then serve it in a thread of its own until xs_peer_stop().  Connections
 * may come one after another or at the same time.  The store starts out
 * as xs_impl_create() makes it.
 */
XsPeer *xs_peer_start(const char *socket_path);

/*
 * Close every connection and the listening socket, join the thread, unlink
 * the socket file and free @p.  Returns promptly even with clients still
 * connected.  @p may be NULL.
 */
void xs_peer_stop(XsPeer *p);

/*
 * Create or overwrite the node @path with @value, as dom0 does, creating
 * missing parent nodes, and fire the watches on @path and on its
 * ancestors.  A relative @path is taken below /local/domain/0.
 */
void xs_peer_write(XsPeer *p, const char *path, const char *value);

/*
 * Remove the node @path and everything below it, firing the watches on it,
 * on its ancestors and on the removed nodes below it.  Nothing happens if
 * the node does not exist.
 */
void xs_peer_rm(XsPeer *p, const char *path);

/*
 * While @error is set (an errno name such as "EACCES"), every request
 * except XS_WATCH and XS_UNWATCH is answered with XS_ERROR @error and
 * changes nothing; NULL ends it.  xs_peer_set_failing(p, b) is
 * xs_peer_set_error(p, b ? "EIO" : NULL).
 */
void xs_peer_set_error(XsPeer *p, const char *error);
void xs_peer_set_failing(XsPeer *p, bool failing);

/*
 * While @silent is true, requests are logged and never answered, as by a
 * xenstored that has stopped: a request received meanwhile stays
 * unanswered for good.
 */
void xs_peer_set_silent(XsPeer *p, bool silent);

/*
 * Wait, for at most @timeout_ms, until the log (what xs_peer_take_log()
 * would return) has the line @line; return whether it has.
 */
bool xs_peer_wait_log(XsPeer *p, const char *line, unsigned timeout_ms);

/*
 * Return (g_free() it) the log of requests received since the last call,
 * and clear it: one line per XS_READ ("READ <path>\n"), XS_DIRECTORY
 * ("DIRECTORY <path>\n") and XS_WATCH ("WATCH <path>\n"), in the order
 * received, paths as the client sent them.  Requests are logged even
 * while failing or silent.
 */
char *xs_peer_take_log(XsPeer *p);

/*
 * xs_peer_take_log() without the watches: the reads received since the
 * last call, one "READ <path>\n" or "DIRECTORY <path>\n" a line (g_free()
 * it)
 */
char *xs_peer_take_reads(XsPeer *p);

/* The number of connections accepted so far. */
unsigned xs_peer_connections(XsPeer *p);

/*
 * A store for the QEMUs a test starts next: xs_store_start() starts a peer
 * on a socket in a new temporary directory and points $XENSTORED_PATH,
 * where QEMU's libxenstore looks for xenstored, at it; xs_store_stop()
 * unsets $XENSTORED_PATH, stops the peer and removes the directory.
 */
typedef struct XsStore {
    XsPeer *peer;
    char *dir;
    char *path;
} XsStore;

XsStore *xs_store_start(void);
void xs_store_stop(XsStore *st);

/*
 * qtest_add_func() and qtest_add_data_func() for a test that needs QEMU's
 * libxenstore: in a build without Xen, which has none, the test is skipped
 * and says why.
 */
void xs_qtest_add_func(const char *path, void (*fn)(void));
void xs_qtest_add_data_func(const char *path, const void *data,
                            void (*fn)(const void *));

#endif /* TESTS_QTEST_XENSTORE_PEER_H */
