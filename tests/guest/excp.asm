; excp: exception delivery: faulting vs trapping EIPs, gate DPL checks for
; software interrupts, not-present gates (error code = vector * 8 + 2),
; interrupt vs trap gates (IF), privileged instructions at CPL 3, the I/O
; permission bitmap, and a double fault (#NP while delivering #NP).
%include "guest.inc"
%include "sys.inc"

%macro USER 1
        TRY
        mov eax, %1
        call to_ring3
        ENDTRY
%endmacro

%macro SHOW_EIP 1                       ; print last_eip relative to label %1
        mov eax, [last_eip]
        sub eax, %1
        PUTS "  eip=label+"
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

        TRY
        xor ecx, ecx
.div:   div ecx
        ENDTRY
        EXPECT "divide error", 0, 0
        SHOW_EIP .div
        CHECK_EQ [last_eip], .div
        TRY
        int3
.bp:    nop
        ENDTRY
        EXPECT "int3", 3, 0
        SHOW_EIP .bp
        CHECK_EQ [last_eip], .bp
        TRY
        mov al, 0x7f
        add al, 1                       ; OF = 1
        into
.of:    nop
        ENDTRY
        EXPECT "into", 4, 0
        CHECK_EQ [last_eip], .of
        TRY
.ud:    ud2
        ENDTRY
        EXPECT "ud2", 6, 0
        CHECK_EQ [last_eip], .ud

        ; a not-present gate
        and byte [IDT_BASE + 0x41 * 8 + 5], 0x7f
        TRY
        int 0x41
        ENDTRY
        EXPECT "int through a not-present gate", 11, 0x41 * 8 + 2

        ; software INT from CPL 3: gate DPL 0 -> #GP, DPL 3 -> delivered
        or byte [IDT_BASE + 0x42 * 8 + 5], 0x60
        USER user_int40
        EXPECT "cpl3 int 0x40 (gate dpl0)", 13, 0x40 * 8 + 2
        USER user_int42
        EXPECT "cpl3 int 0x42 (gate dpl3)", 0x42, 0
        CHECK_EQ [last_cs], 0x1b
        CHECK_EQ [last_ss], 0x23

        ; privileged and IOPL-sensitive instructions at CPL 3 (IOPL 0)
        USER user_hlt
        EXPECT "cpl3 hlt", 13, 0
        USER user_cli
        EXPECT "cpl3 cli", 13, 0
        USER user_movcr
        EXPECT "cpl3 mov cr0", 13, 0
        USER user_in
        EXPECT "cpl3 in 0x80, bitmap allows", 6, 0
        or byte [TSS_MAIN + 104 + 0x80 / 8], 1
        USER user_in
        EXPECT "cpl3 in 0x80, bitmap denies", 13, 0
        USER user_in16
        EXPECT "cpl3 in 0x7f word, bitmap denies 0x80", 13, 0

        ; interrupt gate clears IF, trap gate keeps it (all IRQs masked)
        mov al, 0xff
        out 0x21, al
        out 0xa1, al
        mov eax, 0x43
        mov ecx, 0x08
        mov edx, h_record
        mov bl, 0x8f                    ; trap gate
        call set_gate
        mov eax, 0x44
        mov bl, 0x8e                    ; interrupt gate
        call set_gate
        sti
        int 0x43
        mov esi, [h_efl]
        int 0x44
        mov edi, [h_efl]
        cli
        and esi, 0x200
        and edi, 0x200
        PUTS "if in trap gate "
        PUTHEX32 esi
        PUTS ", in interrupt gate "
        PUTHEX32 edi
        PUTS 10
        CHECK_EQ esi, 0x200
        CHECK_EQ edi, 0

        ; double fault: the #NP gate itself is not present
        and byte [IDT_BASE + 11 * 8 + 5], 0x7f
        TRY
        mov ax, 0x30
.np:    mov ds, ax
        ENDTRY
        EXPECT "#NP while delivering #NP", 8, 0
        CHECK_EQ [last_eip], .np
        or byte [IDT_BASE + 11 * 8 + 5], 0x80
        TRY
        mov ax, 0x30
        mov ds, ax
        ENDTRY
        EXPECT "#NP again", 11, 0x30

        PUTS "excp: ok", 10
        ret

h_record:
        pushfd
        pop dword [h_efl]
        iretd

user_int40:
        int 0x40
        ud2
user_int42:
        int 0x42
        ud2
user_hlt:
        hlt
        ud2
user_cli:
        cli
        ud2
user_movcr:
        mov eax, cr0
        ud2
user_in:
        in al, 0x80
        ud2
user_in16:
        in ax, 0x7f
        ud2

        [section .data]
        align 4
h_efl:  dd 0
        __SECT__

%include "guest_end.inc"
