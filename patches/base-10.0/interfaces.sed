# QEMU 10.0 spells some interfaces as they were before QEMU 10.1 or 10.2:
# "exec/memory.h" (10.1: "system/memory.h"), class_init's "void *data"
# (10.1: "const void *data") and TypeInfo's "InterfaceInfo[]" (10.1:
# "const InterfaceInfo[]"). Applied to the series' own C files on 10.0.
s|#include "system/memory.h"|#include "exec/memory.h"|
/_class_init(ObjectClass \*[a-z]*, const void \*data)/s/const void \*data/void *data/
s/(const InterfaceInfo\[\])/(InterfaceInfo[])/
# QEMU 10.2 calls the front end of a chardev CharFrontend, 10.0 CharBackend
s/\bCharFrontend\b/CharBackend/g
