; A long computation for tests/cli/savevm.sh: STEPS steps, each mixing a
; 16 KiB table in RAM, the general registers, an SSE accumulator and the
; x87 stack, then waiting for ten timer interrupts (PIT channel 0 through
; the 8259, vector 0x20) with HLT. Each step prints "step NNNNNNNN" on
; debugcon; the end prints every accumulator and exits 0 through
; isa-debug-exit. A machine restored from a snapshot taken mid-way must
; print the same last line as a run never interrupted, and its interrupts
; must keep coming (or it halts forever).
%include "guest.inc"
%include "sys.inc"

STEPS equ 200
TABLE equ 0x300000              ; 4096 dwords

test_main:
        call sys_init
        ; PICs: master at 0x20, slave at 0x28, only IRQ 0 unmasked
        mov al, 0x11
        out 0x20, al
        out 0xa0, al
        mov al, 0x20
        out 0x21, al
        mov al, 0x28
        out 0xa1, al
        mov al, 4
        out 0x21, al
        mov al, 2
        out 0xa1, al
        mov al, 1
        out 0x21, al
        out 0xa1, al
        mov al, 0xfe
        out 0x21, al
        mov al, 0xff
        out 0xa1, al
        mov eax, 0x20
        mov ecx, 0x08
        mov edx, isr_timer
        mov bl, 0x8e
        call set_gate
        ; PIT channel 0, mode 2, about 1 kHz
        mov al, 0x34
        out 0x43, al
        mov ax, 1193
        out 0x40, al
        mov al, ah
        out 0x40, al
        ; SSE on (CR4.OSFXSR), x87 initialised
        mov eax, cr4
        or eax, 0x200
        mov cr4, eax
        mov eax, cr0
        and eax, ~4                     ; EM off
        or eax, 2                       ; MP
        mov cr0, eax
        fninit
        fld1
        pxor xmm0, xmm0
        ; the table: table[i] = i * 0x9e3779b9
        xor ecx, ecx
.fill:  mov eax, ecx
        imul eax, eax, 0x9e3779b9
        mov [TABLE + ecx * 4], eax
        inc ecx
        cmp ecx, 4096
        jne .fill
        mov ebx, 0x12345678             ; running hash
        mov ebp, 0                      ; step
        sti
.step:  ; mix: 20000 rounds over the table
        mov ecx, 20000
.mix:   mov eax, ecx
        xor eax, ebp
        and eax, 4095
        mov edx, [TABLE + eax * 4]
        imul edx, edx, 31
        add edx, ecx
        add edx, ebp
        mov [TABLE + eax * 4], edx
        rol ebx, 5
        xor ebx, edx
        dec ecx
        jnz .mix
        ; SSE: xmm0 += (step, hash, step*3, hash^step) as dwords
        mov [vec], ebp
        mov [vec + 4], ebx
        lea eax, [ebp * 3]
        mov [vec + 8], eax
        mov eax, ebx
        xor eax, ebp
        mov [vec + 12], eax
        movdqu xmm1, [vec]
        paddd xmm0, xmm1
        ; x87: st0 = st0 * 1.0625 + step
        fmul dword [k1_0625]
        mov [tmp], ebp
        fiadd dword [tmp]
        ; ten timer ticks
        mov eax, [ticks]
        add eax, 10
.wait:  hlt
        cmp [ticks], eax
        jb .wait
        PUTS "step "
        PUTHEX32 ebp
        PUTS 10
        inc ebp
        cmp ebp, STEPS
        jne .step
        cli
        ; the result: hash, the SSE lanes, the x87 value, a table checksum
        PUTS "result "
        PUTHEX32 ebx
        movdqu [vec], xmm0
        PUTS " "
        PUTHEX32 [vec]
        PUTHEX32 [vec + 4]
        PUTHEX32 [vec + 8]
        PUTHEX32 [vec + 12]
        fistp dword [tmp]
        PUTS " "
        PUTHEX32 [tmp]
        xor eax, eax
        xor ecx, ecx
.sum:   rol eax, 3
        add eax, [TABLE + ecx * 4]
        inc ecx
        cmp ecx, 4096
        jne .sum
        PUTS " "
        PUTHEX32 eax
        PUTS 10
        PASS

isr_timer:
        inc dword [ticks]
        push eax
        mov al, 0x20
        out 0x20, al
        pop eax
        iret

        section .data
        align 16
vec:    dd 0, 0, 0, 0
tmp:    dd 0
ticks:  dd 0
k1_0625: dd 1.0625
%include "guest_end.inc"
