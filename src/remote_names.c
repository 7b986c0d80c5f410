/* remote_names.c — see remote_names.h. */
#include "remote_names.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hosts.h"
#include "proto.h"

struct name_entry {
	char name[PROTO_NAME_SIZE];
	char host[HOST_NAME_MAX_LEN + 1];
};

struct names {
	struct name_entry *v;
	size_t n;
};

int names_load(const char *path, struct names **out, struct error *e)
{
	struct names *t = xcalloc(1, sizeof(*t));
	*out = t;
	FILE *f = fopen(path, "re");
	if (!f)
		return errno == ENOENT ? 0 : error_sys(e, errno, "%s", path);
	char line[512];
	unsigned no = 0;
	int r = 0;
	while (fgets(line, sizeof(line), f)) {
		no++;
		char name[PROTO_NAME_SIZE + 1], host[HOST_NAME_MAX_LEN + 2];
		char extra;
		if (line[0] == '#' || strspn(line, " \t\r\n") == strlen(line))
			continue;
		if (sscanf(line, "%64s %64s %c", name, host, &extra) != 2 ||
		    strlen(name) >= PROTO_NAME_SIZE ||
		    strlen(host) > HOST_NAME_MAX_LEN || t->n >= NAMES_MAX) {
			r = error_set(e, EINVAL, "%s: line %u: not NAME HOST",
				      path, no);
			break;
		}
		t->v = realloc(t->v, (t->n + 1) * sizeof(*t->v));
		if (!t->v)
			abort();
		/* Lengths checked above: both fit with their NUL. */
		memcpy(t->v[t->n].name, name, strlen(name) + 1);
		memcpy(t->v[t->n].host, host, strlen(host) + 1);
		t->n++;
	}
	(void)fclose(f);
	return r;
}

void names_free(struct names *n)
{
	if (!n)
		return;
	free(n->v);
	free(n);
}

const char *remote_lookup(const struct names *n, const char *name)
{
	for (size_t i = 0; n && i < n->n; i++)
		if (strcmp(n->v[i].name, name) == 0)
			return n->v[i].host;
	return NULL;
}
