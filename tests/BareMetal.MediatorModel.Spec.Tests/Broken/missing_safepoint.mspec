// expect: MS0700 2:1 device 'd' has no 'safepoint' condition: de-virtualization needs to know when nothing is in flight
device d {
    reg A @ 0x00 : 32 rw;
}
