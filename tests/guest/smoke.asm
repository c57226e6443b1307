; smoke: the guest-test frame itself works (entry state, debugcon, exit code).
%include "guest.inc"

test_main:
        PUTS "smoke: multiboot magic "
        PUTHEX32 [mb_eax]
        PUTS 10
        CHECK_EQ [mb_eax], 0x2BADB002
        mov eax, cr0
        and eax, 1
        CHECK_EQ eax, 1                 ; protected mode
        mov ecx, 10
        xor eax, eax
.sum:   add eax, ecx
        loop .sum
        CHECK_EQ eax, 55
        PUTS "smoke: ok", 10
        ret

%include "guest_end.inc"
