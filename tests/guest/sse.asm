; sse: SSE .. SSE4.2 and POPCNT through the translator. The checks first:
; #UD without CR4.OSFXSR, #NM with CR0.TS, #GP(0) on misaligned 16-byte
; operands of the aligned forms (not for MOVUPS/MOVDQU/LDDQU/PCMPxSTRx);
; then a sample of every group on fixed vectors, each result printed (the
; runner compares the text with QEMU's). RCPSS/RSQRTSS are approximations
; whose bits differ between implementations: they are checked against the
; SDM's error bound and print only "ok".
; #XM (an unmasked MXCSR exception) is checked only under pemu: QEMU 7.2's
; TCG sets the MXCSR flag but never raises #XM. It needs LDMXCSR (the x87/
; MXCSR front end); without it that part is skipped.
; qemu-args: -cpu max
%include "guest.inc"
%include "sys.inc"

; SHOW "name": print xmm0 as four dwords, high first
%macro SHOW 1
        movdqu [outbuf], xmm0
        call show_xmm
        PUTS " ", %1, 10
%endmacro

; AB a, b: xmm0 = [a], xmm1 = [b]
%macro AB 2
        movdqa xmm0, [%1]
        movdqa xmm1, [%2]
%endmacro

; FLAGS "name": print the arithmetic flags
%macro FLAGS 1
        pushfd
        pop eax
        and eax, 0x8d5
        PUTS %1, " flags="
        PUTHEX32 eax
        PUTS 10
%endmacro

; CHECK_RANGE reg, lo, hi (signed)
%macro CHECK_RANGE 3
        cmp %1, %2
        jl %%bad
        cmp %1, %3
        jle %%ok
%%bad:  PUTS "CHECK_RANGE failed at line "
        PUTHEX32 __LINE__
        PUTS 10
        FAIL
%%ok:
%endmacro

show_xmm:
        PUTHEX32 [outbuf + 12]
        PUTS " "
        PUTHEX32 [outbuf + 8]
        PUTS " "
        PUTHEX32 [outbuf + 4]
        PUTS " "
        PUTHEX32 [outbuf]
        ret

test_main:
        call sys_init
        mov eax, cr0
        and eax, ~4                     ; EM = 0
        or eax, 2                       ; MP = 1
        mov cr0, eax

        ; ---- the checks ----
        TRY
        movaps xmm0, xmm1
        ENDTRY
        EXPECT "no osfxsr", 6, 0
        TRY
        popcnt eax, ecx                 ; integer: no CR4 dependence
        crc32 eax, cl
        ENDTRY
        CHECK_EQ [last_vec], 0xffffffff

        mov eax, cr4
        or eax, 0x600                   ; OSFXSR, OSXMMEXCPT
        mov cr4, eax

        mov eax, cr0
        or eax, 8                       ; TS
        mov cr0, eax
        TRY
        addps xmm0, xmm1
        ENDTRY
        EXPECT "ts", 7, 0
        clts
        TRY
        movaps xmm0, [misal]
        ENDTRY
        EXPECT "misaligned movaps", 13, 0
        TRY
        paddb xmm0, [misal]
        ENDTRY
        EXPECT "misaligned paddb", 13, 0
        TRY
        movntdq [misal], xmm0
        ENDTRY
        EXPECT "misaligned movntdq", 13, 0
        TRY
        movups xmm0, [misal]
        movdqu xmm1, [misal]
        lddqu xmm2, [misal]
        movdqu [misal], xmm0
        addss xmm0, [misal]
        pcmpistri xmm1, [misal], 0
        ENDTRY
        EXPECT "misaligned movups/movdqu/lddqu/addss/pcmpistri", 0xffffffff, 0

        call xm_test

        ; ---- moves ----
        movdqu xmm0, [misal]
        SHOW "movdqu"
        movdqa xmm0, [va]
        movss xmm0, [vb]
        SHOW "movss m"
        movdqa xmm0, [va]
        movdqa xmm1, [vb]
        movss xmm0, xmm1
        SHOW "movss r"
        movdqa xmm0, [va]
        movsd xmm0, [db]
        SHOW "movsd m"
        movdqa xmm0, [va]
        movlps xmm0, [vb + 8]
        movhps xmm0, [vb]
        SHOW "movlps/movhps"
        AB va, vb
        movhlps xmm0, xmm1
        SHOW "movhlps"
        AB va, vb
        movlhps xmm0, xmm1
        SHOW "movlhps"
        mov eax, 0x12345678
        movd xmm0, eax
        SHOW "movd"
        movdqa xmm0, [va]
        movq xmm0, xmm0
        SHOW "movq"
        movdqa xmm1, [vb]
        movd eax, xmm1
        PUTHEX32 eax
        PUTS " movd r32", 10
        movq [scratch], xmm1
        mov dword [scratch + 8], 0x11111111
        movnti [scratch + 12], eax
        movdqa xmm0, [scratch]
        SHOW "movq m/movnti"
        movdqa xmm1, [va]
        movmskps eax, xmm1
        PUTHEX32 eax
        movmskpd eax, xmm1
        PUTHEX32 eax
        movdqa xmm1, [ia]
        pmovmskb eax, xmm1
        PUTHEX32 eax
        PUTS " movmsk", 10
        movdqa xmm0, [ib]
        movdqa xmm1, [ia]
        movdqa [scratch], xmm0
        mov edi, scratch
        maskmovdqu xmm0, xmm1           ; only bytes whose ia byte has bit 7
        movdqa xmm0, [scratch]
        SHOW "maskmovdqu"

        ; ---- FP arithmetic ----
        AB va, vb
        addps xmm0, xmm1
        SHOW "addps"
        AB va, vb
        subps xmm0, xmm1
        SHOW "subps"
        AB va, vb
        mulss xmm0, xmm1
        SHOW "mulss"
        AB va, vb
        divps xmm0, xmm1
        SHOW "divps"
        AB da, db
        addpd xmm0, xmm1
        SHOW "addpd"
        AB da, db
        divsd xmm0, xmm1
        SHOW "divsd"
        movdqa xmm0, [va]
        sqrtps xmm0, [vb]
        SHOW "sqrtps"
        sqrtpd xmm0, [db]
        SHOW "sqrtpd"
        AB va, vb
        minps xmm0, xmm1
        SHOW "minps"
        AB va, vb
        maxps xmm0, xmm1
        SHOW "maxps"
        AB da, db
        maxsd xmm0, xmm1
        SHOW "maxsd"
        AB va, vb
        cmpps xmm0, xmm1, 1
        SHOW "cmpltps"
        AB va, vb
        cmpps xmm0, xmm1, 3
        SHOW "cmpunordps"
        AB da, db
        cmpsd xmm0, xmm1, 6
        SHOW "cmpnlesd"
        AB va, vb
        comiss xmm0, xmm1
        FLAGS "comiss"
        AB vb, va
        ucomiss xmm0, xmm1
        FLAGS "ucomiss"
        movss xmm0, [va + 12]           ; NaN
        comiss xmm0, xmm0
        FLAGS "comiss nan"
        AB da, da
        ucomisd xmm0, xmm1
        FLAGS "ucomisd eq"
        AB va, vb
        addsubps xmm0, xmm1
        SHOW "addsubps"
        AB da, db
        haddpd xmm0, xmm1
        SHOW "haddpd"
        AB va, vb
        hsubps xmm0, xmm1
        SHOW "hsubps"
        movdqa xmm0, [fr]
        roundps xmm0, xmm0, 1
        SHOW "roundps down"
        movdqa xmm0, [fr]
        roundps xmm0, xmm0, 0
        SHOW "roundps nearest"
        movdqa xmm0, [va]
        roundsd xmm0, [db], 3
        SHOW "roundsd"
        AB fi, fi2
        dpps xmm0, xmm1, 0xf5
        SHOW "dpps"
        AB da, db
        dppd xmm0, xmm1, 0x32
        SHOW "dppd"
        AB va, vb
        blendps xmm0, xmm1, 5
        SHOW "blendps"
        AB va, vb
        movdqa xmm2, xmm0
        movdqa xmm0, [ia]
        blendvps xmm2, xmm1             ; mask: xmm0 (ia) sign bits
        movdqa xmm0, xmm2
        SHOW "blendvps"
        AB ia, ib
        pblendw xmm0, xmm1, 0x96
        SHOW "pblendw"
        movss xmm0, [two]
        rcpss xmm1, xmm0
        movd eax, xmm1
        sub eax, 0x3f000000             ; 1/2
        CHECK_RANGE eax, -0xc00, 0xc00
        rsqrtss xmm1, [four]
        movd eax, xmm1
        sub eax, 0x3f000000             ; 1/sqrt(4)
        CHECK_RANGE eax, -0xc00, 0xc00
        rcpps xmm1, [fi2]
        movd eax, xmm1
        sub eax, 0x3e800000             ; 1/4
        CHECK_RANGE eax, -0xc00, 0xc00
        PUTS "rcp/rsqrt ok", 10

        ; ---- conversions ----
        movdqa xmm0, [va]
        mov eax, -7
        cvtsi2ss xmm0, eax
        SHOW "cvtsi2ss"
        cvtsi2sd xmm0, [ival]
        SHOW "cvtsi2sd"
        movdqa xmm1, [fr]
        cvtss2si eax, xmm1
        PUTHEX32 eax
        cvttss2si eax, xmm1
        PUTHEX32 eax
        cvtsd2si eax, [db + 8]          ; 1e300: the integer indefinite
        PUTHEX32 eax
        cvttsd2si eax, [da]
        PUTHEX32 eax
        PUTS " cvt2si", 10
        cvtps2pd xmm0, [va]
        SHOW "cvtps2pd"
        cvtpd2ps xmm0, [db]
        SHOW "cvtpd2ps"
        cvtdq2ps xmm0, [ints]
        SHOW "cvtdq2ps"
        cvtps2dq xmm0, [fr]
        SHOW "cvtps2dq"
        cvttps2dq xmm0, [fr]
        SHOW "cvttps2dq"
        cvttpd2dq xmm0, [db]
        SHOW "cvttpd2dq"
        cvtdq2pd xmm0, [ints]
        SHOW "cvtdq2pd"
        movdqa xmm0, [va]
        cvtss2sd xmm0, [fr]
        SHOW "cvtss2sd"
        movdqa xmm0, [va]
        cvtsd2ss xmm0, [da]
        SHOW "cvtsd2ss"

        ; ---- logic ----
        AB va, vb
        andps xmm0, xmm1
        SHOW "andps"
        AB va, vb
        andnpd xmm0, xmm1
        SHOW "andnpd"
        AB va, vb
        orps xmm0, xmm1
        SHOW "orps"
        AB ia, ib
        pxor xmm0, xmm1
        SHOW "pxor"

        ; ---- shuffles ----
        AB va, vb
        shufps xmm0, xmm1, 0x1b
        SHOW "shufps"
        AB da, db
        shufpd xmm0, xmm1, 1
        SHOW "shufpd"
        AB va, vb
        unpcklps xmm0, xmm1
        SHOW "unpcklps"
        AB da, db
        unpckhpd xmm0, xmm1
        SHOW "unpckhpd"
        pshufd xmm0, [ia], 0x4e
        SHOW "pshufd"
        pshufhw xmm0, [ia], 0x1b
        SHOW "pshufhw"
        pshuflw xmm0, [ia], 0xb1
        SHOW "pshuflw"
        AB ia, ib
        pshufb xmm0, xmm1
        SHOW "pshufb"
        AB ia, ib
        palignr xmm0, xmm1, 5
        SHOW "palignr"
        movshdup xmm0, [va]
        SHOW "movshdup"
        movsldup xmm0, [va]
        SHOW "movsldup"
        movddup xmm0, [db]
        SHOW "movddup"
        AB va, vb
        insertps xmm0, xmm1, 0x99
        SHOW "insertps"
        movdqa xmm0, [va]
        insertps xmm0, [vb + 4], 0x20
        SHOW "insertps m"
        movdqa xmm1, [ia]
        extractps eax, xmm1, 2
        PUTHEX32 eax
        pextrb eax, xmm1, 9
        PUTHEX32 eax
        pextrw eax, xmm1, 5
        PUTHEX32 eax
        pextrd eax, xmm1, 3
        PUTHEX32 eax
        pextrw [scratch], xmm1, 1
        movzx eax, word [scratch]
        PUTHEX32 eax
        PUTS " extract", 10
        movdqa xmm0, [ia]
        mov eax, 0xabcdef12
        pinsrb xmm0, eax, 3
        pinsrw xmm0, eax, 6
        pinsrd xmm0, [ival], 2
        SHOW "pinsr"
        pmovsxbw xmm0, [ia]
        SHOW "pmovsxbw"
        pmovzxwq xmm0, [ia]
        SHOW "pmovzxwq"
        pmovsxdq xmm0, [ib]
        SHOW "pmovsxdq"

        ; ---- integer ----
        AB ia, ib
        paddb xmm0, xmm1
        SHOW "paddb"
        AB ia, ib
        paddsw xmm0, xmm1
        SHOW "paddsw"
        AB ia, ib
        paddusb xmm0, xmm1
        SHOW "paddusb"
        AB ia, ib
        psubsb xmm0, xmm1
        SHOW "psubsb"
        AB ia, ib
        psubq xmm0, xmm1
        SHOW "psubq"
        AB ia, ib
        pmullw xmm0, xmm1
        SHOW "pmullw"
        AB ia, ib
        pmulhuw xmm0, xmm1
        SHOW "pmulhuw"
        AB ia, ib
        pmulhw xmm0, xmm1
        SHOW "pmulhw"
        AB ia, ib
        pmuludq xmm0, xmm1
        SHOW "pmuludq"
        AB ia, ib
        pmaddwd xmm0, xmm1
        SHOW "pmaddwd"
        AB ia, ib
        psadbw xmm0, xmm1
        SHOW "psadbw"
        AB ia, ib
        pavgb xmm0, xmm1
        SHOW "pavgb"
        AB ia, ib
        pminsw xmm0, xmm1
        SHOW "pminsw"
        AB ia, ib
        pmaxub xmm0, xmm1
        SHOW "pmaxub"
        AB ia, ib
        pcmpeqb xmm0, xmm1
        SHOW "pcmpeqb"
        AB ia, ib
        pcmpgtd xmm0, xmm1
        SHOW "pcmpgtd"
        AB ia, ib
        packsswb xmm0, xmm1
        SHOW "packsswb"
        AB ia, ib
        packuswb xmm0, xmm1
        SHOW "packuswb"
        AB ia, ib
        packssdw xmm0, xmm1
        SHOW "packssdw"
        AB ia, ib
        packusdw xmm0, xmm1
        SHOW "packusdw"
        AB ia, ib
        punpcklbw xmm0, xmm1
        SHOW "punpcklbw"
        AB ia, ib
        punpckhwd xmm0, xmm1
        SHOW "punpckhwd"
        AB ia, ib
        punpckhqdq xmm0, xmm1
        SHOW "punpckhqdq"
        movdqa xmm0, [ia]
        psllw xmm0, 3
        SHOW "psllw imm"
        movdqa xmm0, [ia]
        psrad xmm0, [cnt]
        SHOW "psrad xmm"
        movdqa xmm0, [ia]
        psrlq xmm0, 60
        SHOW "psrlq imm"
        movdqa xmm0, [ia]
        pslldq xmm0, 3
        SHOW "pslldq"
        movdqa xmm0, [ia]
        psrldq xmm0, 7
        SHOW "psrldq"
        pabsw xmm0, [ia]
        SHOW "pabsw"
        AB ia, ib
        psignb xmm0, xmm1
        SHOW "psignb"
        AB ia, ib
        phaddw xmm0, xmm1
        SHOW "phaddw"
        AB ia, ib
        phsubd xmm0, xmm1
        SHOW "phsubd"
        AB ia, ib
        phaddsw xmm0, xmm1
        SHOW "phaddsw"
        AB ia, ib
        pmulhrsw xmm0, xmm1
        SHOW "pmulhrsw"
        AB ia, ib
        pmaddubsw xmm0, xmm1
        SHOW "pmaddubsw"
        AB ia, ib
        ptest xmm0, xmm1
        FLAGS "ptest"
        AB ia, ia
        pxor xmm1, xmm1
        ptest xmm0, xmm1
        FLAGS "ptest zero"
        AB ia, ib
        pcmpeqq xmm0, xmm1
        SHOW "pcmpeqq"
        AB ia, ib
        pcmpgtq xmm0, xmm1
        SHOW "pcmpgtq"
        AB ia, ib
        pminud xmm0, xmm1
        SHOW "pminud"
        AB ia, ib
        pmaxsb xmm0, xmm1
        SHOW "pmaxsb"
        AB ia, ib
        pmulld xmm0, xmm1
        SHOW "pmulld"
        AB ia, ib
        pmuldq xmm0, xmm1
        SHOW "pmuldq"
        phminposuw xmm0, [ia]
        SHOW "phminposuw"
        AB ia, ib
        mpsadbw xmm0, xmm1, 5
        SHOW "mpsadbw"

        ; ---- SSE4.2 strings, CRC32, POPCNT ----
        movdqu xmm0, [set]
        mov eax, 3
        mov edx, 16
        pcmpestri xmm0, [text], 0       ; equal any, bytes: first of "aeo"
        FLAGS "pcmpestri any"
        PUTHEX32 ecx
        PUTS 10
        movdqu xmm1, [word_]
        pcmpistri xmm1, [text], 0x0c    ; equal ordered: "lo w"
        FLAGS "pcmpistri ordered"
        PUTHEX32 ecx
        PUTS 10
        movdqu xmm1, [set]
        pcmpistri xmm1, [text], 0x40    ; equal any, the last one
        FLAGS "pcmpistri last"
        PUTHEX32 ecx
        PUTS 10
        movdqu xmm1, [range]
        pcmpistrm xmm1, [text], 0x44    ; ranges a-z, byte mask
        FLAGS "pcmpistrm"
        SHOW "pcmpistrm ranges"
        movdqu xmm1, [text]
        mov eax, 5
        mov edx, 7
        pcmpestrm xmm1, [text], 0x18    ; equal each, negative
        FLAGS "pcmpestrm"
        SHOW "pcmpestrm each"
        mov eax, 0xffffffff
        crc32 eax, byte [text]
        crc32 eax, word [text + 1]
        crc32 eax, dword [text + 3]
        not eax
        PUTHEX32 eax
        PUTS " crc32", 10
        mov ecx, 0xf0f0f0f1
        popcnt ebx, ecx
        FLAGS "popcnt"
        PUTHEX32 ebx
        PUTS 10
        xor ecx, ecx
        popcnt ax, cx
        FLAGS "popcnt 0"

        PUTS "sse: ok", 10
        PASS


; #XM (OSXMMEXCPT = 1) and #UD (OSXMMEXCPT = 0) for an unmasked exception;
; pemu only (see the top), and only when LDMXCSR exists.
xm_test:
        mov eax, 0x80000002
        cpuid
        cmp eax, 0x756d6570             ; "pemu"
        jne .done
        TRY
        ldmxcsr [mx_ze]
        ENDTRY
        cmp dword [last_vec], 0xffffffff
        jne .done
        movss xmm0, [two]
        movss xmm1, xmm0
        TRY
        divss xmm0, [zero]
        ENDTRY
        CHECK_EQ [last_vec], 19
        movd eax, xmm0
        CHECK_EQ eax, 0x40000000        ; the destination is not written
        stmxcsr [scratch]
        CHECK_EQ [scratch], 0x1d84       ; ZE recorded
        mov eax, cr4
        and eax, ~0x400
        mov cr4, eax
        TRY
        divps xmm1, [zero]
        ENDTRY
        CHECK_EQ [last_vec], 6
        mov eax, cr4
        or eax, 0x400
        mov cr4, eax
        ldmxcsr [mx_default]
.done:  ret

        section .data
        align 16
va:     dd 0x3f800000, 0x40490fdb, 0xc0000000, 0x7fc00000  ; 1, pi, -2, QNaN
vb:     dd 0x40000000, 0x3f000000, 0x00000001, 0xff800000  ; 2, 0.5, denormal, -inf
da:     dq 0x3ff8000000000000, 0x8000000000000000          ; 1.5, -0
db:     dq 0x4008000000000000, 0x7e37e43c8800759c          ; 3, 1e300
fr:     dd 0x3fc00000, 0xc0200000, 0x40100000, 0xbf400000  ; 1.5, -2.5, 2.25, -0.75
fi:     dd 0x3f800000, 0x40000000, 0x40400000, 0x40800000  ; 1, 2, 3, 4
fi2:    dd 0x40800000, 0x40a00000, 0x3f800000, 0x40000000  ; 4, 5, 1, 2
ia:     db 0x00, 0x7f, 0x80, 0xff, 0x01, 0x10, 0xfe, 0x40, 0x33, 0x81, 0x7e, 0x02, 0xc0, 0x55, 0xaa, 0x00
ib:     db 0xff, 0x01, 0x80, 0x7f, 0x02, 0xf0, 0x03, 0x40, 0x33, 0x7f, 0x81, 0xfe, 0x20, 0x55, 0x00, 0x10
ints:   dd -3, 0x7fffffff, 100, -2147483648
cnt:    dq 5, 0
scratch: times 16 db 0
        align 16
        db 0
misal:  db 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16
        align 16
set:    db "aeo", 0, "xxxxxxxxxxxx"
text:   db "hello world, sse", 0, 0, 0, 0
word_:  db "lo w", 0, "zzzzzzzzzzz"
range:  db "az", 0, "zzzzzzzzzzzzz"
ival:   dd 0x87654321
two:    dd 0x40000000
four:   dd 0x40800000
zero:   dd 0
mx_ze:  dd 0x1d80                       ; all masked but ZE
mx_default: dd 0x1f80
outbuf: times 16 db 0
%include "guest_end.inc"
