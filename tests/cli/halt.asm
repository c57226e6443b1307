; A Multiboot kernel for tests/cli/nographic.sh (the console and the monitor
; on a pty): counts its boots in RAM at 0x80000 (a reset keeps RAM), shows
; the count in EBX and a marker in EAX, then halts forever.
        bits 32
        org 0x100000
mb:     dd 0x1BADB002, 0x00010000, -(0x1BADB002 + 0x00010000)
        dd mb, mb, end, end, start
start:  inc dword [0x80000]
        mov ebx, [0x80000]
        mov eax, 0x12345678
.l:     hlt
        jmp .l
end:
