; A floppy that drives the VGA the way a boot loader does, through the VGA
; BIOS that SeaBIOS found in the PCI VGA's ROM BAR (vgabios-stdvga.bin):
;   1. reads 00:02.0's vendor/device and BAR 0 (config mechanism #1);
;   2. VBE 4F00: controller info ("VESA", version, video memory);
;   3. walks the mode list with 4F01 for 640x480x32 with a linear
;      framebuffer, and checks its PhysBasePtr is BAR 0;
;   4. sets it with 4F02 (LFB bit), then, in unreal mode, paints the top
;      half orange (ff8000) and the bottom half blue (0080ff) and a white
;      square of 64x64 at (288, 208).
; Each finding is a line on debugcon (port 0xe9); the last is "vbe: ok" or
; "vbe: FAIL <step>". The guest then halts so that the test can take a
; screen dump; the same floppy runs on QEMU for comparison.
        bits 16
        org 0x7c00
start:
        cli
        xor ax, ax
        mov ds, ax
        mov es, ax
        mov ss, ax
        mov sp, 0x7c00
        sti
        mov ax, 0x0208          ; read 8 sectors: the rest of this program
        mov bx, 0x7e00
        mov cx, 0x0002          ; cylinder 0, sector 2
        xor dh, dh              ; head 0, DL = the boot drive
        int 0x13
        mov si, s_disk
        jc fail
        jmp main

; puts: the NUL-terminated string at DS:SI to debugcon (clobbers AL)
puts:   lodsb
        test al, al
        jz .r
        out 0xe9, al
        jmp puts
.r:     ret

; puthex: the low CL hex digits of EAX (CL = 8 or 4); clobbers BX, DX
puthex: push eax
        push cx
        movzx cx, cl
        mov bx, cx
        shl bx, 2
        mov dx, 32
        sub dx, bx
        xchg cx, dx             ; shift the wanted digits to the top
        shl eax, cl
        mov cx, dx
.d:     rol eax, 4
        push eax
        and al, 15
        add al, '0'
        cmp al, '9'
        jbe .o
        add al, 'a' - '0' - 10
.o:     out 0xe9, al
        pop eax
        loop .d
        pop cx
        pop eax
        ret

nl:     mov al, 10
        out 0xe9, al
        ret

fail:   push si
        mov si, s_fail
        call puts
        pop si
        call puts
        call nl
        jmp halt

s_disk: db "disk", 0
s_fail: db "vbe: FAIL ", 0

        times 510 - ($ - $$) db 0
        dw 0xaa55

main:
        ; 1. PCI 00:02.0: identity and BAR 0
        mov si, s_pci
        call puts
        mov eax, 0x80001000
        mov dx, 0xcf8
        out dx, eax
        mov dx, 0xcfc
        in eax, dx
        mov cl, 8
        call puthex
        mov eax, 0x80001010
        mov dx, 0xcf8
        out dx, eax
        mov dx, 0xcfc
        in eax, dx
        and al, 0xf0
        mov [bar0], eax
        mov si, s_bar0
        call puts
        mov eax, [bar0]
        mov cl, 8
        call puthex
        call nl

        ; 2. VBE controller information
        mov di, vbeinfo
        mov dword [di], 'VBE2'
        mov ax, 0x4f00
        int 0x10
        mov si, s_4f00
        cmp ax, 0x004f
        jne fail
        cmp dword [vbeinfo], 'VESA'
        jne fail
        mov si, s_vesa
        call puts
        mov ax, [vbeinfo + 4]
        mov cl, 4
        call puthex
        mov si, s_mem
        call puts
        mov ax, [vbeinfo + 0x12]  ; total memory, 64 KiB blocks
        mov cl, 4
        call puthex
        call nl

        ; 3. the mode list: the first 640x480x32 mode with a linear framebuffer
        lfs si, [vbeinfo + 0x0e]
.mode:  mov cx, [fs:si]
        add si, 2
        push si
        mov si, s_nomode
        cmp cx, 0xffff
        je fail
        pop si
        mov di, modeinfo
        mov ax, 0x4f01
        push cx
        int 0x10
        pop cx
        cmp ax, 0x004f
        jne .mode
        cmp word [modeinfo + 0x12], 640
        jne .mode
        cmp word [modeinfo + 0x14], 480
        jne .mode
        cmp byte [modeinfo + 0x19], 32
        jne .mode
        test byte [modeinfo], 0x80
        jz .mode
        mov [mode], cx
        mov si, s_mode
        call puts
        mov ax, cx
        mov cl, 4
        call puthex
        mov si, s_lfb
        call puts
        mov eax, [modeinfo + 0x28]
        mov cl, 8
        call puthex
        mov si, s_pitch
        call puts
        mov ax, [modeinfo + 0x10]
        mov cl, 4
        call puthex
        call nl
        mov si, s_notbar
        mov eax, [modeinfo + 0x28]
        cmp eax, [bar0]
        jne fail

        ; 4. set the mode with the LFB, paint it from unreal mode
        mov bx, [mode]
        or bx, 0x4000
        mov ax, 0x4f02
        int 0x10
        mov si, s_4f02
        cmp ax, 0x004f
        jne fail
        cli
        lgdt [gdtr]
        mov eax, cr0
        or al, 1
        mov cr0, eax
        jmp .pm
.pm:    mov bx, 8
        mov fs, bx              ; base 0, limit 4 GiB, kept after PE is cleared
        and al, 0xfe
        mov cr0, eax
        jmp 0:.rm
.rm:    xor ax, ax
        mov fs, ax
        mov edi, [bar0]
        mov ecx, 640 * 240
        mov eax, 0x00ff8000
.top:   mov [fs:edi], eax
        add edi, 4
        dec ecx
        jnz .top
        mov ecx, 640 * 240
        mov eax, 0x000080ff
.bot:   mov [fs:edi], eax
        add edi, 4
        dec ecx
        jnz .bot
        mov edi, [bar0]
        add edi, (208 * 640 + 288) * 4
        mov dx, 64
.row:   mov ecx, 64
        mov eax, 0x00ffffff
.px:    mov [fs:edi + ecx * 4 - 4], eax
        dec ecx
        jnz .px
        add edi, 640 * 4
        dec dx
        jnz .row
        mov si, s_ok
        call puts
halt:   cli
        hlt
        jmp halt

s_pci:    db "vbe: pci 00:02.0 id ", 0
s_bar0:   db " bar0 ", 0
s_4f00:   db "4f00", 0
s_vesa:   db "vbe: VESA version ", 0
s_mem:    db " memory 64k x ", 0
s_nomode: db "no 640x480x32 LFB mode", 0
s_mode:   db "vbe: mode ", 0
s_lfb:    db " lfb ", 0
s_pitch:  db " pitch ", 0
s_notbar: db "the mode's PhysBasePtr is not BAR 0", 0
s_4f02:   db "4f02", 0
s_ok:     db "vbe: ok", 10, 0

        align 8
gdt:    dq 0
        dq 0x00cf92000000ffff   ; flat data, 4 GiB
gdtr:   dw 15
        dd gdt

        align 4
bar0:   dd 0
mode:   dw 0
        align 16
vbeinfo:  times 512 db 0
modeinfo: times 256 db 0

        times 1474560 - ($ - $$) db 0
