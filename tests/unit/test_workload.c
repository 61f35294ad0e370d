/*
 * test_workload.c — workload attribution (workload.h).
 *
 * The rules are fed cgroup paths as each runtime writes them on real
 * systems, cgroup v2 and v1 (the name=systemd or first controller line),
 * and hostile ones: too long, odd bytes, fake user managers, bad escapes.
 * The state files live in a temporary root: podman's containers.json
 * (root and rootless), docker's config.v2.json, the kubelet's
 * /var/log/pods and /var/log/containers, and the files an unprivileged
 * user could plant instead (a symlink, a FIFO, a huge file, a symlinked
 * directory), which must name nothing and not hang.  Then a namespace's
 * workloads (one owner, mixed, pins) and a network namespace's names.
 */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "graphbuild.h"
#include "scratch.h"
#include "workload.h"
#include "workload_int.h"

/* Container ids as the runtimes make them: 64 hex digits. */
#define ID_A "ca978112ca1bbdcafac231b39a23dc4da786eff8147c4e72b9807785afee48bb"
#define ID_B "3e23e8160039594a33894f6564e1b1348bbd7a0088d42c4acb73eeaed59c009d"
#define ID_C "2e7d2c03a9507ae265ecf5b5356885a53393a2029d241394997265a1a25aefc6"
#define ID_D "18ac3e7343f016890c510e93f935261169d9e3f565436429830faf0934f4f8e4"
/* A pod UID, and as the systemd driver spells it in a slice name. */
#define POD_UID "0a1b2c3d-4e5f-4789-abcd-ef0123456789"
#define POD_SLICE "0a1b2c3d_4e5f_4789_abcd_ef0123456789"
#define NO_UID UINT32_MAX

/* What classifying one path (and command line) must give. */
struct want {
	const char *cgroup;
	unsigned kind;
	const char *runtime, *id;
	const char *matched;   /* workload_match.cgroup; NULL: the path */
	const char *name;      /* "" when none */
	const char *pod_uid;
	uint32_t owner_uid;
	bool monitor;
};

static void expect(const struct want *w, const char *cmdline, size_t len)
{
	struct workload_match m;

	assert_int_equal(workload_classify(w->cgroup, cmdline, len, &m), 0);
	if (strcmp(m.runtime, w->runtime) || strcmp(m.id, w->id) || m.kind != w->kind)
		fprintf(stderr, "%s: got %s %s %s\n", w->cgroup, m.runtime,
			graph_workload_kind_name(m.kind), m.id);
	assert_string_equal(m.runtime, w->runtime);
	assert_string_equal(m.id, w->id);
	assert_int_equal(m.kind, w->kind);
	assert_string_equal(m.cgroup, w->matched ? w->matched : w->cgroup);
	assert_string_equal(m.name, w->name ? w->name : "");
	assert_string_equal(m.pod_uid, w->pod_uid ? w->pod_uid : "");
	assert_int_equal(m.owner_uid, w->owner_uid);
	assert_int_equal(m.monitor, w->monitor);
}

static void expect_all(const struct want *w, size_t n)
{
	for (size_t i = 0; i < n; i++)
		expect(&w[i], NULL, 0);
}

#define CT GRAPH_WL_CONTAINER
#define N(a) (sizeof(a) / sizeof((a)[0]))

static void test_podman(void **state)
{
	(void)state;
	static const struct want w[] = {
		/* root, systemd cgroup manager (v2 and v1 name=systemd alike) */
		{ "/machine.slice/libpod-" ID_A ".scope", CT, "podman", ID_A,
		  .owner_uid = NO_UID },
		/* crun moves the payload one level down */
		{ "/machine.slice/libpod-" ID_A ".scope/container", CT, "podman", ID_A,
		  "/machine.slice/libpod-" ID_A ".scope", .owner_uid = NO_UID },
		{ "/machine.slice/libpod-conmon-" ID_A ".scope", CT, "podman", ID_A,
		  .owner_uid = NO_UID, .monitor = true },
		/* in a pod */
		{ "/machine.slice/machine-libpod_pod_" ID_B ".slice/libpod-" ID_A ".scope",
		  CT, "podman", ID_A, .owner_uid = NO_UID },
		/* cgroupfs manager (v1) */
		{ "/libpod_parent/libpod-" ID_A, CT, "podman", ID_A, .owner_uid = NO_UID },
		/* rootless: the user's manager owns it */
		{ "/user.slice/user-1000.slice/user@1000.service/user.slice/libpod-" ID_B
		  ".scope", CT, "podman", ID_B, .owner_uid = 1000 },
		{ "/user.slice/user-1000.slice/user@1000.service/user.slice/libpod-" ID_B
		  ".scope/container", CT, "podman", ID_B,
		  "/user.slice/user-1000.slice/user@1000.service/user.slice/libpod-" ID_B
		  ".scope", .owner_uid = 1000 },
		/* a delegated subtree cannot make itself a user manager */
		{ "/system.slice/evil.service/user.slice/user-0.slice/user@0.service/libpod-"
		  ID_B ".scope", CT, "podman", ID_B, .owner_uid = NO_UID },
		{ "/user.slice/user-1000.slice/user@1001.service/libpod-" ID_B ".scope",
		  CT, "podman", ID_B, .owner_uid = NO_UID },
	};
	expect_all(w, N(w));
}

static void test_docker_containerd(void **state)
{
	(void)state;
	static const struct want w[] = {
		{ "/system.slice/docker-" ID_A ".scope", CT, "docker", ID_A,
		  .owner_uid = NO_UID },
		/* cgroupfs driver, v1 ("12:cpu,cpuacct:/docker/ID") and v2 */
		{ "/docker/" ID_A, CT, "docker", ID_A, .owner_uid = NO_UID },
		/* docker in docker: the innermost */
		{ "/docker/" ID_A "/docker/" ID_B, CT, "docker", ID_B,
		  .owner_uid = NO_UID },
		{ "/system.slice/nerdctl-" ID_C ".scope", CT, "containerd", ID_C,
		  .owner_uid = NO_UID },
		/* not an id: the scope is just a scope */
		{ "/system.slice/docker-xyz.scope", GRAPH_WL_SERVICE, "systemd",
		  "docker-xyz.scope", .owner_uid = NO_UID },
		{ "/docker/" ID_A "0", GRAPH_WL_CGROUP, "cgroup", "/docker/" ID_A "0",
		  .owner_uid = NO_UID },
		/* docker itself */
		{ "/system.slice/docker.service", GRAPH_WL_SERVICE, "systemd",
		  "docker.service", .owner_uid = NO_UID },
	};
	expect_all(w, N(w));
}

static void test_kubernetes(void **state)
{
	(void)state;
#define KS "/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod" \
	POD_SLICE ".slice"
	static const struct want w[] = {
		{ KS "/cri-containerd-" ID_A ".scope", CT, "containerd", ID_A,
		  .pod_uid = POD_UID, .owner_uid = NO_UID },
		{ "/kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod"
		  POD_SLICE ".slice/crio-" ID_B ".scope", CT, "cri-o", ID_B,
		  .pod_uid = POD_UID, .owner_uid = NO_UID },
		{ "/kubepods.slice/kubepods-pod" POD_SLICE ".slice/crio-conmon-" ID_B
		  ".scope", CT, "cri-o", ID_B, .pod_uid = POD_UID, .owner_uid = NO_UID,
		  .monitor = true },
		/* dockershim */
		{ KS "/docker-" ID_C ".scope", CT, "docker", ID_C, .pod_uid = POD_UID,
		  .owner_uid = NO_UID },
		/* cgroupfs driver (v1): the runtime unsaid */
		{ "/kubepods/burstable/pod" POD_UID "/" ID_A, CT, "kubernetes", ID_A,
		  .pod_uid = POD_UID, .owner_uid = NO_UID },
		{ "/kubepods/pod" POD_UID "/" ID_A, CT, "kubernetes", ID_A,
		  .pod_uid = POD_UID, .owner_uid = NO_UID },
		{ "/kubepods/besteffort/pod" POD_UID "/crio-" ID_B, CT, "cri-o", ID_B,
		  .pod_uid = POD_UID, .owner_uid = NO_UID },
		/* a process of the pod itself */
		{ "/kubepods/burstable/pod" POD_UID, GRAPH_WL_POD, "kubernetes",
		  POD_UID, .owner_uid = NO_UID },
		{ KS, GRAPH_WL_POD, "kubernetes", POD_UID, .owner_uid = NO_UID },
		/* kind's nodes: the kubelet's cgroup root */
		{ "/kubelet.slice/kubelet-kubepods.slice/kubelet-kubepods-besteffort.slice/"
		  "kubelet-kubepods-besteffort-pod" POD_SLICE ".slice/cri-containerd-"
		  ID_D ".scope", CT, "containerd", ID_D, .pod_uid = POD_UID,
		  .owner_uid = NO_UID },
		/* the QoS slices are no pods; "pod..." outside kubepods neither */
		{ "/kubepods.slice/kubepods-burstable.slice", GRAPH_WL_CGROUP, "cgroup",
		  "/kubepods.slice/kubepods-burstable.slice", .owner_uid = NO_UID },
		{ "/podman/pod" POD_UID, GRAPH_WL_CGROUP, "cgroup",
		  "/podman/pod" POD_UID, .owner_uid = NO_UID },
		{ "/kubepods/burstable/podxyz!/" ID_A, GRAPH_WL_CGROUP, "cgroup",
		  "/kubepods/burstable/podxyz!/" ID_A, .owner_uid = NO_UID },
	};
#undef KS
	expect_all(w, N(w));
}

static void test_lxc_machines(void **state)
{
	(void)state;
	static const struct want w[] = {
		/* LXC 4+ on v2 */
		{ "/lxc.payload.web1", CT, "lxc", "web1", .name = "web1",
		  .owner_uid = NO_UID },
		{ "/lxc.payload.web1/system.slice/nginx.service", CT, "lxc", "web1",
		  "/lxc.payload.web1", .name = "web1", .owner_uid = NO_UID },
		{ "/lxc.monitor.web1", CT, "lxc", "web1", .name = "web1",
		  .owner_uid = NO_UID, .monitor = true },
		/* LXC 1-3 and LXD on v1 */
		{ "/lxc/web1", CT, "lxc", "web1", .name = "web1", .owner_uid = NO_UID },
		{ "/lxc/web1/init.scope", CT, "lxc", "web1", "/lxc/web1",
		  .name = "web1", .owner_uid = NO_UID },
		{ "/lxc.payload/web1", CT, "lxc", "web1", .name = "web1",
		  .owner_uid = NO_UID },
		/* an unprivileged user's container */
		{ "/user.slice/user-1000.slice/user@1000.service/app.slice/lxc.payload.u1",
		  CT, "lxc", "u1", .name = "u1", .owner_uid = 1000 },
		{ "/lxc.payload.", GRAPH_WL_CGROUP, "cgroup", "/lxc.payload.",
		  .owner_uid = NO_UID },
		/* systemd-nspawn, names unescaped */
		{ "/machine.slice/machine-deb\\x2dbox.scope", GRAPH_WL_MACHINE,
		  "systemd-nspawn", "deb-box", .name = "deb-box", .owner_uid = NO_UID },
		{ "/machine.slice/machine-deb\\x2dbox.scope/payload/system.slice/cron.service",
		  GRAPH_WL_MACHINE, "systemd-nspawn", "deb-box",
		  "/machine.slice/machine-deb\\x2dbox.scope", .name = "deb-box",
		  .owner_uid = NO_UID },
		{ "/machine.slice/systemd-nspawn@deb\\x2dbox.service/payload",
		  GRAPH_WL_MACHINE, "systemd-nspawn", "deb-box",
		  "/machine.slice/systemd-nspawn@deb\\x2dbox.service",
		  .name = "deb-box", .owner_uid = NO_UID },
		{ "/machine.slice/systemd-nspawn@box.service/supervisor",
		  GRAPH_WL_MACHINE, "systemd-nspawn", "box",
		  "/machine.slice/systemd-nspawn@box.service", .name = "box",
		  .owner_uid = NO_UID },
		/* docker inside the machine: the innermost workload */
		{ "/machine.slice/machine-box.scope/payload/system.slice/docker-" ID_A
		  ".scope", CT, "docker", ID_A, .owner_uid = NO_UID },
		/* libvirt's QEMU guests */
		{ "/machine.slice/machine-qemu\\x2d1\\x2dvm1.scope/libvirt/emulator",
		  GRAPH_WL_MACHINE, "libvirt", "1-vm1",
		  "/machine.slice/machine-qemu\\x2d1\\x2dvm1.scope", .name = "1-vm1",
		  .owner_uid = NO_UID },
		/* bad escapes are no machine names: the scope stays a scope */
		{ "/machine.slice/machine-a\\x2.scope", GRAPH_WL_SERVICE, "systemd",
		  "machine-a\\x2.scope", .owner_uid = NO_UID },
		{ "/machine.slice/machine-a\\x00b.scope", GRAPH_WL_SERVICE, "systemd",
		  "machine-a\\x00b.scope", .owner_uid = NO_UID },
	};
	expect_all(w, N(w));
}

static void test_systemd_units(void **state)
{
	(void)state;
#define UM "/user.slice/user-1000.slice/user@1000.service"
	static const struct want w[] = {
		{ "/system.slice/nginx.service", GRAPH_WL_SERVICE, "systemd",
		  "nginx.service", .owner_uid = NO_UID },
		{ "/system.slice/system-getty.slice/getty@tty1.service", GRAPH_WL_SERVICE,
		  "systemd", "getty@tty1.service", .owner_uid = NO_UID },
		{ "/system.slice/system-openvpn\\x2dclient.slice/openvpn-client@office.service",
		  GRAPH_WL_SERVICE, "systemd", "openvpn-client@office.service",
		  .owner_uid = NO_UID },
		{ "/system.slice/systemd-fsck@dev-disk-by\\x2duuid-1234.service",
		  GRAPH_WL_SERVICE, "systemd", "systemd-fsck@dev-disk-by\\x2duuid-1234.service",
		  .owner_uid = NO_UID },
		{ "/init.scope", GRAPH_WL_SERVICE, "systemd", "init.scope",
		  .owner_uid = NO_UID },
		/* a delegated service's own subtree is the service's */
		{ "/system.slice/foo.service/sub/bar.scope", GRAPH_WL_SERVICE, "systemd",
		  "foo.service", "/system.slice/foo.service", .owner_uid = NO_UID },
		{ "/user.slice/user-1000.slice/session-3.scope", GRAPH_WL_SESSION,
		  "systemd", "session-3.scope", .owner_uid = NO_UID },
		{ "/user.slice/user-1000.slice/session-c2.scope", GRAPH_WL_SESSION,
		  "systemd", "session-c2.scope", .owner_uid = NO_UID },
		/* the user's own units are their manager's, a session */
		{ UM "/init.scope", GRAPH_WL_SESSION, "systemd", "user@1000.service", UM,
		  .owner_uid = 1000 },
		{ UM "/app.slice/app-org.gnome.Terminal.slice/vte-spawn-1234.scope",
		  GRAPH_WL_SESSION, "systemd", "user@1000.service", UM, .owner_uid = 1000 },
		/* v1 hybrid: the name=systemd line */
		{ "/user.slice/user-0.slice/session-1.scope", GRAPH_WL_SESSION, "systemd",
		  "session-1.scope", .owner_uid = NO_UID },
	};
#undef UM
	expect_all(w, N(w));
}

static void test_bare_and_hostile(void **state)
{
	struct workload_match m;
	char path[3000], want[256];

	(void)state;
	static const struct want w[] = {
		{ "/", GRAPH_WL_CGROUP, "cgroup", "/", .owner_uid = NO_UID },
		{ "/custom/group", GRAPH_WL_CGROUP, "cgroup", "/custom/group",
		  .owner_uid = NO_UID },
		/* empty components are no components */
		{ "//machine.slice//libpod-" ID_A ".scope", CT, "podman", ID_A,
		  .owner_uid = NO_UID },
		/* odd bytes: no unit, no container, just the path */
		{ "/system.slice/evil\x1b[31m.service", GRAPH_WL_CGROUP, "cgroup",
		  "/system.slice/evil\x1b[31m.service", .owner_uid = NO_UID },
		{ "/system.slice/\xff\xfe.scope", GRAPH_WL_CGROUP, "cgroup",
		  "/system.slice/\xff\xfe.scope", .owner_uid = NO_UID },
		{ "/lxc.payload.\x1b]0;owned\x07", CT, "lxc", "\x1b]0;owned\x07",
		  .name = "\x1b]0;owned\x07", .owner_uid = NO_UID },
	};
	expect_all(w, N(w));

	assert_int_equal(workload_classify("machine.slice/x.scope", NULL, 0, &m), -EINVAL);
	assert_int_equal(workload_classify(NULL, NULL, 0, &m), -EINVAL);
	assert_int_equal(workload_classify("", NULL, 0, &m), -EINVAL);

	/* A container below 2,900 bytes of path is past what a match holds:
	 * the bare path, cut at a component boundary to fit an id. */
	size_t n = 0;
	while (n < 2900)
		n += (size_t)snprintf(path + n, sizeof(path) - n, "/%s", "abcdefghi");
	snprintf(path + n, sizeof(path) - n, "/libpod-%s.scope", ID_A);
	assert_int_equal(workload_classify(path, NULL, 0, &m), 0);
	assert_string_equal(m.runtime, "cgroup");
	assert_int_equal(m.kind, GRAPH_WL_CGROUP);
	memcpy(want, path, 250);  /* 25 components of 10 bytes */
	want[250] = '\0';
	assert_string_equal(m.id, want);
	assert_string_equal(m.cgroup, want);

	/* One component longer than an id: cut anyway. */
	path[0] = '/';
	memset(path + 1, 'x', 400);
	path[401] = '\0';
	assert_int_equal(workload_classify(path, NULL, 0, &m), 0);
	assert_int_equal(strlen(m.id), sizeof(m.id) - 1);

	/* A container whose name is longer than an id is no LXC container. */
	memcpy(path, "/lxc.payload.", 13);
	memset(path + 13, 'n', 300);
	path[313] = '\0';
	assert_int_equal(workload_classify(path, NULL, 0, &m), 0);
	assert_string_equal(m.runtime, "cgroup");
}

/* A command line as /proc/PID/cmdline holds it, NUL-separated, the last
 * NUL dropped as graph_proc.cmdline keeps it. */
#define CMD(s) s, sizeof(s) - 1

static void test_conmon(void **state)
{
	(void)state;
	static const char podman_conmon[] =
		"/usr/bin/conmon\0--api-version\0" "1\0-c\0" ID_A "\0-u\0" ID_A
		"\0-r\0/usr/bin/runc\0-b\0/var/lib/containers/storage/overlay-containers/"
		ID_A "/userdata\0-p\0/run/containers/storage/overlay-containers/" ID_A
		"/userdata/pidfile\0-n\0ux-db\0--exit-dir\0/run/libpod/exits\0"
		"--full-attach\0-s\0-l\0k8s-file:/var/lib/containers/storage/"
		"overlay-containers/" ID_A "/userdata/ctr.log\0--log-level\0warning\0"
		"--syslog\0--runtime-arg\0--log-format=json\0--exit-command\0"
		"/usr/bin/podman\0--exit-command-arg\0--root\0--exit-command-arg\0"
		"/var/lib/containers/storage\0--exit-command-arg\0container\0"
		"--exit-command-arg\0cleanup\0--exit-command-arg\0" ID_A;
	static const char crio_conmon[] =
		"/usr/bin/conmon\0-b\0/run/containers/storage/overlay-containers/" ID_B
		"/userdata\0-c\0" ID_B "\0--exit-dir\0/var/run/crio/exits\0-l\0"
		"/var/log/pods/default_web-7d4b9_" POD_UID "/nginx/0.log\0"
		"--log-level\0info\0-n\0k8s_nginx_web-7d4b9_default_" POD_UID "_0\0"
		"-P\0/run/containers/storage/overlay-containers/" ID_B "/userdata/conmon-pidfile";

	/* Its own scope says which container; the command line its name. */
	const struct want own = { "/machine.slice/libpod-conmon-" ID_A ".scope", CT,
				  "podman", ID_A, .name = "ux-db",
				  .owner_uid = NO_UID, .monitor = true };
	expect(&own, CMD(podman_conmon));
	/* cgroupfs: the shared conmon cgroup says nothing; -c does. */
	const struct want shared = { "/libpod_parent/conmon", CT, "podman", ID_A,
				     .name = "ux-db", .owner_uid = NO_UID,
				     .monitor = true };
	expect(&shared, CMD(podman_conmon));
	/* rootless conmon in the user's podman scope */
	const struct want rootless = {
		"/user.slice/user-1000.slice/user@1000.service/user.slice/podman-4242.scope",
		CT, "podman", ID_A, "/user.slice/user-1000.slice/user@1000.service",
		.name = "ux-db", .owner_uid = 1000, .monitor = true };
	expect(&rootless, CMD(podman_conmon));
	/* CRI-O's: it logs below /var/log/pods */
	const struct want crio = {
		"/kubepods.slice/kubepods-pod" POD_SLICE ".slice/crio-conmon-" ID_B ".scope",
		CT, "cri-o", ID_B, .name = "k8s_nginx_web-7d4b9_default_" POD_UID "_0",
		.pod_uid = POD_UID, .owner_uid = NO_UID, .monitor = true };
	expect(&crio, CMD(crio_conmon));
	const struct want crio_sys = { "/system.slice/crio.service", CT, "cri-o", ID_B,
				       "/system.slice/crio.service",
				       .name = "k8s_nginx_web-7d4b9_default_" POD_UID "_0",
				       .owner_uid = NO_UID, .monitor = true };
	expect(&crio_sys, CMD(crio_conmon));

	/* Long options with '=', and a command line cut short (no NUL at
	 * the end, the name's value missing). */
	const struct want eq = { "/libpod_parent/conmon", CT, "podman", ID_C,
				 .owner_uid = NO_UID, .monitor = true };
	expect(&eq, CMD("conmon\0--cid=" ID_C "\0--name"));
	const struct want eqn = { "/libpod_parent/conmon", CT, "podman", ID_C,
				  .name = "db", .owner_uid = NO_UID, .monitor = true };
	expect(&eqn, CMD("conmon\0--name=db\0--cid\0" ID_C));

	/* Not conmon, or no container id: the cgroup alone decides. */
	const struct want plain = { "/libpod_parent/conmon", GRAPH_WL_CGROUP, "cgroup",
				    "/libpod_parent/conmon", .owner_uid = NO_UID };
	expect(&plain, CMD("/usr/bin/notconmon\0-c\0" ID_C));
	expect(&plain, CMD("/usr/bin/conmon\0-c\0not-an-id\0-n\0x"));
	expect(&plain, CMD("/usr/bin/conmon\0-c"));
	expect(&plain, CMD("/usr/bin/conmon"));
	expect(&plain, "", 0);
	/* Anyone may call a program conmon: a container's payload doing so
	 * stays in its own container, nameless, no monitor of another. */
	const struct want payload = { "/machine.slice/libpod-" ID_A ".scope", CT,
				      "podman", ID_A, .owner_uid = NO_UID };
	expect(&payload, CMD("conmon\0-c\0" ID_C "\0-n\0db"));
	const struct want lxc = { "/lxc.payload.web1", CT, "lxc", "web1",
				  .name = "web1", .owner_uid = NO_UID };
	expect(&lxc, CMD("conmon\0-c\0" ID_C "\0-n\0db"));
	assert_true(wl_cmdline_is_monitor(CMD("conmon")));
	assert_false(wl_cmdline_is_monitor(CMD("/bin/sh\0conmon")));
	assert_false(wl_cmdline_is_monitor(CMD("/usr/bin/conmonx")));
	assert_false(wl_cmdline_is_monitor(NULL, 0));
}

/* ---- state files in a temporary root ------------------------------------ */

static const char *root;

/* Make the directories of PATH (below the root) and write TEXT there. */
static void put_file(const char *rel, const char *text)
{
	char path[PATH_MAX];

	snprintf(path, sizeof(path), "%s/%s", root, rel);
	for (char *s = path + strlen(root) + 1; (s = strchr(s, '/')); s++) {
		*s = '\0';
		if (mkdir(path, 0755) && errno != EEXIST)
			fail_msg("mkdir %s: %s", path, strerror(errno));
		*s = '/';
	}
	if (text) {
		FILE *f = fopen(path, "w");
		assert_non_null(f);
		fputs(text, f);
		assert_int_equal(fclose(f), 0);
	} else if (mkdir(path, 0755) && errno != EEXIST) {
		fail_msg("mkdir %s: %s", path, strerror(errno));
	}
}

static const char *in_root(const char *rel)
{
	static char buf[4][PATH_MAX];
	static unsigned n;
	char *p = buf[n++ % 4];

	snprintf(p, PATH_MAX, "%s/%s", root, rel);
	return p;
}

#define PODMAN_STORE "var/lib/containers/storage/overlay-containers/containers.json"
#define ALICE "home/alice/.local/share/containers/storage/overlay-containers/"

static int setup(void **state)
{
	(void)state;
	if (scratch_setup("test_workload"))
		return -1;
	root = base;
	/* containers/storage's list, as podman 4 writes it (metadata is a
	 * JSON document in a string). */
	put_file(PODMAN_STORE,
		 "[{\"id\":\"" ID_A "\",\"names\":[\"ux-db\"],\"image\":\"" ID_D "\","
		 "\"layer\":\"" ID_D "\",\"metadata\":\"{\\\"image-name\\\":"
		 "\\\"docker.io/library/busybox:latest\\\",\\\"name\\\":\\\"ux-db\\\"}\","
		 "\"created\":\"2026-12-01T12:00:00Z\",\"flags\":{\"MountLabel\":\"\"}},"
		 "{\"id\":\"" ID_C "\",\"names\":[]},{\"names\":[\"no-id\"]},17]");
	put_file("etc/passwd", "root:x:0:0:root:/root:/bin/bash\n"
		 "daemon:x:1:1:daemon:/usr/sbin:/usr/sbin/nologin\n"
		 "alice:x:1000:1000:Alice,,,:/home/alice:/bin/bash\n"
		 "bob:x:1001:1001::/home/bob:/bin/bash\n"
		 "broken:x:1002\n");
	/* Alice's rootless store names her container, and claims the
	 * system's ID_A as well: she must not rename that one. */
	put_file(ALICE "containers.json",
		 "[{\"id\":\"" ID_B "\",\"names\":[\"alice-web\"]},"
		 "{\"id\":\"" ID_A "\",\"names\":[\"fake\"]}]");
	/* Bob's storage directory is a symlink to Alice's. */
	put_file("home/bob/.local/share/containers/storage/", NULL);
	if (symlink(in_root(ALICE), in_root("home/bob/.local/share/containers/"
					    "storage/overlay-containers")))
		return -1;
	put_file("var/lib/docker/containers/" ID_B "/config.v2.json",
		 "{\"ID\":\"" ID_B "\",\"Name\":\"/web\",\"State\":{\"Running\":true}}");
	/* config.v2.json of ID_C is a FIFO nobody writes. */
	put_file("var/lib/docker/containers/" ID_C "/", NULL);
	if (mkfifo(in_root("var/lib/docker/containers/" ID_C "/config.v2.json"), 0644))
		return -1;
	/* ID_D's is a symlink to ID_B's. */
	put_file("var/lib/docker/containers/" ID_D "/", NULL);
	if (symlink(in_root("var/lib/docker/containers/" ID_B "/config.v2.json"),
		    in_root("var/lib/docker/containers/" ID_D "/config.v2.json")))
		return -1;
	/* The kubelet's logs: pod directories, container directories, and
	 * the /var/log/containers symlinks that carry the container ids. */
	put_file("var/log/pods/default_web-7d4b9_" POD_UID "/nginx/", NULL);
	put_file("var/log/pods/default_web-7d4b9_" POD_UID "/sidecar/", NULL);
	put_file("var/log/pods/kube-system_coredns-5d78c_11111111-2222-4333-8444-"
		 "555555555555/coredns/", NULL);
	put_file("var/log/containers/", NULL);
	if (symlink("/var/log/pods/default_web-7d4b9_" POD_UID "/nginx/0.log",
		    in_root("var/log/containers/web-7d4b9_default_nginx-" ID_A ".log")))
		return -1;
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	return scratch_teardown();
}

static void test_read_file(void **state)
{
	char *buf;
	size_t len;
	int dfd;

	(void)state;
	dfd = open(root, O_PATH | O_DIRECTORY | O_CLOEXEC);
	assert_true(dfd >= 0);
	assert_int_equal(wl_read_file(dfd, "etc/passwd", false, NO_UID, &buf, &len), 0);
	assert_non_null(strstr(buf, "alice"));
	assert_int_equal(strlen(buf), len);
	free(buf);
	/* the last component a symlink, a FIFO (at once, no hang), a
	 * directory, a missing file */
	assert_int_equal(wl_read_file(dfd, "var/lib/docker/containers/" ID_D
				      "/config.v2.json", false, NO_UID, &buf, &len), -ELOOP);
	assert_int_equal(wl_read_file(dfd, "var/lib/docker/containers/" ID_C
				      "/config.v2.json", false, NO_UID, &buf, &len), -EINVAL);
	assert_int_equal(wl_read_file(dfd, "etc", false, NO_UID, &buf, &len), -EINVAL);
	assert_int_equal(wl_read_file(dfd, "etc/shadow", false, NO_UID, &buf, &len),
			 -ENOENT);
	assert_null(buf);
	/* a directory on the way a symlink, when none may be */
	const char *bob = "home/bob/.local/share/containers/storage/"
			  "overlay-containers/containers.json";
	assert_int_equal(wl_read_file(dfd, bob, false, NO_UID, &buf, &len), 0);
	free(buf);
	/* (O_PATH | O_DIRECTORY | O_NOFOLLOW on a symlink: ENOTDIR) */
	assert_int_equal(wl_read_file(dfd, bob, true, NO_UID, &buf, &len), -ENOTDIR);
	/* too big: refused without reading it (sparse, 1 byte over) */
	put_file("big.json", "");
	assert_int_equal(truncate(in_root("big.json"), (off_t)WL_STATE_MAX + 1), 0);
	assert_int_equal(wl_read_file(dfd, "big.json", false, NO_UID, &buf, &len), -EFBIG);
	assert_int_equal(truncate(in_root("big.json"), (off_t)WL_STATE_MAX), 0);
	assert_int_equal(wl_read_file(dfd, "big.json", false, NO_UID, &buf, &len), 0);
	assert_int_equal(len, WL_STATE_MAX);
	free(buf);
	unlink(in_root("big.json"));
	/* another user's file in a user's home */
	if (is_root()) {
		put_file("home/alice/other", "x");
		assert_int_equal(chown(in_root("home/alice/other"), NOBODY, NOBODY), 0);
		assert_int_equal(wl_read_file(dfd, "home/alice/other", true, 1000, &buf,
					      &len), -EPERM);
		assert_int_equal(wl_read_file(dfd, "home/alice/other", true, NOBODY, &buf,
					      &len), 0);
		free(buf);
	}
	close(dfd);
}

/* A graph of processes in the given cgroups (and command lines), one
 * world of namespaces, attributed below the test root. */
struct proc_spec {
	const char *cgroup;
	const char *cmdline;
	size_t cmdline_len;
};

static struct graph *attributed(const struct proc_spec *ps, size_t n)
{
	struct graph *g = gb_new();
	struct gb_set host = gb_host(g, 4026531835u);
	const struct workload_env env = { .root = root };

	for (size_t i = 0; i < n; i++) {
		struct graph_proc *p = gb_proc(g, (int32_t)(i + 1), &host);
		if (ps[i].cgroup)
			p->cgroup = graph_strdup(g, ps[i].cgroup);
		if (ps[i].cmdline) {
			p->cmdline = graph_strndup(g, ps[i].cmdline, ps[i].cmdline_len);
			p->cmdline_len = (uint32_t)ps[i].cmdline_len;
		}
	}
	assert_int_equal(workload_attribute(g, &env), 0);
	char why[256];
	if (graph_check(g, why, sizeof(why)))
		fail_msg("graph_check: %s", why);
	return g;
}

/* The workload of process PID. */
static const struct graph_workload *wl_of(const struct graph *g, int32_t pid)
{
	const struct graph_proc *p = graph_proc_find(g, pid);

	assert_non_null(p);
	if (p->workload == GRAPH_NONE)
		return NULL;
	assert_true(p->workload < g->nworkloads);
	return &g->workloads[p->workload];
}

static void expect_wl(const struct graph *g, int32_t pid, const char *runtime,
		      const char *id, const char *name, const char *pod)
{
	const struct graph_workload *w = wl_of(g, pid);

	assert_non_null(w);
	assert_string_equal(w->runtime, runtime);
	assert_string_equal(w->id, id);
	assert_str(w->name, name);
	assert_str(w->pod, pod);
}

static void test_podman_state(void **state)
{
	(void)state;
	const char conmon[] = "/usr/bin/conmon\0-c\0" ID_C "\0-n\0from-conmon";
	const struct proc_spec ps[] = {
		{ .cgroup = "/machine.slice/libpod-" ID_A ".scope/container" },
		/* Alice's container, named by her store */
		{ .cgroup = "/user.slice/user-1000.slice/user@1000.service/user.slice/libpod-"
		  ID_B ".scope" },
		/* ID_C is nameless in the store: conmon's -n names it, and its
		 * payload's cgroup (not conmon's) is the workload's */
		{ .cgroup = "/libpod_parent/conmon", .cmdline = conmon,
		  .cmdline_len = sizeof(conmon) - 1 },
		{ .cgroup = "/libpod_parent/libpod-" ID_C },
		{ .cgroup = "/libpod_parent/libpod-" ID_C },
		/* Bob's store is a symlink: refused; the system's store must
		 * not name his container either */
		{ .cgroup = "/user.slice/user-1001.slice/user@1001.service/user.slice/libpod-"
		  ID_A ".scope" },
		/* a user with no passwd entry */
		{ .cgroup = "/user.slice/user-2000.slice/user@2000.service/user.slice/libpod-"
		  ID_B ".scope" },
		{ .cgroup = NULL },
	};
	struct graph *g = attributed(ps, N(ps));

	expect_wl(g, 1, "podman", ID_A, "ux-db", NULL);
	assert_string_equal(wl_of(g, 1)->cgroup, "/machine.slice/libpod-" ID_A ".scope");
	assert_int_equal(wl_of(g, 1)->kind, GRAPH_WL_CONTAINER);
	expect_wl(g, 2, "podman@1000", ID_B, "alice-web", NULL);
	expect_wl(g, 3, "podman", ID_C, "from-conmon", NULL);
	assert_ptr_equal(wl_of(g, 3), wl_of(g, 4));
	assert_ptr_equal(wl_of(g, 4), wl_of(g, 5));
	assert_string_equal(wl_of(g, 3)->cgroup, "/libpod_parent/libpod-" ID_C);
	/* Bob's "ID_A" is his, not the system's, and nameless. */
	expect_wl(g, 6, "podman@1001", ID_A, NULL, NULL);
	expect_wl(g, 7, "podman@2000", ID_B, NULL, NULL);
	assert_null(wl_of(g, 8));
	/* one workload per (runtime, id), in order */
	assert_int_equal(g->nworkloads, 5);
	assert_string_equal(g->workloads[0].runtime, "podman");
	assert_string_equal(g->workloads[0].id, ID_C);  /* "2e7d" < "ca97" */
	assert_string_equal(g->workloads[1].id, ID_A);
	assert_string_equal(g->workloads[4].runtime, "podman@2000");
	graph_free(g);

	/* Alice's store does not name the system's ID_B container... */
	const struct proc_spec sys[] = {
		{ .cgroup = "/machine.slice/libpod-" ID_B ".scope" },
	};
	g = attributed(sys, N(sys));
	expect_wl(g, 1, "podman", ID_B, NULL, NULL);
	graph_free(g);
	/* ...and her claim to ID_A names only her own "ID_A". */
	const struct proc_spec alice[] = {
		{ .cgroup = "/user.slice/user-1000.slice/user@1000.service/user.slice/libpod-"
		  ID_A ".scope" },
		{ .cgroup = "/machine.slice/libpod-" ID_A ".scope" },
	};
	g = attributed(alice, N(alice));
	expect_wl(g, 1, "podman@1000", ID_A, "fake", NULL);
	expect_wl(g, 2, "podman", ID_A, "ux-db", NULL);
	graph_free(g);
}

/* A user's own "conmon" (argv[0] is theirs to choose) claiming the
 * system's container, from a login session or a service running as them:
 * the container is spelled as theirs, and is not the system's. */
static void test_conmon_forged(void **state)
{
	(void)state;
	const char forged[] = "conmon\0-c\0" ID_A "\0-n\0db";
	const struct proc_spec ps[] = {
		{ .cgroup = "/machine.slice/libpod-" ID_A ".scope" },
		{ .cgroup = "/user.slice/user-1000.slice/session-3.scope",
		  .cmdline = forged, .cmdline_len = sizeof(forged) - 1 },
		{ .cgroup = "/system.slice/web.service",
		  .cmdline = forged, .cmdline_len = sizeof(forged) - 1 },
		/* root's conmon in a shared cgroup is believed */
		{ .cgroup = "/libpod_parent/conmon",
		  .cmdline = forged, .cmdline_len = sizeof(forged) - 1 },
	};
	struct graph *g = gb_new();
	struct gb_set host = gb_host(g, 4026531835u);
	const struct workload_env env = { .root = root };
	static const uint32_t uids[] = { 0, 1000, 33, 0 };

	for (size_t i = 0; i < N(ps); i++) {
		struct graph_proc *p = gb_proc(g, (int32_t)(i + 1), &host);
		p->cgroup = graph_strdup(g, ps[i].cgroup);
		if (ps[i].cmdline) {
			p->cmdline = graph_strndup(g, ps[i].cmdline, ps[i].cmdline_len);
			p->cmdline_len = (uint32_t)ps[i].cmdline_len;
		}
		p->flags |= GRAPH_PROC_HAS_CRED;
		p->ruid = p->euid = p->uid = uids[i];
	}
	assert_int_equal(workload_attribute(g, &env), 0);
	expect_wl(g, 1, "podman", ID_A, "ux-db", NULL);
	expect_wl(g, 2, "podman@1000", ID_A, "fake", NULL);
	expect_wl(g, 3, "podman@33", ID_A, "db", NULL);
	assert_ptr_equal(wl_of(g, 4), wl_of(g, 1));
	graph_free(g);
}

static void test_docker_kube_state(void **state)
{
	(void)state;
	const struct proc_spec ps[] = {
		{ .cgroup = "/system.slice/docker-" ID_B ".scope" },
		/* a FIFO: refused at once */
		{ .cgroup = "/docker/" ID_C },
		/* a symlink: refused */
		{ .cgroup = "/system.slice/docker-" ID_D ".scope" },
		{ .cgroup = "/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod"
		  POD_SLICE ".slice/cri-containerd-" ID_A ".scope" },
		/* not in /var/log/containers: two container dirs, no name */
		{ .cgroup = "/kubepods/burstable/pod" POD_UID "/" ID_D },
		/* one container directory: its name */
		{ .cgroup = "/kubepods/burstable/pod11111111-2222-4333-8444-555555555555/" ID_C },
		{ .cgroup = "/kubepods/burstable/pod" POD_UID },
		{ .cgroup = "/kubepods/burstable/pod99999999-2222-4333-8444-555555555555/" ID_B },
		{ .cgroup = "/lxc.payload.web1" },
		{ .cgroup = "/machine.slice/machine-deb\\x2dbox.scope" },
		{ .cgroup = "/system.slice/nginx.service" },
		/* a user manager: its user's login name */
		{ .cgroup = "/user.slice/user-1000.slice/user@1000.service/app.slice/"
		  "dbus.service" },
		{ .cgroup = "/user.slice/user-2000.slice/user@2000.service/init.scope" },
		{ .cgroup = "/user.slice/user-1000.slice/session-3.scope" },
	};
	struct graph *g = attributed(ps, N(ps));

	expect_wl(g, 1, "docker", ID_B, "web", NULL);
	expect_wl(g, 2, "docker", ID_C, NULL, NULL);
	expect_wl(g, 3, "docker", ID_D, NULL, NULL);
	expect_wl(g, 4, "containerd", ID_A, "nginx", "default/web-7d4b9");
	expect_wl(g, 5, "kubernetes", ID_D, NULL, "default/web-7d4b9");
	expect_wl(g, 6, "kubernetes", ID_C, "coredns", "kube-system/coredns-5d78c");
	expect_wl(g, 7, "kubernetes", POD_UID, "web-7d4b9", "default/web-7d4b9");
	assert_int_equal(wl_of(g, 7)->kind, GRAPH_WL_POD);
	expect_wl(g, 8, "kubernetes", ID_B, NULL, NULL);
	expect_wl(g, 9, "lxc", "web1", "web1", NULL);
	expect_wl(g, 10, "systemd-nspawn", "deb-box", "deb-box", NULL);
	assert_int_equal(wl_of(g, 10)->kind, GRAPH_WL_MACHINE);
	expect_wl(g, 11, "systemd", "nginx.service", NULL, NULL);
	assert_int_equal(wl_of(g, 11)->kind, GRAPH_WL_SERVICE);
	expect_wl(g, 12, "systemd", "user@1000.service", "alice", NULL);
	assert_int_equal(wl_of(g, 12)->kind, GRAPH_WL_SESSION);
	assert_string_equal(wl_of(g, 12)->cgroup,
			    "/user.slice/user-1000.slice/user@1000.service");
	expect_wl(g, 13, "systemd", "user@2000.service", NULL, NULL);
	expect_wl(g, 14, "systemd", "session-3.scope", NULL, NULL);
	graph_free(g);
}

/* Malformed state names nothing and breaks nothing. */
static void test_bad_state(void **state)
{
	static const char *const docs[] = {
		"[{\"id\":\"" ID_A "\",\"names\":[\"ux-db\"]",   /* cut short */
		"{\"id\":\"" ID_A "\"}",                        /* not a list */
		"[{\"id\":\"" ID_A "\",\"names\":[\"a\\u0000b\"]}]", /* NUL */
		"[{\"id\":17,\"names\":[\"x\"]},{\"id\":\"" ID_A "\",\"names\":\"x\"}]",
		"",
	};
	const char *saved = root;
	char sub[PATH_MAX];

	(void)state;
	snprintf(sub, sizeof(sub), "%s/bad", saved);
	assert_int_equal(mkdir(sub, 0755), 0);
	root = sub;
	for (size_t i = 0; i < N(docs); i++) {
		put_file(PODMAN_STORE, docs[i]);
		const struct proc_spec ps[] = {
			{ .cgroup = "/machine.slice/libpod-" ID_A ".scope" },
		};
		struct graph *g = attributed(ps, N(ps));
		expect_wl(g, 1, "podman", ID_A, NULL, NULL);
		graph_free(g);
	}
	/* A missing root: no state, no error. */
	root = "/nonexistent-root-of-test_workload";
	const struct proc_spec ps[] = { { .cgroup = "/system.slice/docker-" ID_B ".scope" } };
	struct graph *g = attributed(ps, N(ps));
	expect_wl(g, 1, "docker", ID_B, NULL, NULL);
	graph_free(g);
	root = saved;
	/* Alice's store holds one value too many (jansson spends up to ~230
	 * bytes on one: 32 MiB of "{}," cost 2.5 GB): refused unparsed,
	 * naming nothing.  '[', '{' and ',' count 5 in the first entry. */
	size_t n = WL_JSON_VALUES * 2 + 200;
	char *big = malloc(n);
	assert_non_null(big);
	size_t o = (size_t)snprintf(big, n, "[{\"id\":\"" ID_B "\",\"names\":[\"big\"]}");
	for (size_t k = 0; k < WL_JSON_VALUES - 4; k++, o += 2)
		memcpy(big + o, ",0", 2);
	memcpy(big + o, "]", 2);
	put_file(ALICE "containers.json", big);
	const struct proc_spec alice[] = {
		{ .cgroup = "/user.slice/user-1000.slice/user@1000.service/user.slice/libpod-"
		  ID_B ".scope" },
	};
	g = attributed(alice, N(alice));
	expect_wl(g, 1, "podman@1000", ID_B, NULL, NULL);
	graph_free(g);
	/* one value fewer: read */
	memcpy(big + o - 2, "]", 2);
	put_file(ALICE "containers.json", big);
	g = attributed(alice, N(alice));
	expect_wl(g, 1, "podman@1000", ID_B, "big", NULL);
	graph_free(g);
	free(big);
	put_file(ALICE "containers.json",
		 "[{\"id\":\"" ID_B "\",\"names\":[\"alice-web\"]},"
		 "{\"id\":\"" ID_A "\",\"names\":[\"fake\"]}]");
}

/* Many processes in few cgroups: the workloads are shared and sorted;
 * the root cgroup is the host, no workload. */
static void test_many(void **state)
{
	struct graph *g = gb_new();
	struct gb_set host = gb_host(g, 4026531835u);
	const struct workload_env env = { .root = "/nonexistent-root-of-test_workload" };
	static const char *const cg[] = {
		"/system.slice/b.service", "/system.slice/a.service",
		"/docker/" ID_A, "/",
	};

	(void)state;
	for (int i = 0; i < 20000; i++) {
		struct graph_proc *p = gb_proc(g, i + 1, &host);
		p->cgroup = graph_strdup(g, cg[i % 4]);
	}
	assert_int_equal(workload_attribute(g, &env), 0);
	assert_int_equal(g->nworkloads, 3);
	assert_string_equal(g->workloads[0].runtime, "docker");
	assert_string_equal(g->workloads[1].id, "a.service");
	assert_string_equal(g->workloads[2].id, "b.service");
	for (int i = 0; i < 20000; i++) {
		if (i % 4 == 3)
			assert_int_equal(g->procs[i].workload, GRAPH_NONE);
		else
			assert_string_equal(g->workloads[g->procs[i].workload].cgroup,
					    cg[i % 4]);
	}
	assert_int_equal(graph_check(g, NULL, 0), 0);
	graph_free(g);

	/* A user's 40,000 cgroups named like LXC containers, in descending
	 * order: 40,000 workloads, each its process's, sorted.  (A linear
	 * search per workload and an insertion sort took 17 s for 60,000.) */
	g = gb_new();
	host = gb_host(g, 4026531835u);
	for (int i = 0; i < 40000; i++) {
		char path[128];
		struct graph_proc *p = gb_proc(g, i + 1, &host);
		snprintf(path, sizeof(path), "/user.slice/user-1000.slice/user@1000.service/"
			 "lxc.payload.c%05d", 40000 - i);
		p->cgroup = graph_strdup(g, path);
	}
	assert_int_equal(workload_attribute(g, &env), 0);
	assert_int_equal(g->nworkloads, 40000);
	assert_string_equal(g->workloads[0].id, "c00001");
	for (int i = 0; i < 40000; i++) {
		char id[16];
		snprintf(id, sizeof(id), "c%05d", 40000 - i);
		assert_string_equal(g->workloads[g->procs[i].workload].id, id);
		assert_string_equal(g->workloads[g->procs[i].workload].runtime, "lxc@1000");
	}
	assert_int_equal(graph_check(g, NULL, 0), 0);
	graph_free(g);
}

/* ---- namespaces ------------------------------------------------------------ */

static uint32_t wl_add(struct graph *g, const char *runtime, const char *id)
{
	uint32_t i = graph_workload_add(g, runtime, id, NULL);
	assert_int_not_equal(i, GRAPH_NONE);
	return i;
}

static void test_ns_map(void **state)
{
	struct graph *g = gb_new();
	struct workload_ns_map map;

	(void)state;
	/* A host, a container world sharing the host's user namespace, a
	 * namespace only a fd pins, one only a socket pins, one nobody. */
	struct gb_set host = gb_host(g, 4026531835u);
	struct gb_set ct = host;
	for (unsigned t = 0; t < NS_NTYPES; t++)
		if (t != NS_USER)
			ct.ns[t] = gb_ns(g, 4026532200u + t, t, host.ns[NS_USER]);
	uint32_t pinned = gb_ns(g, 4026532300u, NS_NET, host.ns[NS_USER]);
	uint32_t sock = gb_ns(g, 4026532301u, NS_NET, host.ns[NS_USER]);
	uint32_t lonely = gb_ns(g, 4026532302u, NS_NET, host.ns[NS_USER]);
	uint32_t svc = wl_add(g, "systemd", "sshd.service");
	uint32_t box = wl_add(g, "podman", ID_A);

	struct graph_proc *p = gb_proc(g, 1, &host);
	p->workload = svc;
	gb_thread(g, p, 1);
	gb_fd(g, p, 5, pinned);
	p = gb_proc(g, 2, &ct);
	p->workload = box;
	/* a thread of the container's process in the host's UTS namespace */
	struct graph_task *t = gb_task(g, p, 3, &ct);
	t->links.ns[NS_UTS] = host.ns[NS_UTS];
	gb_fd(g, p, 7, sock);
	g->fds[g->nfds - 1].kind = GRAPH_FD_SOCKET;
	/* a process without a workload counts neither for nor against */
	p = gb_proc(g, 4, &ct);
	p->ntasks = 0;

	assert_int_equal(workload_ns_map_build(g, &map), 0);
	/* the container's own namespaces: one owner */
	for (unsigned ty = 0; ty < NS_NTYPES; ty++) {
		const struct workload_ns *e = &map.ns[ct.ns[ty]];
		if (ty == NS_USER || ty == NS_UTS)
			continue;
		assert_int_equal(e->n, 1);
		assert_int_equal(e->owner, box);
		assert_int_equal(map.list[e->first], box);
	}
	/* shared ones: both, in workload order, no owner */
	for (unsigned ty = 0; ty < NS_NTYPES; ty++) {
		if (ty != NS_USER && ty != NS_UTS)
			continue;
		const struct workload_ns *e = &map.ns[host.ns[ty]];
		assert_int_equal(e->n, 2);
		assert_int_equal(e->owner, GRAPH_NONE);
		assert_int_equal(map.list[e->first], svc < box ? svc : box);
		assert_int_equal(map.list[e->first + 1], svc < box ? box : svc);
	}
	/* the host's others: the service alone */
	assert_int_equal(map.ns[host.ns[NS_NET]].owner, svc);
	/* pins: their holders' */
	assert_int_equal(map.ns[pinned].owner, svc);
	assert_int_equal(map.ns[sock].owner, box);
	assert_int_equal(map.ns[lonely].n, 0);
	assert_int_equal(map.ns[lonely].owner, GRAPH_NONE);
	workload_ns_map_free(&map);
	assert_null(map.ns);

	/* An empty graph. */
	graph_free(g);
	g = graph_new();
	assert_int_equal(workload_ns_map_build(g, &map), 0);
	assert_int_equal(map.nlist, 0);
	workload_ns_map_free(&map);
	graph_free(g);
}

static void test_netns_names(void **state)
{
	struct graph *g = gb_new();
	const char *names[4];

	(void)state;
	struct gb_set host = gb_host(g, 4026531835u);
	uint32_t blue = gb_ns(g, 4026532400u, NS_NET, host.ns[NS_USER]);
	uint32_t red = gb_ns(g, 4026532401u, NS_NET, host.ns[NS_USER]);
	uint32_t mnt2 = gb_ns(g, 4026532402u, NS_MNT, host.ns[NS_USER]);

	gb_mount(g, host.ns[NS_MNT], blue, "/run/netns/blue");
	gb_mount(g, host.ns[NS_MNT], blue, "/var/run/netns/blue");
	gb_mount(g, host.ns[NS_MNT], blue, "/run/netns/azure");
	gb_mount(g, host.ns[NS_MNT], blue, "/tmp/keep");          /* not ip netns' */
	gb_mount(g, host.ns[NS_MNT], red, "/run/netns/red\\040x"); /* as mountinfo spells it */
	gb_mount(g, host.ns[NS_MNT], GRAPH_NONE, "/run/netns/gone");
	gb_mount(g, host.ns[NS_MNT], red, "/run/netns/");
	/* a mount namespace copied from the host's has them too */
	gb_mount(g, mnt2, blue, "/run/netns/blue");
	gb_mount(g, mnt2, blue, "/run/netns/navy");

	assert_int_equal(workload_netns_names(g, blue, names, 4), 3);
	assert_string_equal(names[0], "blue");
	assert_string_equal(names[1], "azure");
	assert_string_equal(names[2], "navy");
	/* more than there is room for: counted, not stored */
	names[1] = NULL;
	assert_int_equal(workload_netns_names(g, blue, names, 1), 3);
	assert_null(names[1]);
	assert_int_equal(workload_netns_names(g, red, names, 4), 1);
	assert_string_equal(names[0], "red\\040x");
	assert_int_equal(workload_netns_names(g, host.ns[NS_NET], names, 4), 0);
	assert_int_equal(workload_netns_names(g, blue, NULL, 0), 3);

	/* A user's own user and mount namespace, with a tmpfs on /run/netns
	 * and the host's network namespace bind-mounted there as "prod"
	 * (nobody can: unshare -Urm), or their own as "blue": no names. */
	uint32_t uns = gb_ns(g, 4026532500u, NS_USER, host.ns[NS_USER]);
	uint32_t umnt = gb_ns(g, 4026532501u, NS_MNT, uns);
	uint32_t unet = gb_ns(g, 4026532502u, NS_NET, uns);
	gb_mount(g, umnt, host.ns[NS_NET], "/run/netns/prod");
	gb_mount(g, umnt, unet, "/run/netns/blue");
	gb_mount(g, umnt, blue, "/run/netns/navy-fake");
	assert_int_equal(workload_netns_names(g, host.ns[NS_NET], names, 4), 0);
	assert_int_equal(workload_netns_names(g, unet, names, 4), 0);
	assert_int_equal(workload_netns_names(g, blue, names, 4), 3);
	assert_string_equal(names[2], "navy");
	graph_free(g);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_podman),
		cmocka_unit_test(test_docker_containerd),
		cmocka_unit_test(test_kubernetes),
		cmocka_unit_test(test_lxc_machines),
		cmocka_unit_test(test_systemd_units),
		cmocka_unit_test(test_bare_and_hostile),
		cmocka_unit_test(test_conmon),
		cmocka_unit_test(test_read_file),
		cmocka_unit_test(test_podman_state),
		cmocka_unit_test(test_conmon_forged),
		cmocka_unit_test(test_docker_kube_state),
		cmocka_unit_test(test_bad_state),
		cmocka_unit_test(test_many),
		cmocka_unit_test(test_ns_map),
		cmocka_unit_test(test_netns_names),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
