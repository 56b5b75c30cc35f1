; BareMetal deploy copier for UEFI nodes: an x86-64 EFI application with two jobs, chosen by a byte
; the server patches in (DeployCopierEfi.cs):
;
;   copy  (/boot/deploy-copier.efi?bytes=N) copies the image, which iPXE's `sanhook` made an EFI block
;         device backed by our HTTP-range export, onto the node's first local disk, then returns to
;         iPXE (status 0 = `chain` succeeds; anything else makes it fail);
;   boot  (/boot/local-boot.efi) boots that local disk the way the firmware boots a removable disk:
;         \EFI\BOOT\BOOTX64.EFI from a FAT file system on it. iPXE on UEFI cannot `sanboot` a firmware
;         disk (its drive numbers name only its own SAN devices), and `exit` hands back to the
;         firmware's boot order, which may well be the network again.
;
; Served bytes are DeployCopierEfi.cs; a test reassembles this file and compares:
;
;     nasm -f bin -o deploy-copier.efi DeployCopierEfi.asm
;
; The PE32+ image is laid out by hand below (no linker): headers in the first 0x200 bytes, one
; read/write/execute section from file offset 0x200 mapped at RVA 0x1000. All code is RIP-relative,
; so the image needs no relocations and the firmware may load it anywhere.
;
; Which block device is which (EFI has no drive numbers): iPXE installs the SAN device's
; EFI_BLOCK_IO_PROTOCOL on a handle whose device path starts with the network card's path, which
; has a MAC address node (messaging type 3, subtype 11). The source is the first whole (not a
; partition), present block device with such a node; the destination is the first whole, present,
; writable, non-removable one without (a CD-ROM is removable and read-only: never written).
;
; Calling convention: Microsoft x64 (rcx, rdx, r8, r9, then the stack above 32 bytes of shadow
; space; rsp 16-byte aligned at each call; rbx, rbp, rdi, rsi, r12-r15 preserved).
;
; Status codes returned (EFI_STATUS with the high bit set), printed with their reason:
;   ...01 no image block device (was it sanhooked?)     ...02 no local disk
;   ...03 block sizes differ                           ...04 local disk smaller than the image
;   ...05 read failed     ...06 write failed           ...07 no memory for the buffer
;   ...08 boot: no \EFI\BOOT\BOOTX64.EFI on the local disk, or it would not load

bits 64
default rel

TEXT_FILE   equ 0x200           ; file offset of the section
TEXT_RVA    equ 0x1000          ; where the firmware maps it
%define RVA(label) ((label) - text + TEXT_RVA)

BUF_PAGES   equ 256             ; 1 MiB copy buffer (4 KiB pages: aligned for any IoAlign)
BUF_BYTES   equ BUF_PAGES * 4096
ERR         equ 0x8000000000000000

; EFI_SYSTEM_TABLE
ST_CONOUT   equ 64
ST_BOOT     equ 96
; EFI_BOOT_SERVICES
BS_ALLOCPAGES   equ 40
BS_HANDLEPROTO  equ 152
BS_LOADIMAGE    equ 200
BS_STARTIMAGE   equ 208
BS_WATCHDOG     equ 256
BS_CONNECT      equ 264
BS_LOCATEBUF    equ 312
; EFI_BLOCK_IO_PROTOCOL and its EFI_BLOCK_IO_MEDIA
BIO_MEDIA   equ 8
BIO_READ    equ 24
BIO_WRITE   equ 32
BIO_FLUSH   equ 40
M_ID        equ 0
M_REMOVABLE equ 4
M_PRESENT   equ 5
M_PARTITION equ 6
M_READONLY  equ 7
M_BLOCKSIZE equ 12
M_LASTBLOCK equ 24

; ------------------------------------------------------------------------------------------------
; DOS header: "MZ" and, at 0x3C, the offset of the PE signature.
; ------------------------------------------------------------------------------------------------
        db "MZ"
        times 0x3C - ($ - $$) db 0
        dd pe_sig - $$
pe_sig: db "PE", 0, 0
; COFF file header
        dw 0x8664               ; Machine: x86-64
        dw 1                    ; NumberOfSections
        dd 0, 0, 0              ; TimeDateStamp, PointerToSymbolTable, NumberOfSymbols
        dw opt_end - opt        ; SizeOfOptionalHeader
        dw 0x0022               ; EXECUTABLE_IMAGE | LARGE_ADDRESS_AWARE (relocs not stripped: loadable anywhere)
; Optional header, PE32+
opt:    dw 0x20B                ; Magic
        db 0, 0                 ; linker version
        dd text_file_size       ; SizeOfCode
        dd 0, 0                 ; SizeOfInitializedData, SizeOfUninitializedData
        dd RVA(entry)           ; AddressOfEntryPoint
        dd TEXT_RVA             ; BaseOfCode
        dq 0x10000000           ; ImageBase (a hint: nothing needs relocating)
        dd 0x1000               ; SectionAlignment
        dd 0x200                ; FileAlignment
        dw 0, 0, 0, 0, 0, 0     ; OS, image and subsystem versions
        dd 0                    ; Win32VersionValue
        dd TEXT_RVA + ((text_virtual_size + 0xFFF) & ~0xFFF) ; SizeOfImage
        dd TEXT_FILE            ; SizeOfHeaders
        dd 0                    ; CheckSum
        dw 10                   ; Subsystem: EFI application
        dw 0                    ; DllCharacteristics
        dq 0x10000, 0x1000, 0x10000, 0x1000 ; stack and heap reserve/commit (unused by EFI)
        dd 0                    ; LoaderFlags
        dd 16                   ; NumberOfRvaAndSizes: all 16 directories empty
        times 16 dq 0
opt_end:
; Section header: .text, code | execute | read | write (the variables live in it too)
        db ".text", 0, 0, 0
        dd text_virtual_size    ; VirtualSize
        dd TEXT_RVA             ; VirtualAddress
        dd text_file_size       ; SizeOfRawData
        dd TEXT_FILE            ; PointerToRawData
        dd 0, 0                 ; relocations, line numbers
        dw 0, 0
        dd 0xE0000020
        times TEXT_FILE - ($ - $$) db 0

; ------------------------------------------------------------------------------------------------
; The section. Its first 16 bytes are the parameter block the server patches.
; ------------------------------------------------------------------------------------------------
text:
param_magic:    db "BMDE"       ; file offset 0x200: lets the server check it patches the right place
param_mode:     dd 0            ; 0x204: 0 = copy, 1 = boot the local disk
param_bytes:    dq 0            ; 0x208: the image's size in bytes (0 = trust the block device)

entry:
        push rbx
        push rbp
        push rdi
        push rsi
        push r12
        push r13
        push r14
        push r15
        sub rsp, 72             ; entry rsp = 8 mod 16; 8 pushes keep that; 72 more aligns it (32 shadow + args)
        mov [image_handle], rcx
        mov [systab], rdx
        mov rax, [rdx + ST_BOOT]
        mov [bs], rax
        ; The firmware arms a 5-minute watchdog for boot images; a big copy takes longer.
        xor ecx, ecx
        xor edx, edx
        xor r8d, r8d
        xor r9d, r9d
        call [rax + BS_WATCHDOG]

        cmp dword [param_mode], 1
        je boot_local

        lea rcx, [msg_hello]
        call print
        call find_disks
        mov rax, ERR | 1
        lea rcx, [msg_no_source]
        cmp qword [src], 0
        je fail
        mov rax, ERR | 2
        lea rcx, [msg_no_dest]
        cmp qword [dst], 0
        je fail

        ; Sizes: blocks of the image (capped by the server's byte count) and of the local disk.
        mov rsi, [src]
        mov rdi, [dst]
        mov r8, [rsi + BIO_MEDIA]
        mov r9, [rdi + BIO_MEDIA]
        mov eax, [r8 + M_BLOCKSIZE]
        mov [block_size], rax
        cmp eax, [r9 + M_BLOCKSIZE]
        mov rax, ERR | 3
        lea rcx, [msg_block_size]
        jne fail
        mov rax, [r8 + M_LASTBLOCK]
        inc rax
        mov rcx, [param_bytes]
        test rcx, rcx
        jz .sized
        ; iPXE's HTTP disk may claim a few blocks more than the export has: copy what the server says.
        add rcx, [block_size]
        dec rcx
        xchg rax, rcx
        xor edx, edx
        div qword [block_size]  ; rax = ceil(bytes / block size)
        cmp rax, rcx
        jbe .sized
        mov rax, rcx
.sized:
        mov [total], rax
        mov rax, [r9 + M_LASTBLOCK]
        inc rax
        mov [dest_blocks], rax

        lea rcx, [msg_image]
        call print
        mov rax, [total]
        call print_dec
        lea rcx, [msg_local]
        call print
        mov rax, [dest_blocks]
        call print_dec
        lea rcx, [msg_blocks_of]
        call print
        mov rax, [block_size]
        call print_dec
        lea rcx, [msg_bytes_nl]
        call print

        mov rax, [dest_blocks]
        cmp rax, [total]
        mov rax, ERR | 4
        lea rcx, [msg_too_small]
        jb fail

        ; The buffer: AllocatePages(AllocateAnyPages, EfiLoaderData, pages, &address).
        xor ecx, ecx
        mov edx, 2
        mov r8d, BUF_PAGES
        lea r9, [buffer]
        mov rax, [bs]
        call [rax + BS_ALLOCPAGES]
        test rax, rax
        mov rax, ERR | 7
        lea rcx, [msg_no_memory]
        jnz fail

        ; The copy: r12 = next LBA, r13 = blocks per chunk, r14 = blocks in this chunk.
        xor r12d, r12d
        mov eax, BUF_BYTES
        xor edx, edx
        div qword [block_size]
        mov r13, rax
        mov byte [last_percent], 0xFF
.copy:
        call progress
        mov r14, [total]
        sub r14, r12
        jz .copied
        cmp r14, r13
        jbe .chunk
        mov r14, r13
.chunk:
        mov rax, r14
        mul qword [block_size]
        mov r15, rax            ; bytes in this chunk
        ; ReadBlocks(This, MediaId, Lba, BufferSize, Buffer)
        mov rcx, [src]
        mov rax, [rcx + BIO_MEDIA]
        mov edx, [rax + M_ID]
        mov r8, r12
        mov r9, r15
        mov rax, [buffer]
        mov [rsp + 32], rax
        mov rax, [src]
        call [rax + BIO_READ]
        test rax, rax
        jz .write
        mov [status], rax
        lea rcx, [msg_read_failed]
        jmp io_fail
.write:
        mov rcx, [dst]
        mov rax, [rcx + BIO_MEDIA]
        mov edx, [rax + M_ID]
        mov r8, r12
        mov r9, r15
        mov rax, [buffer]
        mov [rsp + 32], rax
        mov rax, [dst]
        call [rax + BIO_WRITE]
        test rax, rax
        jz .next
        mov [status], rax
        lea rcx, [msg_write_failed]
        jmp io_fail
.next:
        add r12, r14
        jmp .copy
.copied:
        mov rcx, [dst]
        call [rcx + BIO_FLUSH]
        test rax, rax
        jz .flushed
        mov [status], rax
        lea rcx, [msg_write_failed]
        jmp io_fail
.flushed:
        lea rcx, [msg_done]
        call print
        xor eax, eax
        jmp finish

; A read or write failed: say which, at which block, with the firmware's status; return 5 or 6.
io_fail:
        mov rbx, rcx
        lea rcx, [msg_failed]
        call print
        mov rcx, rbx
        call print
        lea rcx, [msg_at_block]
        call print
        mov rax, r12
        call print_dec
        lea rcx, [msg_status]
        call print
        mov rax, [status]
        call print_hex
        lea rcx, [msg_nl]
        call print
        lea rax, [msg_read_failed]
        cmp rbx, rax
        mov rax, ERR | 5
        je finish
        mov rax, ERR | 6
        jmp finish

; rax = status, rcx = reason: print it and return the status.
fail:
        mov rbx, rax
        mov rsi, rcx
        lea rcx, [msg_failed]
        call print
        mov rcx, rsi
        call print
        mov rax, rbx
finish:
        add rsp, 72
        pop r15
        pop r14
        pop r13
        pop r12
        pop rsi
        pop rdi
        pop rbp
        pop rbx
        ret

; ------------------------------------------------------------------------------------------------
; Boot mode: connect every driver to the local disk (its partitions and FAT appear now, if the copy
; just wrote them), then load \EFI\BOOT\BOOTX64.EFI from the first file system on it that has one.
; ------------------------------------------------------------------------------------------------
boot_local:
        lea rcx, [msg_boot_hello]
        call print
        call find_disks
        mov rax, ERR | 2
        lea rcx, [msg_no_dest]
        cmp qword [dst], 0
        je fail
        ; ConnectController(handle, NULL, NULL, recursive)
        mov rcx, [dst_handle]
        xor edx, edx
        xor r8d, r8d
        mov r9d, 1
        mov rax, [bs]
        call [rax + BS_CONNECT]
        ; The local disk's own device path, whose children the file systems must be.
        mov rcx, [dst_handle]
        lea rdx, [guid_device_path]
        lea r8, [dst_path]
        mov rax, [bs]
        call [rax + BS_HANDLEPROTO]
        test rax, rax
        jnz .none
        mov rcx, [dst_path]
        call path_length
        mov [dst_path_len], rax
        ; LocateHandleBuffer(ByProtocol, &SimpleFileSystem, NULL, &count, &handles)
        mov ecx, 2
        lea rdx, [guid_simple_fs]
        xor r8d, r8d
        lea r9, [count]
        lea rax, [handles]
        mov [rsp + 32], rax
        mov rax, [bs]
        call [rax + BS_LOCATEBUF]
        test rax, rax
        jnz .none
        xor ebx, ebx
.each_fs:
        cmp rbx, [count]
        jae .none
        mov rax, [handles]
        mov rcx, [rax + rbx * 8]
        mov [fs_handle], rcx
        lea rdx, [guid_device_path]
        lea r8, [fs_path]
        mov rax, [bs]
        call [rax + BS_HANDLEPROTO]
        test rax, rax
        jnz .next_fs
        ; A child of the local disk: its path starts with the disk's (less the end node).
        mov rsi, [fs_path]
        mov rdi, [dst_path]
        mov rcx, [dst_path_len]
        repe cmpsb
        jne .next_fs
        call load_boot_file
        test rax, rax
        jz .start
.next_fs:
        inc rbx
        jmp .each_fs
.start:
        lea rcx, [msg_booting]
        call print
        ; StartImage(handle, NULL, NULL): returns only if the boot loader does.
        mov rcx, [boot_image]
        xor edx, edx
        xor r8d, r8d
        mov rax, [bs]
        call [rax + BS_STARTIMAGE]
        jmp finish
.none:
        mov rax, ERR | 8
        lea rcx, [msg_no_boot_file]
        jmp fail

; LoadImage of fs_path's file system + \EFI\BOOT\BOOTX64.EFI into boot_image; rax = status.
load_boot_file:
        push rsi
        push rdi
        sub rsp, 56
        mov rcx, [fs_path]
        call path_length        ; bytes before the end node
        lea rdi, [boot_path]
        cmp rax, boot_path_room
        ja .too_long
        mov rsi, [fs_path]
        mov rcx, rax
        rep movsb
        lea rsi, [file_node]
        mov ecx, file_node_end - file_node
        rep movsb
        ; LoadImage(BootPolicy FALSE, parent, path, NULL, 0, &handle)
        xor ecx, ecx
        mov rdx, [image_handle]
        lea r8, [boot_path]
        xor r9d, r9d
        mov qword [rsp + 32], 0
        lea rax, [boot_image]
        mov [rsp + 40], rax
        mov rax, [bs]
        call [rax + BS_LOADIMAGE]
        jmp .out
.too_long:
        mov rax, ERR | 8
.out:
        add rsp, 56
        pop rdi
        pop rsi
        ret

; rcx = device path: rax = its length in bytes, end node excluded.
path_length:
        mov rax, rcx
.node:
        cmp byte [rax], 0x7F    ; end of hardware device path
        je .end
        movzx edx, word [rax + 2]
        cmp edx, 4              ; a node shorter than its header would loop forever
        jb .end
        add rax, rdx
        jmp .node
.end:
        sub rax, rcx
        ret

; ------------------------------------------------------------------------------------------------
; find_disks: src/dst = the image's and the local disk's EFI_BLOCK_IO_PROTOCOL (0 if none),
; dst_handle = the local disk's handle.
; ------------------------------------------------------------------------------------------------
find_disks:
        push rbx
        push rsi
        push rdi
        sub rsp, 48
        xor eax, eax
        mov [src], rax
        mov [dst], rax
        ; LocateHandleBuffer(ByProtocol, &BlockIo, NULL, &count, &handles)
        mov ecx, 2
        lea rdx, [guid_block_io]
        xor r8d, r8d
        lea r9, [count]
        lea rax, [handles]
        mov [rsp + 32], rax
        mov rax, [bs]
        call [rax + BS_LOCATEBUF]
        test rax, rax
        jnz .out
        xor ebx, ebx
.each:
        cmp rbx, [count]
        jae .out
        mov rax, [handles]
        mov rcx, [rax + rbx * 8]
        mov [handle], rcx
        lea rdx, [guid_block_io]
        lea r8, [bio]
        mov rax, [bs]
        call [rax + BS_HANDLEPROTO]
        test rax, rax
        jnz .next
        mov rsi, [bio]
        mov rsi, [rsi + BIO_MEDIA]
        cmp byte [rsi + M_PRESENT], 0
        je .next
        cmp byte [rsi + M_PARTITION], 0
        jne .next
        ; Does its device path have a MAC address node? (No path at all: not the network.)
        xor edi, edi
        mov rcx, [handle]
        lea rdx, [guid_device_path]
        lea r8, [path]
        mov rax, [bs]
        call [rax + BS_HANDLEPROTO]
        test rax, rax
        jnz .classify
        mov rax, [path]
.node:
        cmp byte [rax], 0x7F
        je .classify
        cmp word [rax], 0x0B03  ; type 3 (messaging), subtype 11 (MAC address)
        jne .step
        mov edi, 1
        jmp .classify
.step:
        movzx edx, word [rax + 2]
        cmp edx, 4
        jb .classify
        add rax, rdx
        jmp .node
.classify:
        mov rax, [bio]
        test edi, edi
        jz .local
        cmp qword [src], 0
        jne .next
        mov [src], rax
        jmp .next
.local:
        cmp qword [dst], 0
        jne .next
        cmp byte [rsi + M_READONLY], 0
        jne .next
        cmp byte [rsi + M_REMOVABLE], 0
        jne .next
        mov [dst], rax
        mov rcx, [handle]
        mov [dst_handle], rcx
.next:
        inc rbx
        jmp .each
.out:
        add rsp, 48
        pop rdi
        pop rsi
        pop rbx
        ret

; ------------------------------------------------------------------------------------------------
; Output on ConOut (the screen and, with OVMF, the serial console).
; ------------------------------------------------------------------------------------------------

; rcx = NUL-terminated UTF-16 string.
print:
        sub rsp, 40
        mov rdx, rcx
        mov rcx, [systab]
        mov rcx, [rcx + ST_CONOUT]
        call [rcx + 8]          ; OutputString(This, String)
        add rsp, 40
        ret

; rax = unsigned number, printed in decimal.
print_dec:
        push rbx
        sub rsp, 32
        lea rcx, [number_end]
        mov ebx, 10
.digit:
        xor edx, edx
        div rbx
        add edx, '0'
        sub rcx, 2
        mov [rcx], dx
        test rax, rax
        jnz .digit
        call print
        add rsp, 32
        pop rbx
        ret

; rax = number, printed as 0x and 16 hex digits.
print_hex:
        sub rsp, 40
        lea rcx, [number_end]
        mov r8d, 16
        lea r9, [hex_digits]
.digit:
        mov edx, eax
        and edx, 15
        movzx edx, byte [r9 + rdx]
        sub rcx, 2
        mov [rcx], dx
        shr rax, 4
        dec r8d
        jnz .digit
        sub rcx, 4
        mov dword [rcx], '0' | ('x' << 16)
        call print
        add rsp, 40
        ret

; "BareMetal deploy: NN %" whenever the whole percentage of r12 blocks of [total] changes.
progress:
        sub rsp, 40
        mov rax, r12
        mov ecx, 100
        mul rcx
        mov rcx, [total]
        test rcx, rcx
        jz .out
        div rcx
        cmp al, [last_percent]
        je .out
        mov [last_percent], al
        push rax
        sub rsp, 8
        lea rcx, [msg_progress]
        call print
        add rsp, 8
        pop rax
        movzx eax, al
        call print_dec
        lea rcx, [msg_percent]
        call print
.out:
        add rsp, 40
        ret

; ------------------------------------------------------------------------------------------------
; Data
; ------------------------------------------------------------------------------------------------
align 8
guid_block_io:      dd 0x964E5B21
                    dw 0x6459, 0x11D2
                    db 0x8E, 0x39, 0x00, 0xA0, 0xC9, 0x69, 0x72, 0x3B
guid_device_path:   dd 0x09576E91
                    dw 0x6D3F, 0x11D2
                    db 0x8E, 0x39, 0x00, 0xA0, 0xC9, 0x69, 0x72, 0x3B
guid_simple_fs:     dd 0x964E5B22
                    dw 0x6459, 0x11D2
                    db 0x8E, 0x39, 0x00, 0xA0, 0xC9, 0x69, 0x72, 0x3B

; A media file-path node (type 4, subtype 4) for the removable-media boot file, then the end node.
file_node:          db 4, 4
                    dw file_name_end - file_node
                    dw __utf16__("\EFI\BOOT\BOOTX64.EFI"), 0
file_name_end:
                    db 0x7F, 0xFF, 4, 0
file_node_end:

hex_digits:         db "0123456789ABCDEF"

%define T(s) dw __utf16__(s), 0
msg_hello:          T(`\r\nBareMetal deploy: copying the image (iPXE's SAN disk) to the local disk\r\n`)
msg_boot_hello:     T(`\r\nBareMetal deploy: booting the local disk\r\n`)
msg_image:          T("BareMetal deploy: image ")
msg_local:          T(" blocks, local disk ")
msg_blocks_of:      T(" blocks of ")
msg_bytes_nl:       T(` bytes\r\n`)
msg_progress:       T(`\rBareMetal deploy: `)
msg_percent:        T(" %")
msg_done:           T(`\r\nBareMetal deploy: copy complete\r\n`)
msg_booting:        T(`BareMetal deploy: starting \\EFI\\BOOT\\BOOTX64.EFI from the local disk\r\n`)
msg_failed:         T(`\r\nBareMetal deploy failed: `)
msg_at_block:       T(" at block ")
msg_status:         T(", EFI status ")
msg_nl:             T(`\r\n`)
msg_no_source:      T(`no image block device (iPXE's sanhook of the image is missing)\r\n`)
msg_no_dest:        T(`no local disk (a present, writable, non-removable block device)\r\n`)
msg_block_size:     T(`the image and the local disk have different block sizes\r\n`)
msg_too_small:      T(`the local disk is smaller than the image\r\n`)
msg_no_memory:      T(`no memory for the copy buffer\r\n`)
msg_read_failed:    T("read of the image")
msg_write_failed:   T("write to the local disk")
msg_no_boot_file:   T(`no file system on the local disk has \\EFI\\BOOT\\BOOTX64.EFI that loads\r\n`)

text_file_end:
; Variables: zero-filled in the file (the section is this long on disk too, which keeps the loader's
; job to a copy).
align 8
image_handle:   dq 0
systab:         dq 0
bs:             dq 0
src:            dq 0
dst:            dq 0
dst_handle:     dq 0
dst_path:       dq 0
dst_path_len:   dq 0
fs_handle:      dq 0
fs_path:        dq 0
boot_image:     dq 0
handle:         dq 0
bio:            dq 0
path:           dq 0
count:          dq 0
handles:        dq 0
buffer:         dq 0
block_size:     dq 0
total:          dq 0
dest_blocks:    dq 0
status:         dq 0
last_percent:   db 0
align 8
number:         times 24 dw 0
number_end:     dw 0
boot_path_room  equ 512
boot_path:      times boot_path_room + (file_node_end - file_node) db 0
        align 0x200, db 0
text_end:
text_file_size      equ text_end - text
text_virtual_size   equ text_end - text
