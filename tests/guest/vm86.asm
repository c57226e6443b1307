; vm86: entering virtual-8086 mode with IRET, what #GP-faults there with
; IOPL 0 (INT n, CLI, PUSHF, HLT) and with IOPL 3 (HLT only), the I/O
; bitmap in vm86, and INT n from vm86 to a ring-0 handler with the vm86
; segment registers in the frame.
%include "guest.inc"
%include "sys.inc"

V86_SEG equ 0x0800                      ; the code is copied to 0x8000

; V86 label, iopl: run the vm86 snippet at label with IOPL iopl (inside TRY)
%macro V86 2
        TRY
        mov eax, %1 - v86_code
        mov ebx, 0x20002 | (%2 << 12)
        call enter_v86
        ENDTRY
%endmacro

%macro WHERE 1                          ; check the faulting IP is label %1
        mov eax, [last_eip]
        PUTS "  cs:ip="
        PUTHEX32 [last_cs]
        PUTS ":"
        PUTHEX32 eax
        PUTS 10
        CHECK_EQ eax, %1 - v86_code
        CHECK_EQ [last_cs], V86_SEG
        mov eax, [last_efl]
        and eax, 0x20000
        CHECK_EQ eax, 0x20000
%endmacro

test_main:
        call sys_init
        mov esi, v86_code
        mov edi, V86_SEG * 16
        mov ecx, v86_end - v86_code
        rep movsb

        V86 v86_int, 0
        EXPECT "iopl0 int 0x30", 13, 0
        WHERE v86_int
        V86 v86_cli, 0
        EXPECT "iopl0 cli", 13, 0
        WHERE v86_cli
        V86 v86_pushf, 0
        EXPECT "iopl0 pushf", 13, 0
        WHERE v86_pushf
        V86 v86_io, 0
        EXPECT "iopl0 in/out, bitmap allows", 13, 0
        WHERE v86_io.hlt
        or byte [TSS_MAIN + 104 + 0x80 / 8], 1
        V86 v86_io, 0
        EXPECT "iopl0 in, bitmap denies", 13, 0
        WHERE v86_io
        V86 v86_io, 3
        EXPECT "iopl3 in, bitmap denies", 13, 0
        WHERE v86_io

        V86 v86_flags, 3
        EXPECT "iopl3 cli/sti/pushf/popf, then hlt", 13, 0
        WHERE v86_flags.hlt
        V86 v86_int, 3
        EXPECT "iopl3 int 0x30 (gate dpl0)", 13, 0x30 * 8 + 2
        or byte [IDT_BASE + 0x30 * 8 + 5], 0x60
        V86 v86_int, 3
        EXPECT "iopl3 int 0x30 (gate dpl3)", 0x30, 0
        WHERE v86_int.next
        PUTS "  frame ss:sp="
        PUTHEX32 [last_ss]
        PUTS ":"
        PUTHEX32 [last_esp]
        PUTS " es="
        PUTHEX32 [last_es]
        PUTS " ds="
        PUTHEX32 [last_ds]
        PUTS " fs="
        PUTHEX32 [last_fs]
        PUTS " gs="
        PUTHEX32 [last_gs]
        PUTS 10
        CHECK_EQ [last_ss], V86_SEG
        CHECK_EQ [last_esp], 0x7ff0
        CHECK_EQ [last_es], 0x1111
        CHECK_EQ [last_ds], 0x2222
        CHECK_EQ [last_fs], 0x3333
        CHECK_EQ [last_gs], 0x4444
        ; the handler ran with DS..GS nulled by the CPU; read what it saw
        mov eax, 0x31
        mov ecx, 0x08
        mov edx, h_segs
        mov bl, 0xee
        call set_gate
        V86 v86_int31, 3
        EXPECT "iopl3 int 0x31, handler returns with iret", 13, 0
        WHERE v86_int31.hlt
        PUTS "  handler saw ds="
        PUTHEX32 [seen_ds]
        PUTS " gs="
        PUTHEX32 [seen_gs]
        PUTS 10
        CHECK_EQ [seen_ds], 0
        CHECK_EQ [seen_gs], 0

        PUTS "vm86: ok", 10
        ret

; enter_v86: eax = IP, ebx = EFLAGS (with VM)
enter_v86:
        push dword 0x4444               ; GS
        push dword 0x3333               ; FS
        push dword 0x2222               ; DS
        push dword 0x1111               ; ES
        push dword V86_SEG              ; SS
        push dword 0x7ff0               ; SP
        push ebx
        push dword V86_SEG              ; CS
        push eax
        iretd

; ring-0 handler for int 0x31 from vm86: note DS/GS as found, return to vm86
h_segs:
        push eax
        mov ax, ds
        movzx eax, ax
        push eax
        mov ax, 0x10
        mov ds, ax
        pop eax
        mov [seen_ds], eax
        mov ax, gs
        movzx eax, ax
        mov [seen_gs], eax
        pop eax
        iretd

        bits 16
v86_code:
v86_int:
        int 0x30
.next:  hlt
v86_cli:
        cli
        hlt
v86_pushf:
        pushf
        hlt
v86_io:
        in al, 0x80
.hlt:   hlt
v86_flags:
        cli
        sti
        pushf
        popf
.hlt:   hlt
v86_int31:
        mov ax, 0x1234
        int 0x31
.hlt:   hlt
v86_end:
        bits 32

        [section .data]
        align 4
seen_ds:  dd 0xffffffff
seen_gs:  dd 0xffffffff
        __SECT__

%include "guest_end.inc"
