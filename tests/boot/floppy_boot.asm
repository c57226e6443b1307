; A 1.44M floppy boot sector: printed through the BIOS (INT 10h teletype,
; which SeaBIOS mirrors on the serial console under -nographic) and on
; debugcon, then exit through isa-debug-exit with code 0.
        bits 16
        org 0x7c00
start:
        cli
        xor ax, ax
        mov ds, ax
        mov ss, ax
        mov sp, 0x7c00
        sti
        mov si, msg
.next:  lodsb
        test al, al
        jz .done
        mov ah, 0x0e
        mov bx, 0x0007
        int 0x10
        out 0xe9, al
        jmp .next
.done:  ; the BIOS loaded us at 0000:7C00 with DL = the boot drive (0 = A:)
        mov al, dl
        add al, '0'
        out 0xe9, al
        mov al, 10
        out 0xe9, al
        xor ax, ax
        mov dx, 0xf4
        out dx, ax
        hlt
msg:    db "floppy: booted from drive ", 0
        times 510 - ($ - $$) db 0
        dw 0xaa55
        times 1474560 - 512 db 0
