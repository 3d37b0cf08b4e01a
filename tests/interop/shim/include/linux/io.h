/* shim: <linux/io.h>, port I/O only */
#include <shim.h>
#define inb(port) shim_inb(port)
#define inw(port) shim_inw(port)
#define inl(port) shim_inl(port)
#define outb(v, port) shim_outb(v, port)
#define outw(v, port) shim_outw(v, port)
#define outl(v, port) shim_outl(v, port)

/* <linux/printk.h>, reached through the kernel's headers */
#ifndef pr_fmt
#define pr_fmt(fmt) fmt
#endif
#define KERN_ERR "<3>"
#define KERN_WARNING "<4>"
#define KERN_INFO "<6>"
#define KERN_DEBUG "<7>"
#define pr_err(fmt, ...) printk(KERN_ERR pr_fmt(fmt), ##__VA_ARGS__)
#define pr_warn(fmt, ...) printk(KERN_WARNING pr_fmt(fmt), ##__VA_ARGS__)
#define pr_info(fmt, ...) printk(KERN_INFO pr_fmt(fmt), ##__VA_ARGS__)
/* Debian builds with CONFIG_DYNAMIC_DEBUG: pr_debug is off unless enabled;
 * the shim prints it (level 7) so that the log shows what it would say. */
#define pr_debug(fmt, ...) printk(KERN_DEBUG pr_fmt(fmt), ##__VA_ARGS__)
