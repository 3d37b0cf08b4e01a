/* shim: arch/x86/xen/xen-ops.h, the one declaration the file needs */
#include <shim.h>
