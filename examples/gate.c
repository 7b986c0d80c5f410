/* gate — a service that serves only the callers it chooses, by what the
 * broker says about them (fk_peer), never by what they say themselves.
 *
 *   gate NAME uid=N          only programs of account (uid) N on this host
 *   gate NAME sha256=HEX     only programs with exactly these bytes
 *   gate NAME any            everyone
 *
 * For each caller it prints one line, "gate: id I uid U host 'H' url URL
 * sha256 HEX: served" (or "refused"), then sends a served caller
 * "welcome" and closes a refused one's link at once. It runs until it is
 * killed. */
#include <fakeos.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *filter;

static void hex(const uint8_t *b, char out[65])
{
	for (int i = 0; i < 32; i++)
		snprintf(out + 2 * i, 3, "%02x", b[i]);
}

/* The whole policy: a few lines over struct fk_peer. */
static int allowed(const struct fk_peer *p, const char *sha)
{
	if (!strncmp(filter, "uid=", 4))
		return p->host[0] == '\0' &&
		       p->uid == strtoul(filter + 4, NULL, 10);
	if (!strncmp(filter, "sha256=", 7))
		return !strcmp(sha, filter + 7);
	return !strcmp(filter, "any");
}

int main(int argc, char **argv)
{
	if (argc != 3) {
		fprintf(stderr, "usage: gate NAME uid=N|sha256=HEX|any\n");
		return 2;
	}
	filter = argv[2];
	int r = fk_init();
	fk_handle s = r < 0 ? r : fk_serve(argv[1]);
	if (s < 0) {
		fprintf(stderr, "gate: %s: %s\n", r < 0 ? "fk_init" : "fk_serve",
			strerror(-s));
		return 1;
	}
	struct fk_event ev;
	while (fk_wait(&ev, 1, -1) == 1) {
		if (ev.type == FK_EV_OPEN && ev.handle == s)
			printf("gate: serving %s\n", argv[1]);
		if (ev.type == FK_EV_CLOSED && ev.handle == s) {
			fprintf(stderr, "gate: %s: %s\n", argv[1],
				strerror(-ev.status));
			return 1;
		}
		if (ev.type == FK_EV_INCOMING) {
			struct fk_peer p;
			char sha[65];
			if ((r = fk_peer(ev.handle, &p)) < 0) {
				fprintf(stderr, "gate: fk_peer: %s\n",
					strerror(-r));
				return 1;
			}
			hex(p.sha256, sha);
			int ok = allowed(&p, sha);
			printf("gate: id %llu uid %u host '%s' url %s sha256 %s: "
			       "%s\n",
			       (unsigned long long)p.id, (unsigned)p.uid, p.host,
			       p.url, sha, ok ? "served" : "refused");
			if (ok)
				fk_send(ev.handle, "welcome", 7);
			else
				fk_close(ev.handle);
		}
		fflush(stdout);
		fk_release(&ev);
	}
	return 1;
}
