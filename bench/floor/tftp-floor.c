/*
 * The lock-step floor of this machine: a "TFTP server" that answers a read request with an OACK and then
 * each ACK with the next DATA at once, from memory, with no file, no timers and no checks. No real server
 * can be faster per round trip; bench/tftp-lockstep.sh runs it beside ours and the peers.
 * Usage: tftp-floor PORT SIZE   (every read request gets SIZE bytes of 0x5a in the blksize the client asked for)
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <strings.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

int main(int argc, char **argv)
{
    if (argc != 3) {
        fprintf(stderr, "usage: tftp-floor PORT SIZE\n");
        return 2;
    }
    long size = atol(argv[2]);
    int s = socket(AF_INET, SOCK_DGRAM, 0);
    struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons((unsigned short)atoi(argv[1])) };
    inet_pton(AF_INET, "127.0.0.1", &a.sin_addr);
    if (bind(s, (struct sockaddr *)&a, sizeof a) != 0) {
        perror("bind");
        return 1;
    }
    char data[65468];
    memset(data, 0x5a, sizeof data);
    data[0] = 0;
    data[1] = 3;
    printf("listening\n");
    fflush(stdout);
    for (;;) {
        char buf[2048];
        struct sockaddr_in from;
        socklen_t fl = sizeof from;
        int got = (int)recvfrom(s, buf, sizeof buf - 1, 0, (struct sockaddr *)&from, &fl);
        if (got < 2 || buf[1] != 1)
            continue;
        buf[got] = 0;
        int blksize = 512;
        for (int i = 2; i < got;) { /* filename, mode, then option/value pairs */
            const char *key = buf + i;
            i += (int)strlen(key) + 1;
            if (i < got && strcasecmp(key, "blksize") == 0)
                blksize = atoi(buf + i);
        }
        if (blksize < 8 || blksize > (int)sizeof data - 4)
            blksize = 512;
        long blocks = size / blksize;
        int t = socket(AF_INET, SOCK_DGRAM, 0);
        connect(t, (struct sockaddr *)&from, sizeof from);
        char oack[64];
        int n = 2;
        oack[0] = 0;
        oack[1] = 6;
        n += sprintf(oack + n, "blksize") + 1;
        n += sprintf(oack + n, "%d", blksize) + 1;
        send(t, oack, (size_t)n, 0);
        for (long b = 1; b <= blocks + 1;) {
            int r = (int)recv(t, buf, sizeof buf, 0);
            if (r < 4)
                break;
            unsigned short acked = (unsigned short)(((unsigned char)buf[2] << 8) | (unsigned char)buf[3]);
            if (acked != (unsigned short)(b - 1))
                continue;
            data[2] = (char)(b >> 8);
            data[3] = (char)b;
            send(t, data, (size_t)(b <= blocks ? blksize : size % blksize) + 4, 0);
            b++;
        }
        close(t);
    }
}
