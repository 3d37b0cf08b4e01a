/* shim: <xen/xen.h> as on an HVM guest (CONFIG_XEN_PV, CONFIG_XEN_PVH set,
 * as in Debian's amd64 config; the domain is HVM, not PVH) */
#include <shim.h>
enum xen_domain_type {
    XEN_NATIVE,
    XEN_PV_DOMAIN,
    XEN_HVM_DOMAIN,
};
extern enum xen_domain_type xen_domain_type;
extern bool xen_pvh;
#define xen_domain() (xen_domain_type != XEN_NATIVE)
#define xen_pv_domain() (xen_domain_type == XEN_PV_DOMAIN)
#define xen_hvm_domain() (xen_domain_type == XEN_HVM_DOMAIN)
#define xen_pvh_domain() (xen_pvh)
