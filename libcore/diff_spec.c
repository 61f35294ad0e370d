/*
 * diff_spec.c — how a user names one namespace (nsshow --history).
 *
 * Owns the grammar of namespace selectors and what each form matches:
 *
 *   4026532184           a bare inode, as lsns(8) and ls -i print it:
 *                        any type, any device
 *   net:4026532184       type and inode; also "net:[4026532184]", as
 *   net:[4026532184]     readlink /proc/PID/ns/net prints it
 *   4:4026532184         device and inode (both decimal): one namespace
 *   id:12288             the kernel's 64-bit namespace ID (NS_GET_ID,
 *                        Linux 6.18+), which no inode number is taken for
 *
 * A bare number is always an inode: that is what people copy from lsns,
 * and a namespace ID cannot be told from one by its value.
 */
#include "diff_int.h"

/* A decimal of LEN bytes, no sign, no blanks, at most 2^64 - 1. */
static int parse_u64(const char *s, size_t len, uint64_t *v)
{
	*v = 0;
	if (!len)
		return -EINVAL;
	for (size_t i = 0; i < len; i++) {
		unsigned d = (unsigned)(s[i] - '0');
		if (s[i] < '0' || s[i] > '9' || *v > (UINT64_MAX - d) / 10)
			return -EINVAL;
		*v = *v * 10 + d;
	}
	return 0;
}

static bool digits(const char *s, size_t len)
{
	uint64_t v;

	return parse_u64(s, len, &v) == 0;
}

int diff_ns_spec_parse(const char *spec, struct diff_ns_spec *s)
{
	const char *colon = spec ? strchr(spec, ':') : NULL;
	size_t len = spec ? strlen(spec) : 0;

	memset(s, 0, sizeof(*s));
	if (!spec)
		return -EINVAL;
	if (!colon) {
		s->kind = DIFF_SPEC_INO;
		return parse_u64(spec, len, &s->key.ino);
	}
	const char *v = colon + 1;
	size_t head = (size_t)(colon - spec), vlen = len - head - 1;
	if (head == 2 && !memcmp(spec, "id", 2)) {
		s->kind = DIFF_SPEC_ID;
		return parse_u64(v, vlen, &s->id);
	}
	if (digits(spec, head)) {
		s->kind = DIFF_SPEC_KEY;
		if (parse_u64(spec, head, &s->key.dev))
			return -EINVAL;
		return parse_u64(v, vlen, &s->key.ino);
	}
	int type = ns_type_from_name(spec, head);
	s->kind = DIFF_SPEC_NAME;
	if (type < 0)
		return -EINVAL;
	s->type = (unsigned)type;
	/* "[ino]" as readlink spells it, or the bare inode. */
	if (vlen >= 2 && v[0] == '[' && v[vlen - 1] == ']') {
		v++;
		vlen -= 2;
	}
	return parse_u64(v, vlen, &s->key.ino);
}

bool diff_ns_spec_match(const struct diff_ns_spec *s, const struct graph_ns *n)
{
	switch (s->kind) {
	case DIFF_SPEC_KEY:
		return diff_key_eq(n->key, s->key);
	case DIFF_SPEC_NAME:
		return n->key.ino == s->key.ino && n->type == s->type;
	case DIFF_SPEC_INO:
		return n->key.ino == s->key.ino;
	default:
		return diff_has_id(n) && n->kernel_id == s->id;
	}
}
