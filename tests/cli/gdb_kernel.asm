; A Multiboot (v1) ELF kernel with symbols for the gdb test (gdb.sh):
;   nasm -f elf32 gdb_kernel.asm && ld -m elf_i386 -Ttext=0x100000 -e _start
; It computes a sum (a breakpoint target), stores twice to `watched` (a
; watchpoint target), goes from protected mode to real mode and back (a
; mode switch to single-step), spins until gdb sets `go_on` (a Ctrl-C
; target), then exits through isa-debug-exit with code 0 only if gdb wrote
; `magic` and changed the sum's register on the way; else code 3.

        bits 32
        section .text
        align 4
mb_header:
        dd 0x1BADB002           ; magic
        dd 0x00000003           ; page-align modules, memory info (ELF layout)
        dd -(0x1BADB002 + 3)

REAL_BASE equ 0xFFFF0           ; CS = 0xFFFF in real mode (A20 is open)

        global _start, add_numbers, after_add, store_twice, pm16, real_mode, to_pm, pm_back
        global spin, finish
_start:
        mov esp, stack_top
        mov eax, 20
        mov ebx, 3
        call add_numbers        ; eax = 23; gdb sets it to 42 on return
after_add:
        mov [result], eax
store_twice:
        mov dword [watched], 0x1234
        mov dword [watched], 0x5678
        lgdt [gdt_desc]
        jmp 0x18:(pm16 - REAL_BASE)

add_numbers:
        add eax, ebx
        ret

        bits 16
pm16:                           ; 16-bit protected mode, CS base = REAL_BASE
        mov eax, cr0
        and eax, ~1
        mov cr0, eax
        mov eax, real_mode - REAL_BASE ; (a 16-bit far jump cannot hold the relocation)
        push word 0xFFFF
        push ax
        retf
real_mode:
        mov ax, 0xFFFF
        mov ds, ax
        mov eax, cr0
        or eax, 1
to_pm:
        mov cr0, eax
        jmp dword 0x08:pm_back

        bits 32
pm_back:
        mov ax, 0x10
        mov ds, ax
        mov es, ax
        mov ss, ax
spin:
        inc dword [spins]
        cmp dword [go_on], 0
        je spin
finish:
        mov eax, 3
        cmp dword [magic], 0x1234abcd
        jne .out
        cmp dword [result], 42
        jne .out
        xor eax, eax
.out:   mov dx, 0xf4
        out dx, eax
.hang:  hlt
        jmp .hang

        section .data
        align 8
        global watched, magic, go_on, spins, result
gdt:    dq 0
        dq 0x00cf9a000000ffff   ; 0x08: 32-bit code, flat
        dq 0x00cf92000000ffff   ; 0x10: 32-bit data, flat
        dq 0x00009a0ffff0ffff   ; 0x18: 16-bit code, base 0xFFFF0, limit 64K
gdt_desc:
        dw 4 * 8 - 1
        dd gdt
watched: dd 0
magic:  dd 0
go_on:  dd 0
spins:  dd 0
result: dd 0

        section .bss
        align 16
        resb 4096
stack_top:
