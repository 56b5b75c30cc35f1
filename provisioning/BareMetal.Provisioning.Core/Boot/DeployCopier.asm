; BareMetal deploy copier: a PXE network boot program (NBP) that copies BIOS drive 0x81 (the image,
; hooked by iPXE's `sanhook --drive 0x81` over HTTP range) onto drive 0x80 (the node's first local
; disk), then returns to iPXE. Served as /boot/deploy-copier.0; the bytes the server sends are
; DeployCopier.cs, and a test reassembles this file and compares:
;
;     nasm -f bin -o deploy-copier.0 DeployCopier.asm
;
; How iPXE runs it (src/arch/x86/image/pxe_image.c pxe_exec, interface/pxe/pxe_call.c pxe_start_nbp):
; the file is copied to 0000:7C00 and called with `lcall $0, $0x7c00` in real mode, interrupts on,
; on iPXE's own real-mode stack, with ES:BX = PXENV+ and SS:SP+4 = !PXE (neither used here). The NBP
; returns with a far return; AX is its status: 0 = success (`chain` succeeds and the script goes
; on), anything else makes `chain` fail with "PXE NBP error". iPXE saves EBP on that stack and pops
; it after the call, so SS:SP must come back balanced; it declares EAX..EDI clobbered. We also keep
; BP, DS, ES and the flags as we found them, which costs nothing.
;
; INT 13h during the copy: drive 0x81 is iPXE's emulated drive (each AH=42h read becomes HTTP Range
; GETs to our server, which is how the server sees copy progress); 0x80 is the BIOS's own disk,
; passed through by iPXE's INT 13h hook. Both use the EDD calls (AH=41h check, AH=48h size,
; AH=42h/43h LBA read/write), so sizes beyond CHS (8 GB) work. LBAs and sector counts are kept in
; 32 bits: images up to 2 TiB.
;
; Exit codes (AX): 0 done, 1 a drive has no EDD, 2 AH=48h failed or sectors are not 512 bytes,
; 3 local disk smaller than the image, 4 image of 2 TiB or more, 5 read error, 6 write error.

bits 16
org 0x7C00

SAN_DRIVE   equ 0x81            ; the image: iPXE's sanhook'ed HTTP disk
LOCAL_DRIVE equ 0x80            ; the node's first hard disk
BUF_SEG     equ 0x1000          ; copy buffer at linear 0x10000: free low memory above our code
                                ; and below iPXE's base-memory part (top of 640K); 64 sectors
                                ; (32 KiB) never cross a 64 KiB boundary (old BIOS DMA limit)
CHUNK       equ 64              ; sectors per INT 13h call (EDD allows 127)
COM1        equ 0x3F8           ; first serial port: data register; +5 = line status

start:
        jmp short main
        nop

; Patched by the server for each script (DeployCopier.For): the image's own size in sectors, because
; iPXE's HTTP disk can claim more than the export has. Debian's iPXE said 16388 sectors for an 8 MiB
; (16384-sector) export, and reading the last 4 failed. 0 = trust INT 13h AH=48h.
param_magic:    db "BMDC"       ; at offset 3: lets the server check it patches the right place
image_sectors:  dd 0            ; at offset 7

main:
        pushf
        push ds
        push es
        push bp
        xor ax, ax
        mov ds, ax              ; our variables are at 0000:7Cxx (org 0x7C00)
        mov es, ax
        cld
        mov si, msg_hello
        call print

        ; --- both drives must do EDD; their sizes decide whether we copy -------------------------
        mov dl, SAN_DRIVE
        call edd_sectors        ; -> EAX = sectors (EDX = high dword), CF on error, AL = code
        jc fail
        test edx, edx
        mov al, 4
        jnz fail                ; 2 TiB or more
        mov ecx, [image_sectors]
        jecxz .san32            ; no size from the server
        cmp ecx, eax
        jae .san32              ; the drive is no bigger than the image: copy what the drive has
        mov eax, ecx
.san32:
        mov [total], eax
        mov dl, LOCAL_DRIVE
        call edd_sectors
        jc fail
        test edx, edx
        jz .local32
        mov eax, 0xFFFFFFFF     ; a local disk of 2 TiB or more is big enough for any image we copy
.local32:
        mov [local_sectors], eax
        mov si, msg_image
        call print
        mov eax, [total]
        call print_dec
        mov si, msg_local
        call print
        mov eax, [local_sectors]
        call print_dec
        mov si, msg_sectors
        call print
        mov eax, [local_sectors]
        cmp eax, [total]
        mov al, 3
        jb fail                 ; unsigned: local < image

        ; --- the copy: CHUNK sectors at a time, SAN -> buffer -> local ---------------------------
        mov dword [done], 0
        mov byte [shown], 0xFF  ; no percentage printed yet
.loop:
        mov eax, [total]
        sub eax, [done]
        jz .finished
        cmp eax, CHUNK
        jbe .count
        mov eax, CHUNK
.count:
        mov [dap_count], ax
        mov [count], ax
        mov eax, [done]
        mov [dap_lba], eax
        mov dword [dap_lba + 4], 0
        mov ah, 0x42            ; extended read
        mov dl, SAN_DRIVE
        mov si, dap
        int 0x13
        mov al, 5
        jc fail_status
        mov ax, [count]
        mov [dap_count], ax     ; the call may have written back how many it read
        mov ax, 0x4300          ; extended write, AL=0: no verify
        mov dl, LOCAL_DRIVE
        mov si, dap
        int 0x13
        mov al, 6
        jc fail_status
        movzx eax, word [count]
        add [done], eax
        call progress
        jmp .loop
.finished:
        mov si, msg_done
        call print
        xor ax, ax
        jmp finish

; Error with the BIOS's INT 13h status in AH: say which call failed, at which sector, and its status.
fail_status:
        mov [status], ah
        push ax
        mov si, msg_crlf
        call print
        mov si, msg_io
        call print
        pop ax
        push ax
        cmp al, 5
        mov si, msg_read
        je .which
        mov si, msg_write
.which:
        call print
        mov si, msg_at
        call print
        mov eax, [done]
        call print_dec
        mov si, msg_status
        call print
        movzx eax, byte [status]
        call print_dec
        mov si, msg_crlf
        call print
        pop ax
        ; fall through with AL = exit code

; Error: AL = exit code. Print its reason, return it in AX.
fail:
        movzx bx, al
        push bx
        mov si, msg_error
        call print
        pop bx
        push bx
        add bx, bx
        mov si, [reasons + bx]
        call print
        pop ax

finish:
        pop bp
        pop es
        pop ds
        popf
        retf

; DL = drive -> EDX:EAX = its sectors, CF clear; or CF set and AL = exit code (1 no EDD, 2 AH=48h).
edd_sectors:
        mov [drive], dl
        mov ah, 0x41            ; EDD installation check
        mov bx, 0x55AA
        int 0x13
        jc .no_edd
        cmp bx, 0xAA55
        jne .no_edd
        test cx, 1              ; bit 0: the extended (packet) read/write calls exist
        jz .no_edd
        mov word [params], 0x1E ; our buffer's size (EDD 1.1 fills 0x1A of it)
        mov ah, 0x48            ; get drive parameters
        mov dl, [drive]
        mov si, params
        int 0x13
        jc .bad
        cmp word [params + 0x18], 512 ; bytes per sector
        jne .bad
        mov eax, [params + 0x10]; total sectors, low dword
        mov edx, [params + 0x14];              high dword
        clc
        ret
.no_edd:
        mov al, 1
        stc
        ret
.bad:
        mov al, 2
        stc
        ret

; Prints "\rBareMetal deploy: NN %" whenever the whole percentage changes.
progress:
        mov eax, [done]
        mov ecx, 100
        mul ecx                 ; EDX:EAX = done * 100 (no overflow: 64-bit product)
        div dword [total]       ; EAX = percent, 0..100
        cmp al, [shown]
        je .same
        mov [shown], al
        push eax
        mov si, msg_progress
        call print
        pop eax
        call print_dec
        mov si, msg_percent
        call print
.same:
        ret

; Prints EAX in decimal.
print_dec:
        mov ecx, 10
        mov si, numbuf_end      ; digits are written backwards from the buffer's NUL
.divide:
        xor edx, edx
        div ecx
        add dl, '0'
        dec si
        mov [si], dl
        test eax, eax
        jnz .divide
        ; fall through: print the digits

; Prints the NUL-terminated string at DS:SI on COM1, then on the screen. COM1 is skipped when the
; BIOS itself already mirrors the screen there: INT 10h then points into the BIOS (segment F000, e.g.
; SeaBIOS's serial console under QEMU -machine graphics=off) rather than into a VGA BIOS (C000). Its
; copy is flushed lazily, from the timer, so writing COM1 as well interleaved the two copies
; character by character into something unreadable (seen in QEMU 7.2 with SeaBIOS 1.16).
print:
        push si
        push es
        xor ax, ax
        mov es, ax
        cmp word [es:0x10 * 4 + 2], 0xF000 ; IVT entry of INT 10h: its segment
        pop es
        je .com_end
.com:
        lodsb
        test al, al
        jz .com_end
        call com_putc
        jmp .com
.com_end:
        pop si
.tty:
        lodsb
        test al, al
        jz .tty_end
        push si
        mov ah, 0x0E            ; INT 10h teletype output: AL char, BH page 0
        xor bx, bx
        int 0x10
        pop si
        jmp .tty
.tty_end:
        ret

; Sends AL to COM1, polled: wait until THRE (line status bit 5) says the transmit register is empty.
com_putc:
        mov ah, al
        mov dx, COM1 + 5        ; line status register
.wait:
        in al, dx
        test al, 0x20
        jz .wait
        mov al, ah
        mov dx, COM1
        out dx, al
        ret

; EDD disk address packet (AH=42h/43h): size, reserved, count, buffer offset:segment, 64-bit LBA.
dap:
        db 0x10, 0
dap_count:
        dw 0
        dw 0, BUF_SEG
dap_lba:
        dq 0

msg_hello:    db 13, 10, "BareMetal deploy: copying drive 0x81 (image) to drive 0x80 (local disk)", 13, 10, 0
msg_image:    db "BareMetal deploy: image ", 0
msg_local:    db " sectors, local disk ", 0
msg_sectors:  db " sectors", 13, 10, 0
msg_progress: db 13, "BareMetal deploy: ", 0
msg_percent:  db " %", 0
msg_done:     db 13, 10, "BareMetal deploy: copy complete", 13, 10, 0
msg_io:       db "BareMetal deploy: ", 0
msg_read:     db "read of drive 0x81", 0
msg_write:    db "write to drive 0x80", 0
msg_at:       db " failed at sector ", 0
msg_status:   db ", INT 13h status ", 0
msg_error:    db 13, 10, "BareMetal deploy failed: ", 0
msg_crlf:     db 13, 10, 0
r_none:       db "?", 13, 10, 0
r_edd:        db "a drive has no INT 13h extensions (EDD)", 13, 10, 0
r_params:     db "could not read a drive's size, or its sectors are not 512 bytes", 13, 10, 0
r_small:      db "the local disk is smaller than the image", 13, 10, 0
r_huge:       db "the image is 2 TiB or larger", 13, 10, 0
r_read:       db "could not read the image", 13, 10, 0
r_write:      db "could not write the local disk", 13, 10, 0
reasons:      dw r_none, r_edd, r_params, r_small, r_huge, r_read, r_write

; Variables (part of the file, so the image has no uninitialised tail to worry about).
total:  dd 0                    ; image sectors
local_sectors: dd 0                  ; local disk sectors
done:   dd 0                    ; sectors copied
count:  dw 0                    ; sectors in this chunk
shown:  db 0                    ; last percentage printed
status: db 0                    ; INT 13h status of a failed call
drive:  db 0
params: times 0x1E db 0         ; AH=48h result buffer
numbuf: times 10 db 0           ; print_dec's digits (2^32 has 10)
numbuf_end: db 0
