/*
 * Xen platform device QMP command for builds without the device
 *
 * Copyright (c) 2026 Xen platform series <xen-platform@localhost>
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "qemu/osdep.h"
#include "qapi/error.h"
#include "qapi/qapi-commands-xen-platform.h"

XenPlatformPVDriverInfo *qmp_query_xen_platform_pv_driver_info(Error **errp)
{
    error_setg(errp, "Xen platform device support is not compiled in");
    return NULL;
}
