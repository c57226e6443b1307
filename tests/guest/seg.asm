; seg: segment-register loads with their descriptor checks and error
; codes, the accessed bit, an LDT, CPL 3 rules, a call gate to ring 0 with
; a parameter and RETF back, LAR/LSL/VERR/VERW.
%include "guest.inc"
%include "sys.inc"

; load segment register %1 with selector %2 inside a TRY, then restore flat DS/ES/FS/GS
%macro LOADSEG 2
        TRY
        mov ax, %2
        mov %1, ax
        mov ax, 0x10
        mov ds, ax
        mov es, ax
        mov fs, ax
        mov gs, ax
        mov ss, ax
        ENDTRY
%endmacro

%macro PRINT_ZF 1
        setz al
        movzx eax, al
        PUTS %1, " zf="
        PUTHEX32 eax
        PUTS 10
%endmacro

test_main:
        call sys_init
        mov ecx, 0x30                   ; data DPL0, not present
        xor eax, eax
        mov edx, 0xfffff
        mov ebx, 0x0c12
        call set_desc
        mov ecx, 0x38                   ; data DPL3, 4 KiB at 0x290000, byte granular
        mov eax, 0x290000
        mov edx, 0xfff
        mov ebx, 0x04f2
        call set_desc
        mov ecx, 0x40                   ; execute-only code
        xor eax, eax
        mov edx, 0xfffff
        mov ebx, 0x0c98
        call set_desc
        mov ecx, 0x48                   ; data DPL1
        mov ebx, 0x0cb2
        call set_desc
        mov ecx, 0x60                   ; conforming readable code DPL0
        mov ebx, 0x0c9e
        call set_desc
        mov ecx, 0x58                   ; an LDT of two entries at 0x291000
        mov eax, 0x291000
        mov edx, 0xf
        mov ebx, 0x0082
        call set_desc
        mov edi, 0x291000
        mov dword [edi], 0
        mov dword [edi + 4], 0
        mov ecx, 0x08                   ; LDT entry 1: data at 0x292000
        mov eax, 0x292000
        mov edx, 0xfff
        mov ebx, 0x0492
        call set_desc_in
        mov dword [0x292000], 0x5eed1dd1
        ; call gate DPL3 -> 0x08:gate_target, one dword parameter
        mov eax, gate_target
        mov [gdt + 0x50], ax
        mov word [gdt + 0x52], 0x08
        mov byte [gdt + 0x54], 1
        mov byte [gdt + 0x55], 0xec
        shr eax, 16
        mov [gdt + 0x56], ax
        mov eax, [gdt + 0x50]           ; 0x68: the same gate with DPL 0
        mov [gdt + 0x68], eax
        mov eax, [gdt + 0x54]
        mov [gdt + 0x6c], eax
        mov byte [gdt + 0x6d], 0x8c

        LOADSEG ds, 0x100
        EXPECT "ds beyond gdt limit", 13, 0x100
        LOADSEG ss, 0
        EXPECT "ss null", 13, 0
        LOADSEG ss, 0x23
        EXPECT "ss dpl3 at cpl0", 13, 0x20
        LOADSEG ds, 0x30
        EXPECT "ds not present", 11, 0x30
        LOADSEG ss, 0x30
        EXPECT "ss not present", 12, 0x30
        LOADSEG ds, 0x28
        EXPECT "ds tss", 13, 0x28
        LOADSEG ds, 0x40
        EXPECT "ds execute-only", 13, 0x40
        LOADSEG es, 0x4b
        EXPECT "es dpl1 rpl3", 13, 0x48
        LOADSEG es, 0x49
        EXPECT "es dpl1 rpl1", 0xffffffff, 0
        movzx eax, byte [gdt + 0x48 + 5]
        PUTS "accessed byte "
        PUTHEX32 eax
        PUTS 10
        CHECK_EQ eax, 0xb3
        LOADSEG gs, 0
        EXPECT "gs null", 0xffffffff, 0

        mov ax, 0x58
        lldt ax
        TRY
        mov ax, 0x0c
        mov fs, ax
        mov eax, [fs:0]
        mov [scratch], eax
        mov ax, 0x10
        mov fs, ax
        ENDTRY
        EXPECT "fs from ldt", 0xffffffff, 0
        PUTS "ldt data "
        PUTHEX32 [scratch]
        PUTS 10
        CHECK_EQ [scratch], 0x5eed1dd1
        LOADSEG fs, 0x14
        EXPECT "fs beyond ldt limit", 13, 0x14

        ; CPL 3
        TRY
        mov eax, user_load_ds0
        call to_ring3
        ENDTRY
        EXPECT "cpl3 ds dpl0", 13, 0x10
        TRY
        mov eax, user_load_conforming
        call to_ring3
        ENDTRY
        EXPECT "cpl3 ds conforming code", 6, 0
        TRY
        mov eax, user_call_gate
        call to_ring3
        ENDTRY
        EXPECT "call gate round trip", 6, 0
        PUTS "gate frame cs="
        PUTHEX32 [gate_frame + 4]
        PUTS " param="
        PUTHEX32 [gate_frame + 8]
        PUTS " esp="
        PUTHEX32 [gate_frame + 12]
        PUTS " ss="
        PUTHEX32 [gate_frame + 16]
        PUTS " cpl="
        PUTHEX32 [gate_cpl]
        PUTS 10
        CHECK_EQ [gate_frame + 4], 0x1b
        CHECK_EQ [gate_frame + 8], 0x12345678
        CHECK_EQ [gate_frame + 12], USER_TOP - 4
        CHECK_EQ [gate_frame + 16], 0x23
        CHECK_EQ [gate_cpl], 0
        CHECK_EQ [last_cs], 0x1b        ; RETF went back to CPL 3
        CHECK_EQ [last_esp], USER_TOP   ; and popped the parameter
        TRY
        mov eax, user_call_gate_dpl0
        call to_ring3
        ENDTRY
        EXPECT "call gate dpl0 from cpl3", 13, 0x68

        ; LAR, LSL, VERR, VERW
        mov ebx, 0x3b
        mov edx, 0x77
        lar edx, bx
        PRINT_ZF "lar 0x3b"
        PUTS "lar value "
        PUTHEX32 edx
        PUTS 10
        CHECK_EQ edx, 0x0040f200
        lsl edx, bx
        PUTS "lsl value "
        PUTHEX32 edx
        PUTS 10
        CHECK_EQ edx, 0xfff
        mov ebx, 0x100
        lar edx, bx
        PRINT_ZF "lar beyond limit"
        mov ebx, 0x28
        lsl edx, bx
        PRINT_ZF "lsl tss"
        CHECK_EQ edx, 104 + 8192
        verw word [sel_code]
        PRINT_ZF "verw code"
        verw word [sel_data]
        PRINT_ZF "verw data"
        verr word [sel_xonly]
        PRINT_ZF "verr execute-only"
        verr word [sel_conf3]
        PRINT_ZF "verr conforming rpl3"

        ; SGDT/SIDT read back what LGDT/LIDT loaded (limit and base): the
        ; limit is a 16-bit field read out of a wider one (a big-endian
        ; host once stored 0 here, which broke GRUB's real-mode calls).
        sidt [dtr_save]
        lidt [dtr_test]
        sidt [dtr_read]
        lidt [dtr_save]
        movzx eax, word [dtr_read]
        CHECK_EQ eax, 0x1234
        CHECK_EQ dword [dtr_read + 2], 0x00abcdef
        sgdt [dtr_read]
        movzx eax, word [dtr_read]
        PUTS "sgdt limit="
        PUTHEX32 eax
        PUTS 10

        PUTS "seg: ok", 10
        ret

gate_target:                            ; CPL 0, entered through the call gate
        push ds
        push eax
        mov ax, 0x10
        mov ds, ax
        mov eax, [esp + 8]
        mov [gate_frame], eax
        mov eax, [esp + 12]
        mov [gate_frame + 4], eax
        mov eax, [esp + 16]
        mov [gate_frame + 8], eax
        mov eax, [esp + 20]
        mov [gate_frame + 12], eax
        mov eax, [esp + 24]
        mov [gate_frame + 16], eax
        mov ax, cs
        and eax, 3
        mov [gate_cpl], eax
        pop eax
        pop ds
        retf 4

user_load_ds0:
        mov ax, 0x10
        mov ds, ax
        ud2
user_load_conforming:
        mov ax, 0x63
        mov ds, ax
        ud2
user_call_gate:
        push dword 0x12345678
        call 0x53:0
        ud2
user_call_gate_dpl0:
        call 0x6b:0
        ud2

        [section .data]
sel_code:  dw 0x08
sel_data:  dw 0x10
sel_xonly: dw 0x40
sel_conf3: dw 0x63
        align 4
scratch:   dd 0
gate_cpl:  dd 0
gate_frame: times 5 dd 0
dtr_test:  dw 0x1234
           dd 0x00abcdef
dtr_save:  times 6 db 0
dtr_read:  times 6 db 0
        __SECT__

%include "guest_end.inc"
