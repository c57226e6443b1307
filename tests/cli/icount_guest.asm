; For tests/cli/icount.sh: under -icount the TSC counts instructions.
; Prints the TSC difference across a known instruction sequence (with
; interrupts off: rdtsc, mov, mov, then 1000 x (dec, jnz) = 2003
; instructions from the first RDTSC to the second), then the PIT's channel
; 0 count latched after a second loop (a clock read the PIT derives from
; the virtual clock), and exits through isa-debug-exit.
%include "guest.inc"

test_main:
        cli
        ; PIT channel 0: mode 2, full count
        mov al, 0x34
        out 0x43, al
        xor al, al
        out 0x40, al
        out 0x40, al
        rdtsc
        mov esi, eax
        mov ecx, 1000
.l:     dec ecx
        jnz .l
        rdtsc
        sub eax, esi
        PUTS "tsc delta "
        PUTHEX32 eax
        PUTS 10
        mov ecx, 50000
.m:     dec ecx
        jnz .m
        mov al, 0                       ; latch channel 0
        out 0x43, al
        in al, 0x40
        mov ah, al
        in al, 0x40
        xchg al, ah
        movzx eax, ax
        PUTS "pit count "
        PUTHEX32 eax
        PUTS 10
        PASS
%include "guest_end.inc"
