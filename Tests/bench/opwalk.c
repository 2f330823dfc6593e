/* The floor `brine inspect` and `brine check` are measured against: walk every
 * opcode of a pickle (what pickletools.genops does, minus decoding the arguments),
 * checking each argument's length against the file and skipping its bytes.
 * Built by Tests/bench/run.py with the system cc -O2; prints the opcode count.
 *
 *   opwalk FILE
 *
 * The file is mapped read-only (MAP_POPULATE: the page cache is warm in the bench,
 * and populating in one call is the cheapest way to touch every page). Walks
 * pickles one after another until the end of the file (joblib's and protocol 5's
 * single stream alike). Exit 2 on a malformed or truncated stream. */
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

static int fail(const char *path, uint64_t at, const char *what) {
    fprintf(stderr, "opwalk: %s: at byte %llu: %s\n", path, (unsigned long long)at, what);
    return 2;
}

static uint64_t le(const uint8_t *p, int n) {
    uint64_t v = 0;
    for (int i = n - 1; i >= 0; i--) v = v << 8 | p[i];
    return v;
}

int main(int argc, char **argv) {
    if (argc != 2) {
        fprintf(stderr, "usage: opwalk FILE\n");
        return 64;
    }
    const char *path = argv[1];
    int fd = open(path, O_RDONLY);
    struct stat st;
    if (fd < 0 || fstat(fd, &st) != 0) {
        perror(path);
        return 2;
    }
    uint64_t size = (uint64_t)st.st_size;
    if (size == 0) return fail(path, 0, "empty file");
    const uint8_t *p = mmap(NULL, size, PROT_READ, MAP_PRIVATE | MAP_POPULATE, fd, 0);
    if (p == MAP_FAILED) {
        perror(path);
        return 2;
    }
    uint64_t at = 0, opcodes = 0;
    while (at < size) {
        uint8_t op = p[at];
        uint64_t arg = at + 1, rest = size - arg, skip;
        opcodes++;
        switch (op) {
        /* no argument */
        case '(': case '.': case '0': case '1': case '2': case 'N': case 'R': case 'Q':
        case 'a': case 'b': case 'd': case '}': case 'e': case 'l': case ']': case 'o':
        case 's': case 'u': case 't': case ')': case 0x85: case 0x86: case 0x87:
        case 0x81: case 0x88: case 0x89: case 0x8f: case 0x90: case 0x91:
        case 0x92: case 0x93: case 0x94: case 0x97: case 0x98:
            skip = 0;
            break;
        /* fixed-size argument */
        case 'K': case 'h': case 'q': case 0x80: case 0x82: skip = 1; break;
        case 'M': case 0x83: skip = 2; break;
        case 'J': case 'j': case 'r': case 0x84: skip = 4; break;
        case 'G': case 0x95: skip = 8; break;
        /* length-prefixed argument */
        case 'U': case 'C': case 0x8c: case 0x8a:
            if (rest < 1) return fail(path, at, "truncated length");
            skip = 1 + p[arg];
            break;
        case 'T': case 'X': case 'B': case 0x8b:
            if (rest < 4) return fail(path, at, "truncated length");
            skip = 4 + le(p + arg, 4);
            break;
        case 0x8d: case 0x8e: case 0x96:
            if (rest < 8) return fail(path, at, "truncated length");
            skip = le(p + arg, 8);
            if (skip > UINT64_MAX - 8) return fail(path, at, "length overflows");
            skip += 8;
            break;
        /* one newline-terminated line */
        case 'I': case 'L': case 'F': case 'S': case 'V': case 'g': case 'p': case 'P': {
            const uint8_t *nl = memchr(p + arg, '\n', rest);
            if (!nl) return fail(path, at, "no newline");
            skip = (uint64_t)(nl - (p + arg)) + 1;
            break;
        }
        /* two lines: module and name */
        case 'c': case 'i': {
            const uint8_t *nl = memchr(p + arg, '\n', rest);
            if (!nl) return fail(path, at, "no newline");
            const uint8_t *nl2 = memchr(nl + 1, '\n', (uint64_t)(p + size - (nl + 1)));
            if (!nl2) return fail(path, at, "no second newline");
            skip = (uint64_t)(nl2 - (p + arg)) + 1;
            break;
        }
        default:
            return fail(path, at, "unknown opcode");
        }
        if (skip > rest) return fail(path, at, "argument runs past the end of the file");
        at = arg + skip;
    }
    printf("%llu opcodes\n", (unsigned long long)opcodes);
    munmap((void *)p, size);
    close(fd);
    return 0;
}
