/*
 * workload.h — which workload a process and a namespace belong to.
 *
 * Owns the attribution rules: one table, a row per runtime's cgroup
 * pattern (v1 and v2 spellings), from a process's cgroup path and command
 * line to a workload (kind, runtime, id), and the runtimes' local state
 * files that give it a name (containers/storage's containers.json,
 * docker's config.v2.json, /var/log/pods directory names, ...).  Never a
 * daemon's API: a snapshot must name a workload the daemon has forgotten.
 * Also owns what a namespace's workloads are (those of its members and pin
 * holders; one when they all agree) and a network namespace's names (the
 * nsfs bind mounts `ip netns` makes under /run/netns).
 */
#ifndef NSNAP_WORKLOAD_H
#define NSNAP_WORKLOAD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "graph.h"

/* Where the runtimes' state files are read: "/" unless testing. */
struct workload_env {
	const char *root;
};

/* What one rule made of a cgroup path (before any name lookup). */
struct workload_match {
	uint8_t kind;            /* enum graph_workload_kind */
	char runtime[32];
	char id[256];
	char cgroup[1024];       /* the part of the path the rule matched */
	char pod_uid[64];        /* Kubernetes pod UID, "" otherwise */
	/* What the path or the command line itself says, beyond the id: */
	char name[256];          /* a name (LXC, nspawn, conmon's -n); "" */
	uint32_t owner_uid;      /* the user manager (user@UID.service) the
				    path lies under: whose state files name
				    a rootless container; UINT32_MAX: none */
	bool monitor;            /* a runtime's monitor (conmon, the LXC
				    monitor): it watches the workload from
				    a cgroup that is not the workload's */
};

/*
 * Match CGROUP (a path as /proc/PID/cgroup spells it) and the command line
 * (CMDLINE_LEN bytes, NUL-separated; may be NULL) against the rules.
 * Pure: reads no file.  Always matches: the last rule is the bare cgroup.
 * 0, or -EINVAL for a NULL or relative CGROUP.
 */
int workload_classify(const char *cgroup, const char *cmdline,
		      size_t cmdline_len, struct workload_match *m);

/*
 * Attribute every process of G that has a cgroup: fill g->workloads (in
 * graph_workloads_sort() order), graph_proc.workload, and the names found
 * in local state below ENV->root.  Unreadable state files are not errors.
 * A workload below a user's manager (workload_match.owner_uid) is that
 * user's: its runtime is spelled RUNTIME@UID ("podman@1000"), so that a
 * user's cgroup named like a system container's is not taken for it.
 * 0 or -ENOMEM.
 */
int workload_attribute(struct graph *g, const struct workload_env *env);

/*
 * The workloads of every namespace of G: per namespace the distinct
 * workloads of its members (processes and threads) and pin holders, in
 * workload index order, and its owner: the one workload when all of them
 * belong to one, else GRAPH_NONE.
 */
struct workload_ns {
	uint32_t owner;          /* workload index or GRAPH_NONE */
	uint32_t first, n;       /* slice of workload_ns_map.list */
};

struct workload_ns_map {
	struct workload_ns *ns;  /* g->nns entries */
	uint32_t *list;          /* workload indexes */
	size_t nlist;
};

int workload_ns_map_build(const struct graph *g, struct workload_ns_map *out);
void workload_ns_map_free(struct workload_ns_map *m);

/*
 * The names of network namespace NS: the last component of each nsfs bind
 * mount of NS under /run/netns/ or /var/run/netns/, in any mount
 * namespace owned by the topmost user namespace in sight (a user's own
 * mount namespace names nothing), as mountinfo spells it, each name once, in mount order.
 * Stores up to MAX pointers into the graph's strings; returns how many
 * names there are (which may exceed MAX).
 */
size_t workload_netns_names(const struct graph *g, uint32_t ns,
			    const char **names, size_t max);

#endif
