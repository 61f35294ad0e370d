/* wh.c — "world helper" for tests/integration/world.sh.
 *
 * Small, deterministic building blocks for the namespace test world. Every
 * long-lived mode announces readiness by writing "NAME\n" to a FIFO (opened
 * O_WRONLY; world.sh keeps the other end open read-write) and then blocks
 * forever in pause(). No mode forks except 'userns' (one short-lived child
 * that writes the maps), so PIDs stay predictable.
 *
 *   wh pause NAME FIFO [FLAGS]
 *       set comm to NAME, unshare(2) FLAGS if given (see 'unshare'; no exec
 *       follows, so e.g. "time" leaves time_for_children pointing to a
 *       namespace without members), announce, sleep forever.
 *   wh userns UIDMAP GIDMAP SETGROUPS CMD [ARG...]
 *       unshare(CLONE_NEWUSER) with maps written by a child that stays in
 *       the old user namespace (so any map the caller's privileges allow is
 *       possible, not just "0 <euid> 1"), then exec CMD. Maps are lines
 *       "inner outer count" separated by ',' (e.g. "0 100000 1000,1000 0 1").
 *       SETGROUPS is "allow", "deny" or "-" (leave alone).
 *   wh threads NAME FIFO MODE
 *       multithreaded process. Thread 2 (named NAME-uts) unshares its own
 *       UTS namespace; thread 3 (NAME-idle) does nothing. MODE "live":
 *       the main thread stays. MODE "zombie": the main thread calls
 *       pthread_exit(), leaving a zombie thread-group leader whose
 *       /proc/PID/ns/{cgroup,ipc,mnt,net,time,uts} are unreadable.
 *       Threads are created one after the other (deterministic TIDs).
 *   wh holdfd NAME FIFO PATH...
 *       open every PATH (namespace files) O_RDONLY, keep the fds (3, 4, ...
 *       in PATH order), announce, sleep forever.
 *   wh unshare FLAGS CMD [ARG...]
 *       unshare(2) the comma-separated FLAGS (cgroup,ipc,mnt,net,pid,time,
 *       uts) without forking, then exec CMD.
 *   wh zparent NAME CHILDNAME FIFO
 *       fork a child (comm CHILDNAME) that exits at once, never reap it: a
 *       zombie process (not just a zombie leader) stays in /proc.
 *   wh pty COLS CMD [ARG...]
 *       run CMD with its stdout on a raw pseudo-terminal of COLS columns
 *       (stdin and stderr untouched), copy what it writes to our stdout,
 *       exit with its status (128+N if killed by signal N). For the
 *       reference's TIOCGWINSZ-based wrapping and nsshow's --color=auto.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <poll.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#ifndef CLONE_NEWTIME
#define CLONE_NEWTIME 0x00000080
#endif

static void die(const char *what)
{
    fprintf(stderr, "wh: %s: %s\n", what, strerror(errno));
    exit(111);
}

static void announce(const char *fifo, const char *name)
{
    int fd = open(fifo, O_WRONLY | O_CLOEXEC);
    if (fd < 0)
        die(fifo);
    char buf[256];
    int n = snprintf(buf, sizeof buf, "%s\n", name);
    for (int i = 0; i < n - 1; i++)   /* one line, whatever the comm */
        if (buf[i] == '\n')
            buf[i] = '_';
    if (write(fd, buf, (size_t)n) != n)
        die("write fifo");
    close(fd);
}

static void sleep_forever(void)
{
    for (;;)
        pause();
}

static void set_comm(const char *name)
{
    if (prctl(PR_SET_NAME, name, 0, 0, 0) != 0)
        die("prctl");
}

static void write_file(int dirfd, const char *file, const char *text)
{
    int fd = openat(dirfd, file, O_WRONLY | O_CLOEXEC);
    if (fd < 0)
        die(file);
    size_t len = strlen(text);
    if (write(fd, text, len) != (ssize_t)len)
        die(file);
    close(fd);
}

static char *map_text(const char *spec)
{
    char *s = strdup(spec);
    if (!s)
        die("strdup");
    for (char *p = s; *p; p++)
        if (*p == ',')
            *p = '\n';
    return s;
}

static int parse_flags(const char *spec)
{
    static const struct { const char *name; int flag; } tab[] = {
        {"cgroup", CLONE_NEWCGROUP}, {"ipc", CLONE_NEWIPC},
        {"mnt", CLONE_NEWNS},        {"net", CLONE_NEWNET},
        {"pid", CLONE_NEWPID},       {"time", CLONE_NEWTIME},
        {"uts", CLONE_NEWUTS},
    };
    int flags = 0;
    char *copy = strdup(spec), *save = NULL;
    for (char *t = strtok_r(copy, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
        size_t i;
        for (i = 0; i < sizeof tab / sizeof tab[0]; i++)
            if (strcmp(t, tab[i].name) == 0)
                break;
        if (i == sizeof tab / sizeof tab[0]) {
            fprintf(stderr, "wh: bad namespace name %s\n", t);
            exit(111);
        }
        flags |= tab[i].flag;
    }
    free(copy);
    return flags;
}

static int cmd_userns(int argc, char **argv)
{
    if (argc < 5) {
        fprintf(stderr, "usage: wh userns UIDMAP GIDMAP SETGROUPS CMD...\n");
        return 111;
    }
    const char *umap = argv[1], *gmap = argv[2], *sg = argv[3];
    /* A handle on our own /proc/PID directory: the child resolves
     * uid_map & co. through it, which works even when we live in a nested
     * PID namespace whose numbers /proc does not use. */
    int selfdir = open("/proc/self", O_PATH | O_DIRECTORY | O_CLOEXEC);
    if (selfdir < 0)
        die("/proc/self");
    int go[2], done[2];
    if (pipe2(go, O_CLOEXEC) || pipe2(done, O_CLOEXEC))
        die("pipe");
    pid_t child = fork();
    if (child < 0)
        die("fork");
    if (child == 0) {
        char c;
        close(go[1]);
        if (read(go[0], &c, 1) != 1)
            _exit(111);
        if (strcmp(sg, "-") != 0)
            write_file(selfdir, "setgroups", sg);
        write_file(selfdir, "uid_map", map_text(umap));
        write_file(selfdir, "gid_map", map_text(gmap));
        _exit(0);
    }
    close(go[0]);
    if (unshare(CLONE_NEWUSER) != 0)
        die("unshare(CLONE_NEWUSER)");
    if (write(go[1], "g", 1) != 1)
        die("write");
    int st;
    if (waitpid(child, &st, 0) != child)
        die("waitpid");
    if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) {
        fprintf(stderr, "wh: writing maps failed\n");
        return 111;
    }
    close(selfdir);
    /* Become root (or whatever 0 maps to) in the new namespace when 0 is
     * mapped; ignore failures (e.g. 0 not mapped). */
    if (setresgid(0, 0, 0) != 0) { /* ignore */ }
    if (setresuid(0, 0, 0) != 0) { /* ignore */ }
    execvp(argv[4], argv + 4);
    die(argv[4]);
    return 111;
}

static int cmd_zparent(int argc, char **argv)
{
    if (argc != 4) {
        fprintf(stderr, "usage: wh zparent NAME CHILDNAME FIFO\n");
        return 111;
    }
    set_comm(argv[1]);
    pid_t child = fork();
    if (child < 0)
        die("fork");
    if (child == 0) {
        set_comm(argv[2]);
        _exit(7);
    }
    siginfo_t si;
    /* WNOWAIT: know it has exited, but leave it a zombie */
    if (waitid(P_PID, (id_t)child, &si, WEXITED | WNOWAIT) != 0)
        die("waitid");
    announce(argv[3], argv[1]);
    sleep_forever();
    return 0;
}

static int cmd_unshare(int argc, char **argv)
{
    if (argc < 3) {
        fprintf(stderr, "usage: wh unshare FLAGS CMD...\n");
        return 111;
    }
    if (unshare(parse_flags(argv[1])) != 0)
        die("unshare");
    execvp(argv[2], argv + 2);
    die(argv[2]);
    return 111;
}

static int cmd_holdfd(int argc, char **argv)
{
    if (argc < 4) {
        fprintf(stderr, "usage: wh holdfd NAME FIFO PATH...\n");
        return 111;
    }
    set_comm(argv[1]);
    for (int i = 3; i < argc; i++)
        if (open(argv[i], O_RDONLY) < 0)   /* deliberately no O_CLOEXEC */
            die(argv[i]);
    announce(argv[2], argv[1]);
    sleep_forever();
    return 0;
}

/* --- threads ------------------------------------------------------------ */

static const char *t_name, *t_fifo;
static int t_zombie;
static pthread_mutex_t t_mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t t_cv = PTHREAD_COND_INITIALIZER;
static int t_stage;

static void stage_set(int s)
{
    pthread_mutex_lock(&t_mu);
    t_stage = s;
    pthread_cond_broadcast(&t_cv);
    pthread_mutex_unlock(&t_mu);
}

static void stage_wait(int s)
{
    pthread_mutex_lock(&t_mu);
    while (t_stage < s)
        pthread_cond_wait(&t_cv, &t_mu);
    pthread_mutex_unlock(&t_mu);
}

static void *uts_thread(void *arg)
{
    (void)arg;
    char n[16];
    snprintf(n, sizeof n, "%.11s-uts", t_name);
    set_comm(n);
    if (unshare(CLONE_NEWUTS) != 0)
        die("thread unshare(CLONE_NEWUTS)");
    stage_set(1);
    sleep_forever();
    return NULL;
}

static void *idle_thread(void *arg)
{
    (void)arg;
    char n[16];
    snprintf(n, sizeof n, "%.10s-idle", t_name);
    set_comm(n);
    stage_set(2);
    if (t_zombie) {
        /* Wait until the leader's namespaces are gone (it is a zombie). */
        for (;;) {
            int fd = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
            if (fd < 0)
                break;
            close(fd);
            struct timespec ts = {0, 1000000};
            nanosleep(&ts, NULL);
        }
        /* and until the kernel shows it as a zombie */
        for (;;) {
            char buf[512] = "";
            int fd = open("/proc/self/stat", O_RDONLY | O_CLOEXEC);
            if (fd >= 0) {
                ssize_t r = read(fd, buf, sizeof buf - 1);
                close(fd);
                if (r > 0) {
                    buf[r] = 0;
                    char *p = strrchr(buf, ')');
                    if (p && p[1] == ' ' && p[2] == 'Z')
                        break;
                }
            }
            struct timespec ts = {0, 1000000};
            nanosleep(&ts, NULL);
        }
    }
    announce(t_fifo, t_name);
    sleep_forever();
    return NULL;
}

static int cmd_threads(int argc, char **argv)
{
    if (argc != 4) {
        fprintf(stderr, "usage: wh threads NAME FIFO live|zombie\n");
        return 111;
    }
    t_name = argv[1];
    t_fifo = argv[2];
    t_zombie = strcmp(argv[3], "zombie") == 0;
    set_comm(t_name);
    pthread_t t;
    if (pthread_create(&t, NULL, uts_thread, NULL))
        die("pthread_create");
    stage_wait(1);
    if (pthread_create(&t, NULL, idle_thread, NULL))
        die("pthread_create");
    stage_wait(2);
    if (t_zombie)
        pthread_exit(NULL);
    sleep_forever();
    return 0;
}

static int cmd_pty(int argc, char **argv)
{
    if (argc < 3) {
        fprintf(stderr, "usage: wh pty COLS CMD...\n");
        return 111;
    }
    int m = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
    if (m < 0 || grantpt(m) || unlockpt(m))
        die("posix_openpt");
    int s = open(ptsname(m), O_RDWR | O_NOCTTY | O_CLOEXEC);
    if (s < 0)
        die("open pts");
    struct termios t;
    if (tcgetattr(s, &t) == 0) {
        cfmakeraw(&t);
        tcsetattr(s, TCSANOW, &t);
    }
    struct winsize ws = { .ws_row = 24, .ws_col = (unsigned short)atoi(argv[1]) };
    if (ioctl(s, TIOCSWINSZ, &ws))
        die("TIOCSWINSZ");
    pid_t child = fork();
    if (child < 0)
        die("fork");
    if (child == 0) {
        if (dup2(s, 1) < 0)
            _exit(111);
        execvp(argv[2], argv + 2);
        fprintf(stderr, "wh: %s: %s\n", argv[2], strerror(errno));
        _exit(127);
    }
    /* We keep s open ourselves, so reading m never hits EIO: drain until
     * the child has exited and nothing is left. */
    fcntl(m, F_SETFL, O_NONBLOCK);
    int st = 0, exited = 0;
    char buf[65536];
    for (;;) {
        ssize_t r = read(m, buf, sizeof buf);
        if (r > 0) {
            for (ssize_t off = 0; off < r; ) {
                ssize_t w = write(1, buf + off, (size_t)(r - off));
                if (w < 0)
                    die("write");
                off += w;
            }
            continue;
        }
        struct pollfd p = { .fd = m, .events = POLLIN };
        if (exited) {
            /* pty data travels through a work queue: after the child's
             * exit, wait until the master stays quiet for a while. */
            if (poll(&p, 1, 150) <= 0)
                break;
            continue;
        }
        if (waitpid(child, &st, WNOHANG) == child) {
            exited = 1;
            continue;
        }
        poll(&p, 1, 20);
    }
    if (WIFSIGNALED(st))
        return 128 + WTERMSIG(st);
    return WEXITSTATUS(st);
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: wh pause|userns|threads|holdfd|unshare ...\n");
        return 111;
    }
    const char *c = argv[1];
    argc--, argv++;
    if (strcmp(c, "pause") == 0 && (argc == 3 || argc == 4)) {
        set_comm(argv[1]);
        /* Unsharing here, with no exec afterwards, leaves e.g. a
         * time_for_children link to a namespace nobody is in. */
        if (argc == 4 && unshare(parse_flags(argv[3])) != 0)
            die("unshare");
        announce(argv[2], argv[1]);
        sleep_forever();
    }
    if (strcmp(c, "userns") == 0)
        return cmd_userns(argc, argv);
    if (strcmp(c, "unshare") == 0)
        return cmd_unshare(argc, argv);
    if (strcmp(c, "threads") == 0)
        return cmd_threads(argc, argv);
    if (strcmp(c, "holdfd") == 0)
        return cmd_holdfd(argc, argv);
    if (strcmp(c, "zparent") == 0)
        return cmd_zparent(argc, argv);
    if (strcmp(c, "pty") == 0)
        return cmd_pty(argc, argv);
    fprintf(stderr, "wh: bad mode %s\n", c);
    return 111;
}
