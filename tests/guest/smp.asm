; smp: a second CPU (-smp 2). The BSP wakes the AP with INIT-SIPI-SIPI
; (SDM 8.4.4.1); the AP starts in real mode at the SIPI vector's page,
; enters protected mode, reads its own APIC ID through the APIC window and
; CPUID, writes a value, and sends the BSP a fixed IPI (vector 0x50).
; args: -smp 2
%include "guest.inc"
%include "sys.inc"

APIC    equ 0xfee00000
TRAMP   equ 0x20000                     ; SIPI vector 0x20; QEMU's Multiboot info is at 0x9000

test_main:
        call sys_init
        mov eax, 0x50
        mov ecx, 0x08
        mov bl, 0x8e
        mov edx, isr_ipi
        call set_gate
        mov eax, [APIC + 0x20]
        PUTS "smp: bsp apic id="
        PUTHEX32 eax
        PUTS 10
        CHECK_EQ eax, 0
        mov dword [APIC + 0xf0], 0x1ff  ; software enable: the AP's IPI is taken

        mov esi, tramp
        mov edi, TRAMP
        mov ecx, tramp_end - tramp
        rep movsb

        mov dword [APIC + 0x310], 1 << 24
        mov dword [APIC + 0x300], 0x4500        ; INIT, assert, physical, to APIC 1
        mov ecx, 100000
.d1:    loop .d1
        mov dword [APIC + 0x300], 0x4600 | (TRAMP >> 12)   ; STARTUP
        mov ecx, 10000
.d2:    loop .d2
        mov dword [APIC + 0x300], 0x4600 | (TRAMP >> 12)   ; the second (ignored if started)

        sti
        mov ecx, 100000000
.wait:  pause
        cmp dword [n_ipi], 0
        jne .got
        loop .wait
.got:   cli
        PUTS "smp: ipis="
        PUTHEX32 [n_ipi]
        PUTS 10
        CHECK_EQ [n_ipi], 1
        PUTS "smp: ap count="
        PUTHEX32 [ap_count]
        PUTS 10
        CHECK_EQ [ap_count], 1
        PUTS "smp: ap value="
        PUTHEX32 [ap_value]
        PUTS 10
        CHECK_EQ [ap_value], 0xcafe0001
        PUTS "smp: ap apic id="
        PUTHEX32 [ap_apicid]
        PUTS 10
        CHECK_EQ [ap_apicid], 0x01000000
        mov eax, [ap_cpuid]
        shr eax, 24
        PUTS "smp: ap cpuid.1 apic id="
        PUTHEX32 eax
        PUTS 10
        CHECK_EQ eax, 1
        PUTS "smp: ok", 10
        ret

isr_ipi:
        inc dword [n_ipi]
        mov dword [APIC + 0xb0], 0
        iret

; ---- the AP: copied to TRAMP, entered at CS = TRAMP >> 4, IP = 0 ----
        bits 16
tramp:
        cli
        mov ax, cs
        mov ds, ax
        o32 lgdt [tgdt_ptr - tramp]
        mov eax, cr0
        or al, 1
        mov cr0, eax
        jmp dword 0x08:ap_main
        align 8
tgdt:   dq 0
        dq 0x00cf9a000000ffff           ; 0x08: flat 32-bit code
        dq 0x00cf92000000ffff           ; 0x10: flat data
tgdt_ptr:
        dw 23
        dd tgdt - tramp + TRAMP
tramp_end:
        bits 32

ap_main:
        mov ax, 0x10
        mov ds, ax
        mov es, ax
        mov ss, ax
        mov eax, [APIC + 0x20]          ; the window serves this CPU's APIC
        mov [ap_apicid], eax
        mov eax, 1
        cpuid
        mov [ap_cpuid], ebx
        mov dword [ap_value], 0xcafe0001
        lock inc dword [ap_count]
        mov dword [APIC + 0x310], 0     ; to APIC 0
        mov dword [APIC + 0x300], 0x4050 ; fixed, assert, vector 0x50
.h:     cli
        hlt
        jmp .h

        section .data
n_ipi:     dd 0
ap_count:  dd 0
ap_value:  dd 0
ap_apicid: dd 0
ap_cpuid:  dd 0

%include "guest_end.inc"
