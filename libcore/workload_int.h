/*
 * workload_int.h — what the parts of the workload module tell each other.
 *
 * workload_rules.c classifies (pure), workload_state.c reads the runtimes'
 * state files (the only libcore file that parses JSON, with jansson),
 * workload.c puts the two together over a graph.  Not for other modules.
 */
#ifndef NSNAP_WORKLOAD_INT_H
#define NSNAP_WORKLOAD_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "workload.h"

/* Whether the command line (CMDLINE_LEN bytes, NUL-separated) is a
 * runtime's monitor whose arguments name its container (conmon): its
 * classification depends on more than its cgroup. */
bool wl_cmdline_is_monitor(const char *cmdline, size_t len);

/* The largest state file read (containers.json of a busy host is a few
 * MiB): a bigger one is refused, not read in part. */
#define WL_STATE_MAX ((size_t)32 << 20)

/* The most values a state document may hold ('{', '[' and ',' outside
 * strings, counted before parsing): jansson spends up to ~230 bytes on
 * each, so 32 MiB of "{}," in a user's containers.json would cost 2.5 GB
 * of root's memory.  A containers.json entry holds about 20: this is
 * some 13,000 containers. */
#define WL_JSON_VALUES ((size_t)1 << 18)

/*
 * The state files of one capture, each read at most once: the cache
 * lives as long as one workload_attribute() call.
 */
struct wl_state;

/* A cache for state below ROOT ("/" when NULL): 0, -ENOMEM. */
int wl_state_new(const char *root, struct wl_state **out);
void wl_state_free(struct wl_state *s);

/*
 * What local state says of the workload M matched: its name into NAME
 * (SIZE bytes) and, for Kubernetes, "namespace/pod" into POD (PSIZE
 * bytes); either left "" when unknown.  Missing, unreadable or malformed
 * state is no error.  0 or -ENOMEM.
 */
int wl_state_lookup(struct wl_state *s, const struct workload_match *m,
		    char *name, size_t size, char *pod, size_t psize);

/*
 * Read the regular file PATH below DIRFD (relative; when NOFOLLOW_DIRS,
 * no component may be a symlink, else only the last) into a malloc'd,
 * NUL-terminated buffer, refusing FIFOs, devices, directories and files
 * over WL_STATE_MAX; when OWNER is not UINT32_MAX, also files owned by
 * anyone but OWNER or root.  0 and *buf, *len, or -errno.
 */
int wl_read_file(int dirfd, const char *path, bool nofollow_dirs,
		 uint32_t owner, char **buf, size_t *len);

#endif
