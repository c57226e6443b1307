; x87: FNINIT state, plain arithmetic (bits QEMU computes like the hardware),
; FCOMI flags, an FSAVE/FRSTOR round trip, #NM with CR0.TS, #MF with CR0.NE,
; the FXSAVE image layout and a few MMX operations.
%include "guest.inc"
%include "sys.inc"

test_main:
        call sys_init
        mov eax, cr0
        and eax, ~(CR0_EM | CR0_TS)
        or eax, CR0_MP | CR0_NE
        mov cr0, eax
        mov eax, cr4
        or eax, 1 << 9                  ; OSFXSR
        mov cr4, eax

        fninit
        fnstcw [w16]
        movzx eax, word [w16]
        PUTS "x87: fcw "
        PUTHEX32 eax
        CHECK_EQ eax, 0x037f
        fnstsw ax
        movzx eax, ax
        PUTS " fsw "
        PUTHEX32 eax
        PUTS 10
        CHECK_EQ eax, 0

        ; 3 * 4 + sqrt(16) = 16, through integer loads and stores
        fild dword [three]
        fimul dword [four]
        fild word [sixteen]
        fsqrt
        faddp st1, st0
        fistp dword [r32]
        PUTS "x87: 3*4+sqrt(16) = "
        PUTHEX32 [r32]
        PUTS 10
        CHECK_EQ [r32], 16

        ; 1.5 + 2.25 = 3.75 and 1/3 in double precision
        fld qword [d1_5]
        fadd qword [d2_25]
        fstp qword [r64]
        PUTS "x87: 1.5+2.25 = "
        PUTHEX32 [r64 + 4]
        PUTHEX32 [r64]
        PUTS 10
        CHECK_EQ [r64 + 4], 0x400e0000
        fld1
        fdiv dword [f3]
        fstp qword [r64]
        PUTS "x87: 1/3 = "
        PUTHEX32 [r64 + 4]
        PUTHEX32 [r64]
        PUTS 10
        CHECK_EQ [r64], 0x55555555

        ; FCOMI: 2 > 1 -> CF = ZF = 0; FUCOMIP of equal values -> ZF = 1
        fld1
        fld1
        fadd st0, st0
        fcomi st0, st1
        setc al
        setz ah
        movzx eax, ax
        PUTS "x87: fcomi 2,1 cf/zf "
        PUTHEX32 eax
        CHECK_EQ eax, 0
        fstp st0
        fld1
        fucomip st0, st1
        setz al
        movzx eax, al
        PUTS " fucomip 1,1 zf "
        PUTHEX32 eax
        PUTS 10
        CHECK_EQ eax, 1
        fstp st0

        ; FSAVE/FRSTOR: the image holds the stack, FSAVE reinitializes
        fninit
        fild dword [three]
        fild dword [four]
        fnsave [save_area]
        fnstsw ax
        movzx eax, ax
        CHECK_EQ eax, 0                 ; TOP = 0 again
        fnstcw [w16]
        movzx eax, word [w16]
        CHECK_EQ eax, 0x037f
        movzx eax, word [save_area + 8]  ; tag word: ST0, ST1 valid (physical 6, 7)
        PUTS "x87: fsave tag word "
        PUTHEX32 eax
        PUTS 10
        CHECK_EQ eax, 0x0fff
        frstor [save_area]
        fistp dword [r32]
        CHECK_EQ [r32], 4
        fistp dword [r32]
        CHECK_EQ [r32], 3
        PUTS "x87: fsave/frstor round trip ok", 10

        ; #NM: CR0.TS
        mov eax, cr0
        or eax, CR0_TS
        mov cr0, eax
        TRY
        fld1
        ENDTRY
        EXPECT "x87: fld1 with CR0.TS", 7, 0
        clts

        ; #MF: an unmasked zero divide, raised by the next waiting instruction
        fninit
        mov word [w16], 0x037b          ; ZE unmasked
        fldcw [w16]
        fld1
        fldz
        fdivp st1, st0                  ; ZE, ES: no fault yet
        fnstsw ax
        movzx eax, ax
        and eax, 0x80ff
        PUTS "x87: after 1/0 fsw "
        PUTHEX32 eax
        PUTS 10
        CHECK_EQ eax, 0x8084
        TRY
        fwait
        ENDTRY
        EXPECT "x87: fwait with ES", 16, 0
        fnclex
        fninit

        ; FXSAVE: legacy area layout (SDM Vol. 1 table 10-2)
        fld1
        fxsave [fx_area]
        movzx eax, word [fx_area]
        CHECK_EQ eax, 0x037f
        movzx eax, word [fx_area + 2]
        PUTS "x87: fxsave fsw "
        PUTHEX32 eax
        CHECK_EQ eax, 0x3800
        movzx eax, byte [fx_area + 4]
        PUTS " ftw "
        PUTHEX32 eax
        CHECK_EQ eax, 0x80
        PUTS " mxcsr "
        PUTHEX32 [fx_area + 24]
        PUTS 10
        CHECK_EQ [fx_area + 24], 0x1f80
        CHECK_EQ [fx_area + 36], 0x80000000
        movzx eax, word [fx_area + 40]
        CHECK_EQ eax, 0x3fff
        TRY
        fxsave [fx_area + 8]            ; misaligned: #GP(0)
        ENDTRY
        EXPECT "x87: misaligned fxsave", 13, 0
        fninit

        ; MMX: paddw, pmullw, packuswb; the FPU sees TOP = 0, tags valid
        movq mm0, [mm_a]
        movq mm1, [mm_b]
        paddw mm0, mm1
        movq [r64], mm0
        PUTS "mmx: paddw "
        PUTHEX32 [r64 + 4]
        PUTHEX32 [r64]
        CHECK_EQ [r64], 0x00000002
        pmullw mm1, mm1
        packuswb mm1, mm0
        movd eax, mm1
        PUTS " pmullw+packuswb "
        PUTHEX32 eax
        fnstenv [env_area]
        movzx eax, word [env_area + 8]
        PUTS " ftw "
        PUTHEX32 eax
        PUTS 10
        CHECK_EQ eax, 0x155a            ; all valid: mm0, mm1 special (exponent 0xffff), the rest zero
        emms
        fnstenv [env_area]
        movzx eax, word [env_area + 8]
        CHECK_EQ eax, 0xffff

        PUTS "x87: ok", 10
        ret

CR0_MP equ 1 << 1
CR0_EM equ 1 << 2
CR0_TS equ 1 << 3
CR0_NE equ 1 << 5

        [section .data]
        align 16
fx_area:   times 528 db 0
save_area: times 108 db 0
env_area:  times 28 db 0
three:  dd 3
four:   dd 4
sixteen: dw 16
        align 8
d1_5:   dq 1.5
d2_25:  dq 2.25
f3:     dd 3.0
mm_a:   dw 1, 0xffff, 0x7fff, 0x8000
mm_b:   dw 1, 1, 1, 0xffff
r64:    dq 0
r32:    dd 0
w16:    dw 0
        __SECT__

%include "guest_end.inc"
