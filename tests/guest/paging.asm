; paging: 32-bit and PAE page walks: #PF error codes and CR2 (not present,
; protection, user/supervisor, WP, reserved bits), A and D bits, INVLPG,
; PSE 4 MiB pages, PAE 2 MiB pages.
%include "guest.inc"
%include "sys.inc"

PD   equ 0x200000
PT0  equ 0x201000
PT1  equ 0x202000                       ; 0x400000..0x7fffff
PDPT equ 0x203000
PAEPD equ 0x204000
PAEPT equ 0x205000                      ; 0x400000..0x5fffff

%macro REPORT_PF 3                      ; label, vector, error: also prints CR2
        EXPECT %1, %2, %3
        PUTS "  cr2="
        PUTHEX32 [last_cr2]
        PUTS 10
%endmacro

%macro READ 1
        TRY
        mov eax, [%1]
        ENDTRY
%endmacro

%macro WRITE 1
        TRY
        mov dword [%1], 0x600d
        ENDTRY
%endmacro

; USER label, code...: a CPL 3 snippet ending with ud2 (#UD = no fault before)
%macro USER 1
        TRY
        mov eax, %1
        call to_ring3
        ENDTRY
%endmacro

test_main:
        call sys_init
        ; identity map 0..8 MiB, user + writable
        mov edi, PD
        mov ecx, 1024
        xor eax, eax
        rep stosd
        mov edi, PT0
        mov eax, 7
        mov ecx, 2048
.pt:    stosd
        add eax, 0x1000
        loop .pt
        mov dword [PD], PT0 | 7
        mov dword [PD + 4], PT1 | 7
        mov dword [PT1 + 0x10 * 4], 0               ; 0x410000: not present
        mov dword [PT1 + 0x11 * 4], 0x411000 | 5    ; user read-only
        mov dword [PT1 + 0x12 * 4], 0x412000 | 3    ; supervisor read/write
        mov dword [PT1 + 0x13 * 4], 0x413000 | 7    ; fresh: A = D = 0
        mov eax, PD
        mov cr3, eax
        mov eax, cr0
        or eax, 0x80000000
        mov cr0, eax

        READ 0x800000
        REPORT_PF "read, no page table", 14, 0
        READ 0x410000
        REPORT_PF "read, not present", 14, 0
        WRITE 0x410004
        REPORT_PF "write, not present", 14, 2
        WRITE 0x411000
        EXPECT "supervisor write to read-only, WP=0", 0xffffffff, 0
        mov eax, cr0
        or eax, 0x10000                             ; WP
        mov cr0, eax
        WRITE 0x411008
        REPORT_PF "supervisor write to read-only, WP=1", 14, 3
        USER user_read_super
        REPORT_PF "user read of supervisor page", 14, 5
        USER user_write_ro
        REPORT_PF "user write to read-only", 14, 7
        USER user_read_np
        REPORT_PF "user read, not present", 14, 4
        USER user_read_ok
        EXPECT "user read of user page", 6, 0

        ; A and D bits
        and dword [PD + 4], ~0x60
        invlpg [0x413000]
        mov eax, [0x413000]
        mov eax, [PT1 + 0x13 * 4]
        and eax, 0x60
        PUTS "after read: pte a/d "
        PUTHEX32 eax
        PUTS 10
        CHECK_EQ eax, 0x20
        mov eax, [PD + 4]
        and eax, 0x60
        PUTS "after read: pde a/d "
        PUTHEX32 eax
        PUTS 10
        CHECK_EQ eax, 0x20
        mov dword [0x413010], 1
        mov eax, [PT1 + 0x13 * 4]
        and eax, 0x60
        PUTS "after write: pte a/d "
        PUTHEX32 eax
        PUTS 10
        CHECK_EQ eax, 0x60
        ; INVLPG makes a changed PTE visible
        mov dword [0x412000], 0x1111
        mov dword [0x414000], 0x2222
        mov eax, [0x412000]
        mov dword [PT1 + 0x12 * 4], 0x414000 | 3
        invlpg [0x412000]
        mov eax, [0x412000]
        PUTS "after invlpg "
        PUTHEX32 eax
        PUTS 10
        CHECK_EQ eax, 0x2222

        ; PSE: a 4 MiB page at 0xc00000 -> physical 0
        mov eax, cr4
        or eax, 0x10
        mov cr4, eax
        mov dword [PD + 3 * 4], 0x83
        mov dword [scratch], 0xfeedf00d
        mov eax, [0xc00000 + scratch]
        PUTS "pse alias "
        PUTHEX32 eax
        PUTS 10
        CHECK_EQ eax, 0xfeedf00d
        mov dword [0xc00000 + scratch], 0x12
        mov eax, [PD + 3 * 4]
        PUTS "pse pde "
        PUTHEX32 eax
        PUTS 10
        CHECK_EQ eax, 0xe3
        CHECK_EQ [scratch], 0x12

        ; PAE: paging off, new tables, paging on
        mov eax, cr0
        and eax, 0x7fffffff
        mov cr0, eax
        mov edi, PDPT
        mov ecx, 3 * 1024 * 2
        xor eax, eax
        rep stosd
        mov dword [PDPT], PAEPD | 1
        mov dword [PAEPD], 0x87                     ; 0..2M
        mov dword [PAEPD + 8], 0x200000 | 0x87      ; 2..4M
        mov dword [PAEPD + 16], PAEPT | 7           ; 4..6M through a table
        mov dword [PAEPD + 24], 0x600000 | 0x87     ; 6..8M
        mov edi, PAEPT
        mov eax, 0x400000 | 7
        mov ecx, 512
.pae:   mov [edi], eax
        add eax, 0x1000
        add edi, 8
        loop .pae
        mov dword [PAEPT + 0x10 * 8], 0
        mov dword [PAEPT + 0x11 * 8 + 4], 0x00080000 ; bit 51: reserved
        mov eax, cr4
        or eax, 0x20
        mov cr4, eax
        mov eax, PDPT
        mov cr3, eax
        mov eax, cr0
        or eax, 0x80000000
        mov cr0, eax
        READ 0x410000
        REPORT_PF "pae read, not present", 14, 0
        ; Hardware reports P|RSVD (SDM 4.7); QEMU's TCG leaves P clear, so
        ; only the other bits are compared.
        WRITE 0x411000
        and dword [last_err], ~1
        REPORT_PF "pae write, reserved bit (P not shown)", 14, 0xa
        USER user_read_rsvd
        and dword [last_err], ~1
        REPORT_PF "pae user read, reserved bit (P not shown)", 14, 0xc
        mov dword [0x600100], 0x5a5a
        mov eax, [PAEPD + 24]
        PUTS "pae 2m pde "
        PUTHEX32 eax
        PUTS 10
        CHECK_EQ eax, 0x6000e7
        mov eax, [0x412000]
        PUTS "pae read through pt "
        PUTHEX32 eax
        PUTS 10
        CHECK_EQ eax, 0x1111

        mov eax, cr0
        and eax, 0x7fffffff
        mov cr0, eax
        PUTS "paging: ok", 10
        ret

user_read_super:
        mov eax, [0x412000]
        ud2
user_write_ro:
        mov dword [0x411000], 1
        ud2
user_read_np:
        mov eax, [0x410000]
        ud2
user_read_ok:
        mov eax, [0x411000]
        ud2
user_read_rsvd:
        mov eax, [0x411004]
        ud2

        [section .data]
        align 4
scratch: dd 0
        __SECT__

%include "guest_end.inc"
