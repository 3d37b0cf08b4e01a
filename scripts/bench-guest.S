/*
 * A tiny guest for the benchmarks: a 64 KiB BIOS image that, in real mode,
 * does one kind of access to the Xen platform device's fixed ports in a
 * loop, then leaves through isa-debug-exit (port 0xf4).
 *
 * Assembled with -DOP=n -DCOUNT=n:
 *   OP 0: inw 0x10            (read the magic)
 *   OP 1: outb 0x12           (log bytes: 79 'x' and a newline, repeated)
 *   OP 2: outw 0x12           (write the product number)
 */
    .code16
    .section .text
    .globl _start
_start:
    cli
    mov     $COUNT, %ecx
    xor     %bl, %bl            /* column of the log line */
1:
#if OP == 0
    mov     $0x10, %dx
    in      %dx, %ax
#elif OP == 1
    mov     $0x12, %dx
    mov     $'x', %al
    inc     %bl
    cmp     $80, %bl
    jne     2f
    mov     $'\n', %al
    xor     %bl, %bl
2:
    out     %al, %dx
#elif OP == 2
    mov     $0x12, %dx
    mov     $3, %ax
    out     %ax, %dx
#endif
    dec     %ecx
    jnz     1b
    mov     $0, %al
    out     %al, $0xf4
3:
    hlt
    jmp     3b

    /* The reset vector, 16 bytes below 1 MiB, at the end of the image */
    .org    0xfff0
    ljmp    $0xf000, $0        /* _start */
    .org    0x10000
