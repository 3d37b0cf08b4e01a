/* shim: <linux/init.h> */
#include <shim.h>
#define __init
#define __initdata
#define early_param(str, fn) \
    const struct shim_early_param shim_early_param = { str, fn }
