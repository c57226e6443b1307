; A Multiboot kernel that sets EAX to a marker and halts forever
; (tests/cli/nographic.sh: the console and the monitor on a pty).
        bits 32
        org 0x100000
mb:     dd 0x1BADB002, 0x00010000, -(0x1BADB002 + 0x00010000)
        dd mb, mb, end, end, start
start:  mov eax, 0x12345678
.l:     hlt
        jmp .l
end:
