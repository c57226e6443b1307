; task: hardware task switches: CALL to a TSS and IRET back (NT, back link,
; busy bits, registers saved and restored), JMP through a task gate and
; back, INT through a task gate, an exception through a task gate with
; its error code on the new task's stack, and CALL to a busy TSS.
%include "guest.inc"
%include "sys.inc"

TSS2 equ 0x282000
TSS3 equ 0x283000

; init_tss base, eip, esp
%macro INIT_TSS 3
        mov edi, %1
        mov ecx, 104 / 4
        xor eax, eax
        rep stosd
        mov dword [%1 + 0x20], %2
        mov dword [%1 + 0x24], 2
        mov dword [%1 + 0x38], %3
        mov dword [%1 + 0x48], 0x10     ; ES
        mov dword [%1 + 0x4c], 0x08     ; CS
        mov dword [%1 + 0x50], 0x10     ; SS
        mov dword [%1 + 0x54], 0x10     ; DS
        mov dword [%1 + 0x58], 0x10     ; FS
        mov dword [%1 + 0x5c], 0x10     ; GS
%endmacro

%macro TYPE_OF 1                        ; eax = type nibble of GDT entry %1
        movzx eax, byte [gdt + %1 + 5]
        and eax, 0x0f
%endmacro

test_main:
        call sys_init
        INIT_TSS TSS2, task2, 0x27a000
        INIT_TSS TSS3, task3, 0x279000
        mov ecx, 0x30
        mov eax, TSS2
        mov edx, 0x67
        mov ebx, 0x0089
        call set_desc
        mov ecx, 0x38
        mov eax, TSS3
        call set_desc
        mov dword [gdt + 0x40], 0x30 << 16      ; task gate -> TSS2
        mov dword [gdt + 0x44], 0x8500

        ; CALL: nested task, IRET comes back
        mov ebx, 0xb1b1b1b1
        mov esi, 0x51515151
        call 0x30:0
        PUTS "after call: count="
        PUTHEX32 [t2_count]
        PUTS " nt="
        mov eax, [t2_efl]
        and eax, 0x4000
        PUTHEX32 eax
        PUTS " tr="
        PUTHEX32 [t2_tr]
        PUTS " link="
        PUTHEX32 [t2_link]
        PUTS 10
        CHECK_EQ [t2_count], 1
        CHECK_EQ eax, 0x4000
        CHECK_EQ [t2_tr], 0x30
        CHECK_EQ [t2_link], 0x28
        CHECK_EQ ebx, 0xb1b1b1b1        ; our registers came back
        CHECK_EQ esi, 0x51515151
        str ax
        movzx eax, ax
        CHECK_EQ eax, 0x28
        TYPE_OF 0x30
        PUTS "tss2 type after iret "
        PUTHEX32 eax
        PUTS 10
        CHECK_EQ eax, 9
        pushfd
        pop eax
        and eax, 0x4000
        CHECK_EQ eax, 0
        mov eax, [TSS2 + 0x28]          ; task 2's EAX saved by its IRET
        PUTS "task2 eax saved "
        PUTHEX32 eax
        PUTS 10
        CHECK_EQ eax, 0x2222

        ; JMP through a task gate: not nested, task 2 jumps back
        jmp 0x40:0
.back:  PUTS "after jmp: count="
        PUTHEX32 [t2_count]
        PUTS " nt="
        mov eax, [t2_efl]
        and eax, 0x4000
        PUTHEX32 eax
        PUTS 10
        CHECK_EQ [t2_count], 2
        CHECK_EQ eax, 0
        TYPE_OF 0x28
        CHECK_EQ eax, 0xb
        TYPE_OF 0x30
        CHECK_EQ eax, 9

        ; INT through a task gate
        mov eax, 0x50
        mov ecx, 0x30
        xor edx, edx
        mov bl, 0x85
        call set_gate
        int 0x50
        PUTS "after int: count="
        PUTHEX32 [t2_count]
        PUTS 10
        CHECK_EQ [t2_count], 3

        ; CALL to a busy TSS: #GP(sel)
        TRY
        call 0x28:0
        ENDTRY
        EXPECT "call busy tss", 13, 0x28

        ; #GP through a task gate: the error code on task 3's stack
        mov eax, 13
        mov ecx, 0x38
        xor edx, edx
        mov bl, 0x85
        call set_gate
        mov ax, 0x100
        mov ds, ax                      ; #GP(0x100) -> task 3
.after_gp:
        PUTS "gp task: err="
        PUTHEX32 [t3_err]
        PUTS " eip ok="
        PUTHEX32 [t3_eip_ok]
        PUTS 10
        CHECK_EQ [t3_err], 0x100
        CHECK_EQ [t3_eip_ok], 1

        PUTS "task: ok", 10
        ret

; Task 2: records its view, then returns with IRET (nested) or JMP back.
task2:
        pushfd
        pop dword [t2_efl]
        str ax
        movzx eax, ax
        mov [t2_tr], eax
        movzx eax, word [TSS2]
        mov [t2_link], eax
        inc dword [t2_count]
        mov eax, 0x2222
        test dword [t2_efl], 0x4000
        jz .jmp
        iretd
        jmp task2
.jmp:   jmp 0x28:0
        jmp task2

; Task 3: #GP handler task: the error code is on its stack; resume task 1
; after the faulting instruction by editing its saved EIP.
task3:
        pop eax
        mov [t3_err], eax
        mov eax, [TSS_MAIN + 0x20]
        cmp eax, test_main.after_gp - 2
        sete al
        movzx eax, al
        mov [t3_eip_ok], eax
        mov dword [TSS_MAIN + 0x20], test_main.after_gp
        mov word [TSS_MAIN + 0x54], 0x10 ; DS as saved was the old one anyway
        iretd
        jmp task3

        [section .data]
        align 4
t2_count:  dd 0
t2_efl:    dd 0
t2_tr:     dd 0
t2_link:   dd 0
t3_err:    dd 0
t3_eip_ok: dd 0
        __SECT__

%include "guest_end.inc"
