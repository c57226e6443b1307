/*
 * Multiboot (v1) entry of the benchmark kernels: an ELF kernel loaded at
 * 1 MiB, entered in 32-bit protected mode with flat segments, EAX = the
 * loader magic, EBX = the info structure (Multiboot 0.6.96, section 3.2).
 */
        .section .multiboot, "a"
        .align 4
        .long 0x1BADB002                /* magic */
        .long 0x00000003                /* page-aligned modules, memory info */
        .long -(0x1BADB002 + 0x00000003)

        .section .bss
        .align 16
stack:  .skip 65536
stack_top:

        .text
        .globl _start
_start:
        cli
        mov $stack_top, %esp
        push %ebx
        push %eax
        /* x87 and SSE: CR0.EM=0 (no emulation), CR0.MP=1, CR0.NE=1 (native
           FPU errors); CR4.OSFXSR (bit 9) and CR4.OSXMMEXCPT (bit 10) let
           SSE instructions run (SDM vol. 3, 13.1.3). */
        mov %cr0, %eax
        and $~0x4, %eax
        or $0x22, %eax
        mov %eax, %cr0
        mov %cr4, %eax
        or $0x600, %eax
        mov %eax, %cr4
        fninit
        call guest_main
1:      cli
        hlt
        jmp 1b

        .section .note.GNU-stack, "", @progbits
