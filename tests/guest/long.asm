; long: x86-64 long mode from a Multiboot kernel (long.inc enters it):
; 4-level paging with 2M and 1G pages, NX/RO/U-S/not-present/reserved-bit
; #PF error codes, canonical #GP/#SS, 64-bit arithmetic (128-bit MUL/DIV
; results, MOVSXD, CQO, shifts, SHLD, BSR, CMPXCHG16B), RIP-relative data,
; 16-byte IDT gates with IST, IRETQ to CPL 3 and to compatibility mode,
; SYSCALL/SYSRET (64 and 32-bit), SWAPGS and the FS/GS base MSRs, far
; JMP/CALL/RET incl. REX.W and a 64-bit call gate, LLDTB/LTR with 16-byte
; descriptors, SGDT's 10-byte form, RDTSCP, LAHF/SAHF.
; qemu: x86_64 -cpu qemu64,+rdtscp
%include "guest.inc"
%include "long.inc"

        bits 64
test_main64:
        P "long: EFER "
        mov ecx, 0xc0000080
        rdmsr
        H rax
        NL
        CHK rax, 0xd01                  ; SCE LME LMA NXE

        ; ---- 64-bit arithmetic ----
        mov rax, 0xfedcba9876543210
        mov rbx, 0x123456789abcdef1
        mul rbx
        P "mul: "
        H rdx
        P " "
        H rax
        NL
        mov rax, -3
        mov rcx, 0x7fffffffffffffff
        imul rcx
        P "imul: "
        H rdx
        P " "
        H rax
        NL
        mov rdx, 0x0000000012345678
        mov rax, 0x9abcdef012345678
        mov rcx, 0x1234567890
        div rcx
        P "div: "
        H rax
        P " "
        H rdx
        NL
        mov rax, -1000000000000
        cqo
        mov rcx, 7
        idiv rcx
        P "idiv: "
        H rax
        P " "
        H rdx
        NL
        mov ecx, 0x80000001
        movsxd rax, ecx
        P "movsxd/cdqe: "
        H rax
        mov eax, 0x90000000
        cdqe
        P " "
        H rax
        NL
        mov rax, 0x8000000000000001
        mov rbx, 0x0123456789abcdef
        mov cl, 12
        shld rax, rbx, cl
        sar rbx, 60
        bsr rdx, rax
        P "shld/sar/bsr: "
        H rax
        P " "
        H rbx
        P " "
        H rdx
        NL
        mov rax, [rel qdata]            ; RIP-relative
        rol rax, 33
        mov r8, rax
        add r8, r15
        mov r15d, 0xffffffff            ; 32-bit write zero-extends
        inc r15
        P "rip-rel/r8-r15: "
        H rax
        P " "
        H r15
        NL
        CHK r15, 0x100000000
        push qword -2
        pop r9
        db 0x66, 0x41, 0x51             ; push r9w
        db 0x66, 0x41, 0x5a             ; pop r10w: a 16-bit push/pop
        CHK r9, -2
        mov ah, 0xd5                    ; SF ZF AF PF CF
        sahf
        mov ah, 0
        lahf
        P "lahf: "
        H rax
        NL
        ; CMPXCHG16B: equal -> stores RCX:RBX, then not equal -> loads
        lea rdi, [rel cx16buf]
        mov rax, 1
        mov rdx, 2
        mov rbx, 3
        mov rcx, 4
        lock cmpxchg16b [rdi]
        setz r11b
        mov rax, 5
        cmpxchg16b [rdi]
        setz r12b
        P "cmpxchg16b: "
        H r11
        P " "
        H r12
        P " "
        H rax
        P " "
        H rdx
        NL
        LTRY
        cmpxchg16b [rdi + 8]
        LENDTRY
        LEXPECT "cmpxchg16b misaligned", 13, 0

        ; ---- paging ----
        mov rax, HIGH + 0x100000
        mov rax, [rax]                  ; the image through the 1 GiB page
        CHK rax, [0x100000]
        mov rbx, HIGH + 0x10000
        mov qword [rbx], 0x1234         ; write via the alias, read back low
        CHK qword [0x10000], 0x1234
        P "1G page alias ok", 10
        LTRY
        mov rax, HIGH + 0x80000000
        mov rax, [rax]
        LENDTRY
        ; hardware reports P|RSVD (SDM 4.7), QEMU's TCG RSVD alone: P not shown
        and qword [last_err], ~1
        LEXPECT "1G page reserved bit (P not shown)", 14, 8
        CHK [last_cr2], HIGH + 0x80000000
        mov byte [0x400000], 0xc3       ; a RET on the NX page
        LTRY
        mov rax, 0x400000
        call rax
        LENDTRY
        LEXPECT "NX fetch", 14, 0x11
        LTRY
        mov byte [0x401000], 1
        LENDTRY
        LEXPECT "read-only write (WP)", 14, 3
        LTRY
        mov rax, [0x403008]
        LENDTRY
        LEXPECT "not present", 14, 0
        CHK [last_cr2], 0x403008
        LTRY
        mov rax, 0x0000800000000000
        mov rax, [rax]
        LENDTRY
        LEXPECT "non-canonical", 13, 0

        ; ---- interrupts: IST (TSS read through its HIGH base), 16-byte alignment ----
        mov dword [LTSS + 0x24], LSTACKI - 8    ; misaligned on purpose
        int 0x40
        P "ist1 rsp: "
        H [i40_rsp]
        NL
        CHK [i40_rsp], LSTACKI - 16 - 40

        ; SYSCALL/SYSRET: STAR = 0x18 (SYSRET base) : 0x08 (SYSCALL CS)
        mov ecx, 0xc0000081
        xor eax, eax
        mov edx, 0x00180008
        wrmsr
        mov ecx, 0xc0000082
        lea rax, [rel syscall_entry]
        xor edx, edx
        wrmsr
        mov ecx, 0xc0000084
        mov eax, 0x400                  ; FMASK: DF
        wrmsr

        ; ---- CPL 3: IRETQ, INT (stack switch to RSP0), SYSCALL ----
        TO_USER 0x2b, user64
        P "user64: int frame "
        H [i80_frame + 8]
        P " "
        H [i80_frame + 32]
        P " rsp "
        H [i80_rsp]
        P " rax "
        H [user_rax]
        NL
        CHK [i80_rsp], LSTACK0 - 40
        P "syscall rcx "
        H [sys_rcx]
        P " r11 "
        H [sys_r11]
        NL
        mov r12, [user_rax]
        CHK r12, 0x1042
        lea rax, [rel sysret_done]
        mov [user_ret], rax
        mov [recover_rsp], rsp
        lea rcx, [rel user_sys]
        mov r11d, 0x2
        o64 sysret
sysret_done:
        P "sysret64/syscall: rcx "
        H [sys_rcx]
        P " r11 "
        H [sys_r11]
        P " cs "
        H [user_cs]
        NL
        lea rax, [rel sysret32_done]
        mov [user_ret], rax
        mov [recover_rsp], rsp
        lea rcx, [rel user32]
        mov r11d, 0x2
        sysret                          ; to compatibility mode
sysret32_done:
        P "sysret32: compat int frame cs "
        H [i80_frame + 8]
        P " rip "
        H [i80_frame]
        P " eax "
        H [user_rax]
        NL

        ; ---- SWAPGS, FS/GS bases ----
        mov ecx, 0xc0000101             ; GS_BASE
        mov eax, gsdata
        xor edx, edx
        wrmsr
        mov ecx, 0xc0000102             ; KERNEL_GS_BASE
        mov eax, gsdata + 8
        wrmsr
        mov ecx, 0xc0000100             ; FS_BASE
        mov eax, 0
        mov edx, 0xffffff80             ; HIGH
        wrmsr
        mov rax, [gs:0]
        swapgs
        mov rbx, [gs:0]
        swapgs
        mov rcx, [fs:gsdata]
        P "swapgs: "
        H rax
        P " "
        H rbx
        P " fs "
        H rcx
        NL
        CHK rbx, 0x2222

        ; ---- far transfers ----
        jmp far dword [rel to_compat]   ; m16:32 -> compatibility mode
        bits 32
compat:
        mov eax, 0x11223344
        push eax
        pop ebx
        jmp 0x08:back64
        bits 64
back64:
        CHK rbx, 0x11223344
        lea rax, [rel far64]
        mov [fptr64], rax
        mov word [fptr64 + 8], 0x08
        mov rbx, 0
        o64 call far [rel fptr64]       ; REX.W: m16:64
        CHK rbx, 0x77
        ; a 64-bit call gate at 0x48 -> 0x08:gatetarget
        lea rax, [rel gatetarget]
        mov word [lgdt_tab + 0x48], ax
        mov word [lgdt_tab + 0x4a], 0x08
        mov word [lgdt_tab + 0x4c], 0x8c00
        shr rax, 16
        mov word [lgdt_tab + 0x4e], ax
        shr rax, 16
        mov dword [lgdt_tab + 0x50], eax
        mov dword [lgdt_tab + 0x54], 0
        mov rbx, rsp
        call far dword [rel gateptr]
        P "far: call gate rsp delta "
        H r13
        NL
        CHK r13, 16

        ; ---- LLDTB with a 16-byte descriptor (base in HIGH) ----
        mov dword [LLDTB + 8], 0x0000ffff
        mov dword [LLDTB + 12], 0x00cf9200 | 0x01000000 ; data, base 0x01000000
        mov ax, 0x58
        lldt ax
        mov ax, 0x0c                    ; LDT entry 1
        mov fs, ax                      ; FS base = 0x01000000
        mov qword [0x01000010], 0x5a5a
        mov rax, [fs:0x10]
        sldt bx
        and ebx, 0xffff
        P "lldt: "
        H rax
        P " "
        H rbx
        NL
        sgdt [rel sgdt_buf]
        mov rax, [rel sgdt_buf + 2]
        lea rbx, [rel lgdt_tab]
        CHK rax, rbx
        ; RDTSCP: ECX = TSC_AUX
        mov ecx, 0xc0000103
        mov eax, 0x1234
        xor edx, edx
        wrmsr
        rdtscp
        P "rdtscp aux "
        H rcx
        NL
        P "long: ok", 10
        ret

far64:  mov rbx, 0x77
        o64 retf
gatetarget:
        mov r13, rbx
        sub r13, rsp
        o64 retf

; CPL 3, 64-bit: INT 0x80 (stack switch to RSP0), then SYSCALL back
user64:
        mov rax, 0x42
        int 0x80
        mov [user_rax], rax
        syscall

user_sys:
        mov [user_cs], cs
        syscall

        bits 32
user32:
        mov eax, 0x55
        int 0x80
        mov [user_rax], eax
        int 0x81
        bits 64

        [section .data]
        align 16
cx16buf:    dq 1, 2, 0
qdata:  dq 0x0123456789abcdef
user_rax: dq 0
user_cs:  dq 0
gsdata: dq 0x1111, 0x2222
to_compat: dd compat
        dw 0x40
fptr64: dq 0
        dw 0
gateptr: dd 0
        dw 0x48
sgdt_buf: times 10 db 0
        __SECT__
        bits 32

%include "guest_end.inc"
