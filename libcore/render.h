/*
 * render.h — the reference program's tree text, byte for byte.
 *
 * Owns formatting only: indentation, colors, uid/gid map text, PID list
 * wrapping, the one-per-line member forms.  What to show comes from the
 * view; the terminal width is an input, never looked up here.
 */
#ifndef NSNAP_RENDER_H
#define NSNAP_RENDER_H

#include <stdbool.h>
#include <stdio.h>

#include "graph.h"
#include "view.h"

struct render_opts {
	bool color;
	bool no_pids;     /* --no-pids */
	bool show_comm;   /* --show-comm */
	bool all_pids;    /* --all-pids */
	int width;        /* terminal columns; the reference uses 80 when it
			     cannot ask the terminal */
	bool escape;      /* OUT is a terminal: comms, NStgids and maps
			     spelled by text_term_data() (an NStgid's tabs
			     kept), so that a process name cannot command
			     it; otherwise their bytes go out as they are,
			     as the reference writes them */
};

/*
 * Print V (built from G) to OUT as namespaces_of would: the scan messages,
 * then either the fatal message or the tree.  Returns 0, -EINVAL when V
 * does not fit G (view_fits(); nothing is written then), or -errno of a
 * write error.
 */
int render_tree(FILE *out, const struct graph *g, const struct view *v,
		const struct render_opts *opts);

#endif
