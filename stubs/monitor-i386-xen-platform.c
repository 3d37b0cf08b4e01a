/* SPDX-License-Identifier: GPL-2.0-or-later */

#include "qemu/osdep.h"
#include "qapi/error.h"
#include "qapi/qapi-commands-misc-i386.h"

/*
 * A file of its own: the platform device and the event channel
 * emulation (stubbed in monitor-i386-xen.c) are built on different
 * conditions, and each stub must be linked only when its command is
 * missing.
 */
XenPlatformPVDriverInfo *qmp_query_xen_platform_pv_driver_info(Error **errp)
{
    error_setg(errp, "Xen platform device support is not compiled in");
    return NULL;
}
