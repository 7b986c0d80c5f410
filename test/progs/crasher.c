/* Crashes on purpose, for the crash report tests (test_crash.sh):
 *
 *   crasher segv        writes to 0xdead0010 through crash_outer,
 *                       crash_middle and crash_inner
 *   crasher fpe         divides by zero
 *   crasher ill         runs ud2
 *   crasher abort       calls abort(), which ends in a forbidden call
 *                       (the jail has no rt_sigprocmask or tgkill)
 *   crasher syscall     makes a forbidden call (socket)
 *   crasher bus         SIGBUS (BUS_ADRALN): sets the alignment check
 *                       flag (EFLAGS.AC, which Linux honours in user
 *                       mode) and reads a misaligned word; no call needed
 *   crasher linked      serves "crashsvc", links to it, then faults
 *   crasher parent URL  spawns URL segv and prints its FK_EV_EXIT
 *
 * Built with fakeos-cc, which keeps frame pointers, so the backtrace
 * holds every named function below (noinline keeps them apart). */
#include <fakeos.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#define NOINLINE __attribute__((noinline))

static volatile int sink;

NOINLINE void crash_inner(int how);
NOINLINE void crash_inner(int how)
{
	switch (how) {
	case 0:
		*(volatile int *)(uintptr_t)0xdead0010 = 1;
		break;
	case 1:
		__asm__ volatile("xorl %%ecx, %%ecx\n\tmovl $1, %%eax\n\t"
				 "cltd\n\tidivl %%ecx"
				 ::: "eax", "ecx", "edx");
		break;
	case 2:
		__asm__ volatile("ud2");
		break;
	case 3:
		abort();
	case 4:
		syscall(SYS_socket, 2, 1, 0);
		break;
	case 5: {
		static volatile uint64_t words[2];
		volatile char *odd = (volatile char *)words + 1;
		__asm__ volatile("pushfq\n\torq $0x40000, (%%rsp)\n\tpopfq"
				 ::: "memory", "cc");
		sink = (int)*(volatile uint64_t *)(uintptr_t)odd;
		break;
	}
	}
	sink++;
}

NOINLINE void crash_middle(int how);
NOINLINE void crash_middle(int how)
{
	crash_inner(how);
	sink++;
}

NOINLINE void crash_outer(int how);
NOINLINE void crash_outer(int how)
{
	crash_middle(how);
	sink++;
}

static int parent(const char *url)
{
	char *args[] = { (char *)url, "segv", NULL };
	fk_handle child = fk_spawn(url, args);
	if (child <= 0) {
		printf("fk_spawn: %d\n", child);
		return 1;
	}
	struct fk_event ev;
	for (;;) {
		if (fk_wait(&ev, 1, 20000000000LL) != 1) {
			printf("no event\n");
			return 1;
		}
		if (ev.type == FK_EV_EXIT && ev.handle == child) {
			printf("child exit: %d reason: %.*s\n", ev.status,
			       (int)ev.len, ev.data ? (const char *)ev.data : "");
			return 0;
		}
	}
}

int main(int argc, char **argv)
{
	const char *mode = argc > 1 ? argv[1] : "segv";
	static const char *const modes[] = { "segv", "fpe",	"ill",
					     "abort", "syscall", "bus" };
	for (int i = 0; i < 6; i++)
		if (strcmp(mode, modes[i]) == 0)
			crash_outer(i);
	int r = fk_init();
	if (r < 0) {
		printf("fk_init: %d\n", r);
		return 1;
	}
	if (strcmp(mode, "linked") == 0) {
		fk_handle s = fk_serve("crashsvc");
		fk_handle l = fk_link("crashsvc");
		struct fk_event ev;
		int opened = 0;
		while (opened < 3 && fk_wait(&ev, 1, 5000000000LL) == 1)
			opened += ev.type == FK_EV_OPEN ||
				  ev.type == FK_EV_INCOMING;
		printf("serve %d link %d events %d\n", s, l, opened);
		fflush(stdout);
		crash_outer(0);
	}
	if (strcmp(mode, "parent") == 0 && argc > 2)
		return parent(argv[2]);
	printf("unknown mode %s\n", mode);
	return 2;
}
