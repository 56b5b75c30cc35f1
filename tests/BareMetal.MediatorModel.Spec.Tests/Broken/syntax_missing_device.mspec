// expect: MS0102 2:1 a spec starts with 'device NAME {' but found 'reg'
reg A @ 0x00 : 32 rw;
