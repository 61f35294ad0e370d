/*
 * capture_ahead.c — the /proc listing read ahead by a second thread.
 *
 * A capture with GRAPH_HAVE_IDENTITY makes some forty system calls per
 * process, and the kernel's side of them is nearly all its time.  The
 * open of /proc/PID and the reads of its stat, status, cmdline, exe,
 * cgroup, loginuid and sessionid depend on nothing the scan has found
 * (the links, fds and mounts do), so one reader thread
 * lists /proc and makes them (capture_process_read) a few processes ahead
 * of the capturing thread, which takes each process from a small ring in
 * listing order and does the rest (capture_process_pre).  Everything kept
 * — graph entries, gaps, warnings — is still made by the capturing thread
 * in the serial order, so the result is the serial scan's; the reader
 * never touches the graph.  The ring bounds how far it runs ahead, and
 * so how many /proc/PID directories are open at once.
 *
 * Where no thread can be started, the caller scans serially.
 */
#include "capture_int.h"

#include <dirent.h>
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define AHEAD_RING 32 /* processes read ahead at most */

struct slot {
	char name[16]; /* a PID as /proc spells it: at most 10 digits */
	int32_t pid;
	struct capture_pre pre;
	struct procfs_buf status, cgroup;
};

struct ahead {
	DIR *listing;
	int procfd;
	int32_t skip_pid;             /* 0: none */
	uint32_t collect;             /* GRAPH_HAVE_* */
	pthread_mutex_t mu;
	pthread_cond_t cv;
	size_t head, tail;            /* slots filled, slots taken */
	bool done, stop;
	bool reader_waits, taker_waits; /* on cv: who is to be woken */
	int list_err;                 /* readdir's errno when done, or 0 */
	struct slot ring[AHEAD_RING];
};

static void *reader(void *arg)
{
	struct ahead *a = arg;

	for (;;) {
		int32_t pid;

		errno = 0;
		struct dirent *de = readdir(a->listing);
		if (!de) {
			int err = errno;
			pthread_mutex_lock(&a->mu);
			a->done = true;
			a->list_err = err;
			pthread_cond_broadcast(&a->cv);
			pthread_mutex_unlock(&a->mu);
			return NULL;
		}
		if (!procfs_parse_pid(de->d_name, &pid) ||
		    (a->skip_pid && pid == a->skip_pid))
			continue;
		pthread_mutex_lock(&a->mu);
		while (a->head - a->tail == AHEAD_RING && !a->stop) {
			a->reader_waits = true;
			pthread_cond_wait(&a->cv, &a->mu);
		}
		bool stop = a->stop;
		pthread_mutex_unlock(&a->mu);
		if (stop)
			return NULL;
		/* The slot at head is ours until head moves past it. */
		struct slot *s = &a->ring[a->head % AHEAD_RING];
		size_t len = strlen(de->d_name); /* procfs_parse_pid: <= 10 */
		memcpy(s->name, de->d_name, len + 1);
		s->pid = pid;
		s->pre.stat.status = &s->status;
		s->pre.ident.cgroup = &s->cgroup;
		capture_process_read(a->procfd, s->name, a->collect, &s->pre);
		pthread_mutex_lock(&a->mu);
		a->head++;
		if (a->taker_waits) {
			a->taker_waits = false;
			pthread_cond_broadcast(&a->cv);
		}
		pthread_mutex_unlock(&a->mu);
	}
}

/* The next slot in listing order, or NULL at the end (*list_err set). */
static struct slot *next_slot(struct ahead *a, int *list_err)
{
	struct slot *s = NULL;

	pthread_mutex_lock(&a->mu);
	while (a->head == a->tail && !a->done) {
		a->taker_waits = true;
		pthread_cond_wait(&a->cv, &a->mu);
	}
	if (a->head != a->tail)
		s = &a->ring[a->tail % AHEAD_RING];
	else
		*list_err = a->list_err;
	pthread_mutex_unlock(&a->mu);
	return s;
}

/* A full ring wakes the reader only once half of it is free again: one
 * wake-up per AHEAD_RING / 2 processes, not one per process. */
static void slot_taken(struct ahead *a)
{
	pthread_mutex_lock(&a->mu);
	a->tail++;
	if (a->reader_waits && a->head - a->tail <= AHEAD_RING / 2) {
		a->reader_waits = false;
		pthread_cond_broadcast(&a->cv);
	}
	pthread_mutex_unlock(&a->mu);
}

int capture_listing_ahead(struct capture *c, DIR *listing, bool *ran)
{
	struct ahead *a = calloc(1, sizeof(*a));
	sigset_t all, old;
	pthread_t thread;
	int rc = 0, list_err = 0;

	*ran = false;
	if (!a)
		return 0; /* the serial scan needs no memory of its own */
	a->listing = listing;
	a->procfd = dirfd(listing);
	a->skip_pid = c->opts->skip_self ? c->g->meta.capturer_pid : 0;
	a->collect = c->collect;
	pthread_mutex_init(&a->mu, NULL);
	pthread_cond_init(&a->cv, NULL);
	/* Signals stay the capturing thread's. */
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	int prc = pthread_create(&thread, NULL, reader, a);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (prc)
		goto out;
	*ran = true;

	struct slot *s;
	while ((s = next_slot(a, &list_err))) {
		rc = capture_process_pre(c, s->name, s->pid, GRAPH_PROC_LISTED,
					 &s->pre);
		slot_taken(a);
		if (rc)
			break;
	}
	pthread_mutex_lock(&a->mu);
	a->stop = true;
	a->reader_waits = false;
	pthread_cond_broadcast(&a->cv);
	pthread_mutex_unlock(&a->mu);
	pthread_join(thread, NULL);
	/* Slots read but not taken (the scan failed): their directories. */
	for (size_t i = a->tail; i != a->head; i++)
		if (a->ring[i % AHEAD_RING].pre.dirfd >= 0)
			close(a->ring[i % AHEAD_RING].pre.dirfd);
	if (!rc && list_err) {
		/* An incomplete listing is a gap of /proc itself. */
		c->pid = 0;
		c->warned = false;
		rc = capture_gap(c, 0, list_err, "");
	}
out:
	for (size_t i = 0; i < AHEAD_RING; i++) {
		procfs_buf_free(&a->ring[i].status);
		procfs_buf_free(&a->ring[i].cgroup);
	}
	pthread_cond_destroy(&a->cv);
	pthread_mutex_destroy(&a->mu);
	free(a);
	return rc;
}
