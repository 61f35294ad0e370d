/*
 * test_export_rows.c — the rows of nsnap-row/1 (export_rows.h) of a
 * hand-made graph with every kind of record: each row a JSON object on a
 * line of its own, with the common columns first, namespaces by identity
 * (64-bit values as strings), the number of rows each table should have,
 * hostile bytes escaped, --table's filter, and nothing written for an
 * unknown table or an inconsistent graph.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <jansson.h>

#include "export_rows.h"
#include "graph.h"
#include "graphbuild.h"

static struct graph *sample(void)
{
	struct graph *g = graph_new();
	uint32_t init[NS_NTYPES], cont[NS_NTYPES], odd, odd2;
	struct graph_proc *p;

	assert_non_null(g);
	g->meta = (struct graph_meta){
		.start_ns = -1, .end_ns = 5,
		.hostname = graph_strdup(g, "h\"ost"),
		.boot_id = NULL, .collected = GRAPH_HAVE_EVERYTHING,
		.types_present = NS_ALL_TYPES, .nsfs_dev = UINT64_MAX,
	};
	gb_sample_namespaces(g, init, cont, &odd, &odd2);
	gb_sample_pid1(g, init, cont);
	p = gb_proc_comm(g, 4000, "sh");
	gb_links_own(&p->links, cont, 0);
	gb_mount(g, init[NS_MNT], cont[NS_NET], "/run/netns/a");
	assert_int_equal(graph_gap_add(g, 123, 0, EACCES, "ns/net"), 0);
	gb_sample_facts(g, init, cont);
	char why[128];
	graph_workloads_sort(g);
	assert_int_equal(graph_check(g, why, sizeof(why)), 0);
	return g;
}

/* The rows of G (TABLE: one table) as text. */
static char *rows_of(const struct graph *g, const char *table, int *rc)
{
	struct export_info info = { .id = 7, .label = "l\xff" };
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	assert_non_null(f);
	*rc = export_rows_write(f, g, &info, table);
	fclose(f);
	return buf;
}

static size_t count_lines(const char *s, const char *table)
{
	char want[64];
	size_t n = 0;

	snprintf(want, sizeof(want), "{\"schema\":\"nsnap-row/1\",\"table\":\"%s\",",
		 table);
	for (const char *l = s; *l; l = strchr(l, '\n') + 1) {
		n += strncmp(l, want, strlen(want)) == 0;
		assert_non_null(strchr(l, '\n'));
	}
	return n;
}

/* How many pins of G name a namespace. */
static size_t pins_of(const struct graph *g)
{
	size_t n = 0;

	for (size_t i = 0; i < g->nfds; i++)
		n += g->fds[i].ns < g->nns;
	for (size_t i = 0; i < g->nmounts; i++)
		n += g->mounts[i].ns < g->nns;
	return n;
}

/* How many links of G's processes and threads name a namespace. */
static size_t links_of(const struct graph *g)
{
	size_t n = 0;
	const struct graph_links *l;

	for (size_t i = 0; i < g->nprocs + g->ntasks; i++) {
		l = i < g->nprocs ? &g->procs[i].links : &g->tasks[i - g->nprocs].links;
		for (unsigned t = 0; t < NS_NTYPES; t++)
			n += l->ns[t] < g->nns;
		n += l->pid_for_children < g->nns;
		n += l->time_for_children < g->nns;
	}
	return n;
}

static void test_tables(void **state)
{
	(void)state;
	struct graph *g = sample();
	int rc;
	char *s = rows_of(g, NULL, &rc);
	assert_int_equal(rc, 0);
	assert_int_equal(count_lines(s, "snapshots"), 1);
	assert_int_equal(count_lines(s, "namespaces"), g->nns);
	assert_int_equal(count_lines(s, "processes"), g->nprocs);
	assert_int_equal(count_lines(s, "memberships"), links_of(g));
	assert_int_equal(count_lines(s, "pins"), pins_of(g));
	assert_true(pins_of(g) < g->nfds + g->nmounts);
	assert_int_equal(count_lines(s, "workloads"), g->nworkloads);
	assert_int_equal(count_lines(s, "interfaces"), g->nifaces);
	assert_int_equal(count_lines(s, "gaps"), g->ngaps);
	/* ASCII and newlines only. */
	for (const char *c = s; *c; c++)
		assert_true(*c == '\n' || (*c >= 0x20 && *c < 0x7f));
	free(s);
	graph_free(g);
}

/* Every row parses; the common columns come first and hold the
 * snapshot's identity; no column is an index. */
static void test_columns(void **state)
{
	(void)state;
	struct graph *g = sample();
	int rc;
	char *s = rows_of(g, NULL, &rc);
	static const char *const common[] = {
		"schema", "table", "host", "boot", "time_ns", "time_s",
		"snapshot", "digest",
	};

	assert_int_equal(rc, 0);
	for (char *l = s, *nl; *l; l = nl + 1) {
		json_error_t e;
		nl = strchr(l, '\n');
		json_t *r = json_loadb(l, (size_t)(nl - l), JSON_PRESERVE_ORDER, &e);
		const char *k;
		json_t *v;
		size_t i = 0;

		assert_non_null(r);
		json_object_foreach(r, k, v) {
			if (i < 8)
				assert_string_equal(k, common[i]);
			i++;
			size_t kl = strlen(k);
			/* Identity columns: strings (64-bit) or null. */
			if (kl > 4 && (!strcmp(k + kl - 4, "_dev") ||
				       !strcmp(k + kl - 4, "_ino") ||
				       !strcmp(k + kl - 3, "_id")))
				assert_true(json_is_string(v) || json_is_null(v));
			assert_false(json_is_object(v));
		}
		assert_string_equal(json_string_value(json_object_get(r, "host")),
				    "h\"ost");
		assert_string_equal(json_string_value(json_object_get(r, "boot")), "");
		assert_string_equal(json_string_value(json_object_get(r, "time_ns")), "-1");
		assert_int_equal(json_integer_value(json_object_get(r, "time_s")), -1);
		assert_string_equal(json_string_value(json_object_get(r, "snapshot")), "7");
		assert_int_equal(strlen(json_string_value(json_object_get(r, "digest"))), 32);
		json_decref(r);
	}
	free(s);
	graph_free(g);
}

/* pid 1's command line as an array, its bytes that are not UTF-8 one
 * escape each; a namespace by type, dev, inode and id. */
static void test_values(void **state)
{
	(void)state;
	struct graph *g = sample();
	int rc;
	char *s = rows_of(g, "processes", &rc);

	assert_int_equal(rc, 0);
	assert_non_null(strstr(s, "\"cmdline\":[\"/usr/bin/sleep\",\"\",\"with space\","
			       "\"\\u00ff\\u00fe not UTF-8\",\"tab\\there\"]"));
	assert_non_null(strstr(s, "\"cap_eff\":\"18446744073709551615\""));
	assert_non_null(strstr(s, "\"workload_runtime\":\"systemd\","
			       "\"workload_id\":\"init.scope\""));
	free(s);
	s = rows_of(g, "namespaces", &rc);
	assert_int_equal(rc, 0);
	assert_int_equal(count_lines(s, "processes"), 0);
	assert_non_null(strstr(s, "\"ns_type\":\"net\",\"ns_dev\":\"18446744073709551615\","
			       "\"ns_ino\":\"0\",\"ns_id\":\"18446744073709551615\""));
	assert_non_null(strstr(s, "\"creator_uid\":4294967295"));
	free(s);
	graph_free(g);
}

static void test_refused(void **state)
{
	(void)state;
	struct graph *g = sample();
	int rc;
	char *s = rows_of(g, "nonesuch", &rc);

	assert_int_equal(rc, -EINVAL);
	assert_string_equal(s, "");
	free(s);
	assert_false(export_rows_known("nonesuch"));
	assert_true(export_rows_known("memberships"));
	g->procs[0].links.ns[NS_NET] = (uint32_t)g->nns + 5;
	s = rows_of(g, NULL, &rc);
	assert_int_equal(rc, -EINVAL);
	assert_string_equal(s, "");
	free(s);
	graph_free(g);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_tables),
		cmocka_unit_test(test_columns),
		cmocka_unit_test(test_values),
		cmocka_unit_test(test_refused),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
