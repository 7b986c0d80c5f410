/* Loading an eBPF program: the verifier is kernel attack surface, and
 * unprivileged eBPF has a long list of CVEs. */
#include "escape.h"
#include <linux/bpf.h>
int main(void)
{
	struct bpf_insn insns[] = {
		{ .code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = BPF_REG_0 },
		{ .code = BPF_JMP | BPF_EXIT },
	};
	union bpf_attr attr;
	memset(&attr, 0, sizeof(attr));
	attr.prog_type = BPF_PROG_TYPE_SOCKET_FILTER;
	attr.insn_cnt = 2;
	attr.insns = (uint64_t)(uintptr_t)insns;
	attr.license = (uint64_t)(uintptr_t) "GPL";
	trying("bpf(BPF_PROG_LOAD)");
	return outcome("bpf",
		       syscall(SYS_bpf, BPF_PROG_LOAD, &attr, sizeof(attr)));
}
