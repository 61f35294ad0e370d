/*
 * vantage.c — graph_vantage as text and JSON, and the comparison of two
 * (vantage.h).
 */
#include "vantage.h"

#include <inttypes.h>

#include "text.h"

/* Bit I of GRAPH_VP_*. */
static const char *const facility_names[] = {
	"NS_GET_ID", "pidfd_getfd", "SIOCGSKNS", "listns",
};

#define CAP_SYS_ADMIN_BIT (UINT64_C(1) << 21)
#define CAP_SYS_PTRACE_BIT (UINT64_C(1) << 19)

/* Root as the kernel sees it for reading /proc of others: effective
 * uid 0, or the capabilities that stand for it. */
static bool privileged(const struct graph_vantage *v)
{
	return v->euid == 0 ||
	       (v->cap_eff & (CAP_SYS_ADMIN_BIT | CAP_SYS_PTRACE_BIT)) ==
		       (CAP_SYS_ADMIN_BIT | CAP_SYS_PTRACE_BIT);
}

static void put_printable(FILE *out, const char *s)
{
	for (; s && *s; s++)
		fputc(*s >= 0x20 && *s < 0x7f ? *s : '?', out);
}

static void put_ns_set(FILE *out, uint32_t set)
{
	bool first = true;

	for (unsigned t = 0; t < NS_NTYPES; t++)
		if (set & NS_TYPE_BIT(t)) {
			fprintf(out, "%s%s", first ? "" : ",", ns_type_name(t));
			first = false;
		}
	if (first)
		fputs("none", out);
}

void vantage_print_text(FILE *out, const struct graph_vantage *v)
{
	if (!v->known) {
		fputs("vantage     not recorded (the capture did not say where it stood)\n", out);
		return;
	}
	fputs("captured by nsnap ", out);
	put_printable(out, v->version ? v->version : "?");
	fprintf(out, ", uid %" PRIu32 ", euid %" PRIu32 "%s\n", v->uid, v->euid,
		privileged(v) ? " (privileged)" : " (unprivileged)");
	fprintf(out, "caps        %016" PRIx64 "\n", v->cap_eff);
	fputs("initial ns  ", out);
	put_ns_set(out, v->initial);
	fputs(" (of the known: ", out);
	put_ns_set(out, v->initial_known);
	fputs(")\n", out);
	fprintf(out, "own userns  %" PRIu64 ", pidns %" PRIu64 "\n",
		v->own[NS_USER].ino, v->own[NS_PID].ino);
	fprintf(out, "/proc       %s\n", v->proc_own_pidns
		? "of the capturer's PID namespace"
		: "of another PID namespace than the capturer's");
	fputs("facilities  ", out);
	bool any = false;
	for (unsigned i = 0; i < sizeof(facility_names) / sizeof(*facility_names); i++)
		if (v->facilities & (1u << i)) {
			fprintf(out, "%s%s", any ? " " : "", facility_names[i]);
			any = true;
		}
	fputs(any ? "\n" : "none\n", out);
	fprintf(out, "btime       %" PRId64 "\n", v->btime);
	fprintf(out, "boottime    %" PRId64 ".%09" PRId64 " s to %" PRId64 ".%09"
		PRId64 " s\n", v->boot_start_ns / 1000000000,
		v->boot_start_ns % 1000000000, v->boot_end_ns / 1000000000,
		v->boot_end_ns % 1000000000);
}

void vantage_print_json(FILE *out, const struct graph_vantage *v)
{
	if (!v->known) {
		fputs("null", out);
		return;
	}
	fputs("{\"version\": ", out);
	text_json_string(out, v->version);
	fprintf(out, ", \"uid\": %" PRIu32 ", \"euid\": %" PRIu32
		", \"privileged\": %s, \"cap_eff\": \"%016" PRIx64 "\"", v->uid,
		v->euid, privileged(v) ? "true" : "false", v->cap_eff);
	fputs(", \"namespaces\": {", out);
	for (unsigned t = 0; t < NS_NTYPES; t++) {
		fprintf(out, "%s\"%s\": {\"dev\": \"%" PRIu64 "\", \"ino\": \"%"
			PRIu64 "\", \"initial\": ", t ? ", " : "", ns_type_name(t),
			v->own[t].dev, v->own[t].ino);
		fputs(!(v->initial_known & NS_TYPE_BIT(t)) ? "null"
		      : v->initial & NS_TYPE_BIT(t) ? "true" : "false", out);
		fputc('}', out);
	}
	fprintf(out, "}, \"proc_own_pidns\": %s, \"facilities\": [",
		v->proc_own_pidns ? "true" : "false");
	bool any = false;
	for (unsigned i = 0; i < sizeof(facility_names) / sizeof(*facility_names); i++)
		if (v->facilities & (1u << i)) {
			fprintf(out, "%s\"%s\"", any ? ", " : "", facility_names[i]);
			any = true;
		}
	fprintf(out, "], \"btime\": \"%" PRId64 "\", \"boottime_start_ns\": \"%"
		PRId64 "\", \"boottime_end_ns\": \"%" PRId64 "\"}", v->btime,
		v->boot_start_ns, v->boot_end_ns);
}

const char *vantage_differs(const struct graph_vantage *a,
			    const struct graph_vantage *b)
{
	const uint32_t scope = NS_TYPE_BIT(NS_USER) | NS_TYPE_BIT(NS_PID);

	if (!a->known || !b->known)
		return NULL;
	if (privileged(a) != privileged(b))
		return "one was taken with privilege, the other without";
	if ((a->initial & scope) != (b->initial & scope))
		return "one was taken in the initial user or PID namespace, "
		       "the other not";
	if (a->proc_own_pidns != b->proc_own_pidns)
		return "one read the /proc of its own PID namespace, the other not";
	if (a->facilities != b->facilities)
		return "the kernel answered them with different facilities";
	return NULL;
}
