; A Multiboot kernel for tests/cli/qmp.sh: the first boot resets the machine
; through the PCI reset control register (port 0xcf9, bits 1-2: a hard
; reset), the second leaves through isa-debug-exit (port 0xf4), so that a
; QMP client sees RESET (guest-reset) and then SHUTDOWN (guest-shutdown).
; Boots are counted in RAM at 0x80000, which a reset keeps.
        bits 32
        org 0x100000
mb:     dd 0x1BADB002, 0x00010000, -(0x1BADB002 + 0x00010000)
        dd mb, mb, end, end, start
start:  inc dword [0x80000]
        cmp dword [0x80000], 1
        jne .exit
        mov dx, 0xcf9
        mov al, 0x06
        out dx, al
.l:     hlt
        jmp .l
.exit:  mov dx, 0xf4
        xor eax, eax
        out dx, al
        jmp .l
end:
