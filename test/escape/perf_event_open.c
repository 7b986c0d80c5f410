/* perf_event_open on a host process (argv[1]): a side channel, and a
 * kernel interface with its own history of privilege escalations. */
#include "escape.h"
#include <linux/perf_event.h>
int main(int argc, char **argv)
{
	struct perf_event_attr attr;
	memset(&attr, 0, sizeof(attr));
	attr.type = PERF_TYPE_SOFTWARE;
	attr.size = sizeof(attr);
	attr.config = PERF_COUNT_SW_CPU_CLOCK;
	trying("perf_event_open(host pid)");
	return outcome("perf_event_open",
		       syscall(SYS_perf_event_open, &attr,
			       arg_num(argc, argv, 1, 0), -1, -1, 0));
}
