; args: -device pci-testdev
; QEMU's PCI test device: find it by scanning bus 0 (configuration
; mechanism #1), size and place its BARs ourselves (memory and I/O), then
; run every test of each BAR as kvm-unit-tests does: select it, read its
; header (width, offset, data, count, name), write its register, read the
; count back. Also what an out-of-range selection leaves visible.
%include "guest.inc"

MEMBASE equ 0xfeb00000
IOBASE  equ 0xc100

; cfg_read: eax = register (dword aligned) of the found function -> eax
cfg_read:
        push edx
        or eax, [dev_addr]
        mov dx, 0xcf8
        out dx, eax
        mov dx, 0xcfc
        in eax, dx
        pop edx
        ret

; cfg_write: eax = register, ecx = value
cfg_write:
        push edx
        or eax, [dev_addr]
        mov dx, 0xcf8
        out dx, eax
        mov dx, 0xcfc
        mov eax, ecx
        out dx, eax
        pop edx
        ret

; hdr_read8/32: esi = header byte offset -> eax (from the BAR in [is_io])
hdr_read8:
        cmp byte [is_io], 0
        jne .io
        movzx eax, byte [MEMBASE + esi]
        ret
.io:    push edx
        lea edx, [IOBASE + esi]
        xor eax, eax
        in al, dx
        pop edx
        ret
hdr_read32:
        cmp byte [is_io], 0
        jne .io
        mov eax, [MEMBASE + esi]
        ret
.io:    push edx
        lea edx, [IOBASE + esi]
        in eax, dx
        pop edx
        ret
; bar_write8: esi = offset, al = value
bar_write8:
        cmp byte [is_io], 0
        jne .io
        mov [MEMBASE + esi], al
        ret
.io:    push edx
        lea edx, [IOBASE + esi]
        out dx, al
        pop edx
        ret

; show the selected test's header
show_header:
        PUTS " width="
        mov esi, 1
        call hdr_read8
        PUTHEX32 eax
        PUTS " offset="
        mov esi, 4
        call hdr_read32
        PUTHEX32 eax
        PUTS " data="
        mov esi, 8
        call hdr_read32
        PUTHEX32 eax
        PUTS " count="
        mov esi, 12
        call hdr_read32
        PUTHEX32 eax
        PUTS " name="
        mov esi, 16
.name:  call hdr_read8
        test al, al
        jz .done
        push edx
        mov dx, DEBUGCON
        out dx, al
        pop edx
        inc esi
        cmp esi, 64
        jb .name
.done:  ret

test_main:
        ; scan bus 0
        mov dword [dev_addr], 0x80000000
.scan:  xor eax, eax
        call cfg_read
        cmp eax, 0x00051b36
        je .found
        add dword [dev_addr], 0x800
        cmp dword [dev_addr], 0x80010000
        jb .scan
        PUTS "pci-testdev: not found", 10
        FAIL
.found: PUTS "id="
        PUTHEX32 eax
        PUTS " class/rev="
        mov eax, 8
        call cfg_read
        PUTHEX32 eax
        PUTS " header="
        mov eax, 0x0c
        call cfg_read
        shr eax, 16
        and eax, 0xff
        PUTHEX32 eax
        PUTS 10
        ; BAR sizes: all ones written, the mask read back
        xor ebx, ebx
.bars:  lea eax, [0x10 + ebx * 4]
        mov ecx, 0xffffffff
        call cfg_write
        lea eax, [0x10 + ebx * 4]
        call cfg_read
        PUTS "bar"
        PUTHEX32 ebx
        PUTS "="
        PUTHEX32 eax
        PUTS 10
        inc ebx
        cmp ebx, 6
        jb .bars
        ; place them, decode on
        mov eax, 0x10
        mov ecx, MEMBASE
        call cfg_write
        mov eax, 0x14
        mov ecx, IOBASE
        call cfg_write
        mov eax, 0x04
        mov ecx, 3
        call cfg_write
        ; before any selection
        mov byte [is_io], 0
        mov esi, 1
        call hdr_read8
        PUTS "unselected width="
        PUTHEX32 eax
        PUTS 10
        ; every test of each BAR
        mov byte [is_io], 0
.type:  xor ebx, ebx
.test:  mov esi, 0
        mov al, bl
        call bar_write8
        mov esi, 1
        call hdr_read8
        cmp eax, 1
        jne .next_type
        PUTS "test "
        PUTHEX32 ebx
        cmp byte [is_io], 0
        je .m
        PUTS " portio"
        jmp .h
.m:     PUTS " mmio"
.h:     call show_header
        PUTS 10
        ; three writes of its data, one of another value
        mov esi, 8
        call hdr_read32
        mov edi, eax
        mov esi, 4
        call hdr_read32
        mov esi, eax
        mov eax, edi
        call bar_write8
        call bar_write8
        call bar_write8
        xor al, 1
        call bar_write8
        PUTS "  after 3 matching writes and 1 other:"
        call show_header
        PUTS 10
        inc ebx
        cmp ebx, 3
        jb .test
        ; out of range: what stays visible
        mov esi, 0
        mov al, 3
        call bar_write8
        PUTS "  select 3:"
        call show_header
        PUTS 10
.next_type:
        cmp byte [is_io], 0
        jne .end
        mov byte [is_io], 1
        jmp .type
.end:   PUTS "pci_testdev: ok", 10
        PASS

        section .data
dev_addr: dd 0
is_io:  db 0
%include "guest_end.inc"
