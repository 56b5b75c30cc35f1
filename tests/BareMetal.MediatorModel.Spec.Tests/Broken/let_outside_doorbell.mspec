// expect: MS0703 5:9 'let' is allowed in doorbells and at the top of decode tables only
device d {
    reg A @ 0x00 : 32 rw;
    on write A {
        let x = A + 1;
    }
    safepoint A == 0;
}
