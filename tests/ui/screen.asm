; A boot sector for tests/ui: a known guest screen, then an echo of the
; keyboard. On a 1.44M floppy (-fda, -boot a).
;   default:        VGA text 80x25: a double-line box in yellow on blue
;                   (attribute 0x1e) with "PEMU-TEXT" inside, a line
;                   "RED-ON-GREEN" in attribute 0x24, a full block (0xdb) in
;                   bright white (0x0f) at row 10, column 0.
;   -DMODE13:       mode 13h, 320x200x256: four horizontal colour bars.
; Then it polls the 8042 with interrupts off and writes each scan code byte
; it reads to debugcon (port 0xe9) as two hex digits and a blank, and
; "READY\n" before the first one.
        bits 16
        org 0x7c00
start:  cli
        xor ax, ax
        mov ds, ax
        mov ss, ax
        mov sp, 0x7c00
        sti
%ifdef MODE13
        mov ax, 0x0013
        int 0x10
        cli
        mov ax, 0xa000
        mov es, ax
        xor di, di
        mov al, 4               ; red
        mov cx, 320 * 50
        rep stosb
        mov al, 2               ; green
        mov cx, 320 * 50
        rep stosb
        mov al, 1               ; blue
        mov cx, 320 * 50
        rep stosb
        mov al, 15              ; white
        mov cx, 320 * 50
        rep stosb
%else
        mov ax, 0x0003
        int 0x10
        mov ah, 0x01            ; hide the cursor: a stable screen
        mov cx, 0x2000
        int 0x10
        cli
        mov ax, 0xb800
        mov es, ax
        mov ax, 0x0720          ; clear to grey on black
        xor di, di
        mov cx, 80 * 25
        rep stosw
        mov ah, 0x1e
        mov di, (2 * 80 + 2) * 2
        mov si, box_top
        call puts
        mov di, (3 * 80 + 2) * 2
        mov si, box_mid
        call puts
        mov di, (4 * 80 + 2) * 2
        mov si, box_bot
        call puts
        mov ah, 0x24
        mov di, (6 * 80 + 2) * 2
        mov si, redgreen
        call puts
        mov word [es:(10 * 80) * 2], 0x0fdb
%endif
        cli
        mov si, ready
.r:     lodsb
        test al, al
        jz .poll
        out 0xe9, al
        jmp .r
.poll:  in al, 0x64
        test al, 1
        jz .poll
        in al, 0x60
        mov ah, al
        shr al, 4
        call hex
        mov al, ah
        and al, 15
        call hex
        mov al, ' '
        out 0xe9, al
        jmp .poll
hex:    add al, '0'
        cmp al, '9'
        jbe .o
        add al, 'a' - '0' - 10
.o:     out 0xe9, al
        ret
%ifndef MODE13
puts:   lodsb                   ; ds:si -> es:di with attribute ah
        test al, al
        jz .e
        stosw
        jmp puts
.e:     ret
box_top: db 0xc9, 0xcd, 0xcd, 0xcd, 0xcd, 0xcd, 0xcd, 0xcd, 0xcd, 0xcd, 0xcd, 0xcd, 0xbb, 0
box_mid: db 0xba, " PEMU-TEXT ", 0xba, 0
box_bot: db 0xc8, 0xcd, 0xcd, 0xcd, 0xcd, 0xcd, 0xcd, 0xcd, 0xcd, 0xcd, 0xcd, 0xcd, 0xbc, 0
redgreen: db "RED-ON-GREEN", 0
%endif
ready:  db "READY", 10, 0
        times 510 - ($ - $$) db 0
        dw 0xaa55
        times 1474560 - 512 db 0
