/* The glibc interfaces the release binary uses that glibc 2.28 lacks or defines differently,
 * in terms of interfaces 2.28 has (docs/packaging.md, "glibc 2.28"). Linked into the release
 * binary only: the link's --wrap=SYM sends every reference to SYM to __wrap_SYM here, and
 * __glibc_compat_old_SYM (SYM.S, written by pins.sh) is SYM at its newest version <= 2.28. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <link.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#define HIDDEN __attribute__((visibility("hidden")))

/* --- Program start-up ---------------------------------------------------------------------
 * Since 2.34, crt1.o calls __libc_start_main@GLIBC_2.34 with init = NULL and libc runs the
 * executable's DT_INIT and DT_INIT_ARRAY itself. The old __libc_start_main only calls `init`
 * (crt1.o passed __libc_csu_init, which did that); with NULL the Swift runtime's and C++'s
 * constructors would never run. So pass an init that does what __libc_csu_init did for a
 * dynamically linked program (ld.so runs the preinit array). Both glibc generations call a
 * non-NULL init instead of their own constructor walk, so constructors run exactly once. */
typedef int (*start_fn)(int, char **, char **);
extern void (*__init_array_start[])(int, char **, char **) HIDDEN;
extern void (*__init_array_end[])(int, char **, char **) HIDDEN;
extern void _init(void);
int __glibc_compat_old___libc_start_main(start_fn, int, char **, start_fn, void (*)(void),
                                         void (*)(void), void *) HIDDEN;

static int run_constructors(int argc, char **argv, char **envp) {
    _init();
    size_t count = (size_t)(__init_array_end - __init_array_start);
    for (size_t i = 0; i < count; i++)
        __init_array_start[i](argc, argv, envp);
    return 0;
}

HIDDEN int __wrap___libc_start_main(start_fn main, int argc, char **argv, start_fn init,
                                    void (*fini)(void), void (*rtld_fini)(void), void *stack_end) {
    return __glibc_compat_old___libc_start_main(main, argc, argv, init ? init : run_constructors,
                                                fini, rtld_fini, stack_end);
}

/* --- arc4random_buf (2.36): libstdc++'s std::random_device -----------------------------------
 * The kernel's CSPRNG through getrandom(2) (2.25), /dev/urandom where the syscall is refused
 * (old seccomp filters); like glibc's own, it aborts rather than return weak bytes. */
static void fill_random(void *buffer, size_t size) {
    unsigned char *at = buffer;
    while (size > 0) {
        ssize_t got = getrandom(at, size, 0);
        if (got < 0 && errno == ENOSYS) {
            int fd = open("/dev/urandom", O_RDONLY | O_CLOEXEC);
            if (fd < 0) abort();
            while (size > 0) {
                got = read(fd, at, size);
                if (got < 0 && errno == EINTR) continue;
                if (got <= 0) abort();
                at += got;
                size -= (size_t)got;
            }
            close(fd);
            return;
        }
        if (got < 0 && errno == EINTR) continue;
        if (got <= 0) abort();
        at += got;
        size -= (size_t)got;
    }
}

HIDDEN void __wrap_arc4random_buf(void *buffer, size_t size) {
    int saved = errno;
    fill_random(buffer, size);
    errno = saved;
}

/* --- __libc_single_threaded (2.32): libstdc++'s reference counts -------------------------
 * libstdc++ skips atomic instructions while this is non-zero; 0 ("maybe threaded") keeps
 * every reference count atomic, which is always correct. */
HIDDEN char __wrap___libc_single_threaded = 0;

/* --- _dl_find_object (2.35): libgcc's unwinder, for C++ exceptions ----------------------
 * libgcc built against 2.35+ finds a PC's unwind tables only through this (no fallback), so
 * answer it from dl_iterate_phdr (2.2.5), as libgcc itself did before. */
struct object_search {
    uintptr_t pc;
    struct dl_find_object *result;
    int found;
};

static int search_object(struct dl_phdr_info *info, size_t size, void *data) {
    struct object_search *search = data;
    (void)size;
    uintptr_t start = UINTPTR_MAX, end = 0;
    const ElfW(Phdr) *eh_frame = NULL;
    int contains = 0;
    for (ElfW(Half) i = 0; i < info->dlpi_phnum; i++) {
        const ElfW(Phdr) *phdr = &info->dlpi_phdr[i];
        if (phdr->p_type == PT_GNU_EH_FRAME) eh_frame = phdr;
        if (phdr->p_type != PT_LOAD) continue;
        uintptr_t low = info->dlpi_addr + phdr->p_vaddr, high = low + phdr->p_memsz;
        if (low < start) start = low;
        if (high > end) end = high;
        if (search->pc >= low && search->pc < high) contains = 1;
    }
    if (!contains) return 0;
    memset(search->result, 0, sizeof *search->result);
    search->result->dlfo_map_start = (void *)start;
    search->result->dlfo_map_end = (void *)end;
    search->result->dlfo_eh_frame = eh_frame ? (void *)(info->dlpi_addr + eh_frame->p_vaddr) : NULL;
    /* dl_iterate_phdr reports each link map's l_addr and l_name: the same pair finds the map. */
    for (struct link_map *map = _r_debug.r_map; map; map = map->l_next)
        if (map->l_addr == info->dlpi_addr && map->l_name == info->dlpi_name)
            search->result->dlfo_link_map = map;
    search->found = 1;
    return 1;
}

HIDDEN int __wrap__dl_find_object(void *pc, struct dl_find_object *result) {
    struct object_search search = {(uintptr_t)pc, result, 0};
    dl_iterate_phdr(search_object, &search);
    return search.found ? 0 : -1;
}

/* --- stat & co. (2.33) -------------------------------------------------------------------
 * Before 2.33 <sys/stat.h> turned these into calls of __xstat & co. with the kernel struct's
 * version number, and libc exported only those. */
#if defined(__x86_64__)
#define STAT_VERSION 1 /* _STAT_VER_LINUX */
#elif defined(__aarch64__)
#define STAT_VERSION 0 /* _STAT_VER: the generic struct stat */
#else
#error "glibc_compat.c: no stat version for this architecture"
#endif
int __glibc_compat_old___xstat(int, const char *, struct stat *) HIDDEN;
int __glibc_compat_old___fxstat(int, int, struct stat *) HIDDEN;
int __glibc_compat_old___lxstat(int, const char *, struct stat *) HIDDEN;

HIDDEN int __wrap_stat(const char *path, struct stat *buf) {
    return __glibc_compat_old___xstat(STAT_VERSION, path, buf);
}
HIDDEN int __wrap_lstat(const char *path, struct stat *buf) {
    return __glibc_compat_old___lxstat(STAT_VERSION, path, buf);
}
HIDDEN int __wrap_fstat(int fd, struct stat *buf) {
    return __glibc_compat_old___fxstat(STAT_VERSION, fd, buf);
}

/* --- posix_spawn_file_actions_addchdir_np (2.29): Foundation's Process -------------------
 * No glibc before 2.29 can change directory inside posix_spawn; Foundation built against such
 * a glibc answers ENOSYS here too (CoreFoundation's _CFPosixSpawnFileActionsChdir). Brine
 * starts no processes. */
HIDDEN int __wrap_posix_spawn_file_actions_addchdir_np(void *actions, const char *path) {
    (void)actions;
    (void)path;
    return ENOSYS;
}
