; A fake bzImage for tests/boot/linux.sh: a real setup header (protocol
; 2.15) whose "setup code" reports, on debugcon (port 0xe9), what the
; loader handed over through SeaBIOS and pemu's option ROM: segment
; registers and SP, the header fields the loader fills, the command line,
; the first bytes of the protected-mode part at 1 MiB and of the initrd
; (copied down with INT 15h AH=87h), and the BIOS e820 map. Then it exits
; through isa-debug-exit (status 33).
; nasm -f bin -DINITRD_MAX=0x7fffffff linux_setup.asm
bits 16
org 0
%ifndef INITRD_MAX
%define INITRD_MAX 0x7fffffff
%endif
SETUP_SECTS equ 2
KERNEL_LEN  equ 512

    times 0x1f1 - ($ - $$) db 0
    db SETUP_SECTS                ; 1f1 setup_sects
    dw 0                          ; 1f2 root_flags
    dd KERNEL_LEN / 16            ; 1f4 syssize
    dw 0, 0xffff, 0               ; 1f8 ram_size, vid_mode, root_dev
    dw 0xaa55                     ; 1fe boot_flag
    jmp short start               ; 200 jump (its offset gives the header end)
    db "HdrS"                     ; 202
    dw 0x020f                     ; 206 version 2.15
    dd 0                          ; 208 realmode_swtch
    dw 0, 0                       ; 20c start_sys_seg, kernel_version
    db 0                          ; 210 type_of_loader
    db 0x01                       ; 211 loadflags: LOADED_HIGH
    dw 0                          ; 212 setup_move_size
    dd 0x100000                   ; 214 code32_start
    dd 0, 0                       ; 218 ramdisk_image, ramdisk_size
    dd 0                          ; 220 bootsect_kludge
    dw 0                          ; 224 heap_end_ptr
    db 0, 0                       ; 226 ext_loader_ver, ext_loader_type
    dd 0                          ; 228 cmd_line_ptr
    dd INITRD_MAX                 ; 22c initrd_addr_max
    dd 0x200000                   ; 230 kernel_alignment
    db 0, 0                       ; 234 relocatable_kernel, min_alignment
    dw 0                          ; 236 xloadflags
    dd 255                        ; 238 cmdline_size
    times 0x260 - ($ - $$) db 0
    dd 0x10000                    ; 260 init_size
    dd 0, 0                       ; 264 handover_offset, kernel_info_offset

%macro print 1
    jmp %%over
%%s: db %1, 0
%%over:
    mov si, %%s
    call puts
%endmacro

start:                            ; 26c: cs = setup segment + 0x20
    mov bp, sp
    print "cs="
    mov ax, cs
    call hex16
    print " ds="
    mov ax, ds
    call hex16
    print " es="
    mov ax, es
    call hex16
    print " ss="
    mov ax, ss
    call hex16
    print " sp="
    mov ax, bp
    call hex16
    print `\nloader=`
    mov al, [0x210]
    call hex8
    print " flags="
    mov al, [0x211]
    call hex8
    print " heap="
    mov ax, [0x224]
    call hex16
    print " cmdline="
    mov eax, [0x228]
    call hex32
    print " rdimage="
    mov eax, [0x218]
    call hex32
    print " rdsize="
    mov eax, [0x21c]
    call hex32
    print `\ncmd=`
    push ds
    mov si, [0x228]
    and si, 15
    mov eax, [0x228]
    shr eax, 4
    mov ds, ax
    call puts
    pop ds
    print `\nkernel=`
    mov eax, 0x100000
    call peek
    print `\ninitrd=`
    mov eax, [0x218]
    call peek
    print `\n`

    ; the BIOS memory map, one "e820 base len type" line per entry
    xor ebx, ebx
.e820:
    push ds
    pop es
    mov di, e820buf
    mov eax, 0xe820
    mov edx, 0x534d4150
    mov ecx, 20
    int 0x15
    jc .done
    print "e820 "
    mov eax, [e820buf + 4]
    call hex32
    mov eax, [e820buf]
    call hex32
    print " "
    mov eax, [e820buf + 12]
    call hex32
    mov eax, [e820buf + 8]
    call hex32
    print " "
    mov al, [e820buf + 16]
    call hex8
    print `\n`
    test ebx, ebx
    jnz .e820
.done:
    print `end\n`
    mov al, 0x10
    out 0xf4, al                  ; isa-debug-exit: status (0x10 << 1) | 1
    cli
    hlt

; 16 bytes at physical eax, printed as characters (INT 15h AH=87h block move)
peek:
    mov [gdt + 0x12], ax          ; source base 15..0
    shr eax, 16
    mov [gdt + 0x14], al          ; source base 23..16
    mov [gdt + 0x17], ah          ; source base 31..24
    xor eax, eax
    mov ax, ds
    shl eax, 4
    add eax, buf
    mov [gdt + 0x1a], ax          ; destination base
    shr eax, 16
    mov [gdt + 0x1c], al
    mov [gdt + 0x1f], ah
    push ds
    pop es
    mov si, gdt
    mov cx, 8                     ; words
    mov ah, 0x87
    int 0x15
    mov si, buf
    mov cx, 16
.c: lodsb
    out 0xe9, al
    loop .c
    ret

puts:
    lodsb
    test al, al
    jz .d
    out 0xe9, al
    jmp puts
.d: ret

hex32:
    mov cx, 8
    jmp hexn
hex16:
    shl eax, 16
    mov cx, 4
    jmp hexn
hex8:
    shl eax, 24
    mov cx, 2
hexn:
    rol eax, 4
    push ax
    and al, 15
    add al, '0'
    cmp al, '9'
    jbe .o
    add al, 'a' - '9' - 1
.o: out 0xe9, al
    pop ax
    loop hexn
    ret

align 8
gdt:                              ; INT 15h AH=87h descriptor table
    times 16 db 0                 ; null, GDT alias (BIOS fills)
    dw 0xffff, 0, 0x9300, 0       ; source
    dw 0xffff, 0, 0x9300, 0       ; destination
    times 16 db 0                 ; BIOS CS, SS
buf: times 16 db 0
e820buf: times 20 db 0

    times (SETUP_SECTS + 1) * 512 - ($ - $$) db 0
kernel:
    db "PEMU-KERNEL-1MiB"
    times KERNEL_LEN - ($ - kernel) db 0
