/*
 * Reset vector of the interop guest image: 16-bit real mode at
 * 0xfffffff0, load a flat GDT, enter 32-bit protected mode, copy .data to
 * RAM, clear .bss and call shim_main(); then halt.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
    .code16
    .section .text16, "ax"
start16:
    cli
    cld
    lgdtl %cs:gdt_desc_off
    movl %cr0, %eax
    orl $1, %eax
    movl %eax, %cr0
    ljmpl $0x08, $start32

    .code32
start32:
    movw $0x10, %ax
    movw %ax, %ds
    movw %ax, %es
    movw %ax, %ss
    movw %ax, %fs
    movw %ax, %gs
    movl $0x80000, %esp
    movl $_data_load, %esi
    movl $_data_start, %edi
    movl $_data_end, %ecx
    subl %edi, %ecx
    rep movsb
    movl $_bss_start, %edi
    movl $_bss_end, %ecx
    subl %edi, %ecx
    xorl %eax, %eax
    rep stosb
    call shim_main
1:  cli
    hlt
    jmp 1b

    .balign 8
gdt:
    .quad 0
    .quad 0x00cf9a000000ffff        /* 0x08: flat 32-bit code */
    .quad 0x00cf92000000ffff        /* 0x10: flat 32-bit data */
    .globl gdt_desc
gdt_desc:
    .word gdt_desc - gdt - 1
    .long gdt

    .code16
    .section .resetvec, "ax"
    .globl reset_vector
reset_vector:
    jmp start16
    .section .note.GNU-stack, "", @progbits
