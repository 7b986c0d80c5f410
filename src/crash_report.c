/* crash_report.c — see crash_report.h. The report is built in a buffer of
 * fixed size: every part of it is bounded (CRASH_MAX_FRAMES, the stack's
 * 1280 bytes, PROTO_SLOTS links, argv's PROTO_ARGS_SIZE), so a full buffer
 * means a bug, and is reported rather than cut silently. */
#include "crash_report.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

void json_raw(struct json *j, const char *s)
{
	size_t n = strlen(s);
	if (j->full || n >= j->cap - j->len) {
		j->full = true;
		return;
	}
	memcpy(j->buf + j->len, s, n + 1);
	j->len += n;
}

void json_fmt(struct json *j, const char *fmt, ...)
{
	char tmp[256];
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(tmp, sizeof(tmp), fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof(tmp)) {
		j->full = true;
		return;
	}
	json_raw(j, tmp);
}

void json_str(struct json *j, const char *s, size_t n)
{
	json_raw(j, "\"");
	for (size_t i = 0; i < n && !j->full; i++) {
		unsigned char c = (unsigned char)s[i];
		char esc[8];
		if (c == '"' || c == '\\') {
			esc[0] = '\\';
			esc[1] = (char)c;
			esc[2] = '\0';
		} else if (c < 0x20 || c > 0x7e) {
			snprintf(esc, sizeof(esc), "\\u%04x", c);
		} else {
			esc[0] = (char)c;
			esc[1] = '\0';
		}
		json_raw(j, esc);
	}
	json_raw(j, "\"");
}

static void json_cstr(struct json *j, const char *s)
{
	if (s)
		json_str(j, s, strlen(s));
	else
		json_raw(j, "null");
}

static void json_hex(struct json *j, const uint8_t *b, size_t n)
{
	json_raw(j, "\"");
	for (size_t i = 0; i < n && !j->full; i++)
		json_fmt(j, "%02x", b[i]);
	json_raw(j, "\"");
}

static const char *si_code_name(int sig, int code)
{
	if (code <= 0)
		return code == SI_USER ? "SI_USER"
		       : code == SI_TKILL ? "SI_TKILL"
					  : NULL;
	switch (sig) {
	case SIGSEGV:
		return code == SEGV_MAPERR   ? "SEGV_MAPERR"
		       : code == SEGV_ACCERR ? "SEGV_ACCERR"
					     : NULL;
	case SIGBUS:
		return code == BUS_ADRALN   ? "BUS_ADRALN"
		       : code == BUS_ADRERR ? "BUS_ADRERR"
		       : code == BUS_OBJERR ? "BUS_OBJERR"
					    : NULL;
	case SIGFPE:
		return code == FPE_INTDIV   ? "FPE_INTDIV"
		       : code == FPE_INTOVF ? "FPE_INTOVF"
		       : code == FPE_FLTDIV ? "FPE_FLTDIV"
					    : NULL;
	case SIGILL:
		return code == ILL_ILLOPC   ? "ILL_ILLOPC"
		       : code == ILL_ILLOPN ? "ILL_ILLOPN"
		       : code == ILL_PRVOPC ? "ILL_PRVOPC"
					    : NULL;
	default:
		return NULL;
	}
}

/* Where frame i is: "f+0x1c", or its address when no symbol holds it. */
static void frame_text(const struct crash_report *r, unsigned i, char *out,
		       size_t cap)
{
	if (r->sym[i][0])
		snprintf(out, cap, "%s+0x%llx", r->sym[i],
			 (unsigned long long)r->sym_off[i]);
	else
		snprintf(out, cap, "0x%llx",
			 (unsigned long long)r->ci->frames[i]);
}

void crash_report_reason(const struct crash_report *r, char *out, size_t cap)
{
	const struct crash_info *ci = r->ci;
	char where[CRASH_SYM_MAX + 40] = "";
	if (ci->nframes) {
		char f[CRASH_SYM_MAX + 24];
		frame_text(r, 0, f, sizeof(f));
		snprintf(where, sizeof(where), " in %s", f);
	}
	if (ci->syscall_nr >= 0) {
		snprintf(out, cap, "forbidden system call %s (%d)%s",
			 r->syscall_name ? r->syscall_name : "unknown",
			 ci->syscall_nr, where);
		return;
	}
	const char *code = si_code_name(ci->sig, ci->si_code);
	char codes[40] = "";
	if (code)
		snprintf(codes, sizeof(codes), " (%s)", code);
	bool fault = ci->sig == SIGSEGV || ci->sig == SIGBUS ||
		     ci->sig == SIGILL || ci->sig == SIGFPE;
	if (fault)
		snprintf(out, cap, "%s%s at 0x%llx%s", signal_name(ci->sig),
			 codes, (unsigned long long)ci->addr, where);
	else
		snprintf(out, cap, "%s%s%s", signal_name(ci->sig), codes,
			 where);
}

static void json_regs(struct json *j, const struct user_regs_struct *g)
{
	const struct {
		const char *name;
		unsigned long long v;
	} regs[] = {
		{ "rip", g->rip },     { "rsp", g->rsp },
		{ "rbp", g->rbp },     { "rax", g->rax },
		{ "rbx", g->rbx },     { "rcx", g->rcx },
		{ "rdx", g->rdx },     { "rsi", g->rsi },
		{ "rdi", g->rdi },     { "r8", g->r8 },
		{ "r9", g->r9 },       { "r10", g->r10 },
		{ "r11", g->r11 },     { "r12", g->r12 },
		{ "r13", g->r13 },     { "r14", g->r14 },
		{ "r15", g->r15 },     { "orig_rax", g->orig_rax },
		{ "eflags", g->eflags }, { "fs_base", g->fs_base },
		{ "gs_base", g->gs_base }, { "cs", g->cs },
		{ "ss", g->ss },
	};
	json_raw(j, "{");
	for (size_t i = 0; i < ARRAY_SIZE(regs); i++)
		json_fmt(j, "%s\"%s\":\"0x%llx\"", i ? "," : "", regs[i].name,
			 regs[i].v);
	json_raw(j, "}");
}

int crash_report_json(const struct crash_report *r, char *buf, size_t cap)
{
	const struct crash_info *ci = r->ci;
	struct json j = { buf, cap, 0, cap == 0 };
	if (cap)
		buf[0] = '\0';
	json_fmt(&j, "{\"format\":\"%s\",\"time\":%lld,\"reason\":",
		 CRASH_FORMAT, (long long)r->time);
	json_cstr(&j, r->reason);
	json_raw(&j, ",\"program\":{\"url\":");
	json_cstr(&j, r->url);
	json_raw(&j, ",\"sha256\":");
	json_cstr(&j, r->sha256);
	json_raw(&j, ",\"build_id\":");
	json_cstr(&j, r->build_id);
	json_fmt(&j, ",\"uid\":%u,\"id\":%llu,\"argv\":[", (unsigned)r->uid,
		 (unsigned long long)r->id);
	for (unsigned i = 0; r->argv && r->argv[i]; i++) {
		json_raw(&j, i ? "," : "");
		json_cstr(&j, r->argv[i]);
	}
	json_raw(&j, "]},\"signal\":");
	if (ci->sig) {
		const char *code = si_code_name(ci->sig, ci->si_code);
		json_fmt(&j, "{\"number\":%d,\"name\":\"%s\",\"code\":%d,"
			     "\"code_name\":",
			 ci->sig, signal_name(ci->sig), ci->si_code);
		json_cstr(&j, code);
		json_fmt(&j, ",\"address\":\"0x%llx\"}",
			 (unsigned long long)ci->addr);
	} else {
		json_raw(&j, "null");
	}
	json_raw(&j, ",\"syscall\":");
	if (ci->syscall_nr >= 0) {
		json_fmt(&j, "{\"number\":%d,\"name\":", ci->syscall_nr);
		json_cstr(&j, r->syscall_name);
		json_raw(&j, ",\"args\":[");
		for (int i = 0; i < 6; i++)
			json_fmt(&j, "%s\"0x%llx\"", i ? "," : "",
				 (unsigned long long)ci->syscall_args[i]);
		json_raw(&j, "]}");
	} else {
		json_raw(&j, "null");
	}
	json_raw(&j, ",\"registers\":");
	if (ci->has_regs)
		json_regs(&j, &ci->regs);
	else
		json_raw(&j, "null");
	json_raw(&j, ",\"stack\":");
	if (ci->stack_len) {
		json_fmt(&j, "{\"address\":\"0x%llx\",\"sp\":\"0x%llx\","
			     "\"bytes\":",
			 (unsigned long long)ci->stack_at,
			 (unsigned long long)ci->regs.rsp);
		json_hex(&j, ci->stack,
			 ci->stack_len < sizeof(ci->stack) ? ci->stack_len
							   : sizeof(ci->stack));
		json_raw(&j, "}");
	} else {
		json_raw(&j, "null");
	}
	json_raw(&j, ",\"backtrace\":[");
	for (unsigned i = 0; i < ci->nframes && i < CRASH_MAX_FRAMES; i++) {
		json_fmt(&j, "%s{\"pc\":\"0x%llx\",\"function\":", i ? "," : "",
			 (unsigned long long)ci->frames[i]);
		if (r->sym[i][0]) {
			json_cstr(&j, r->sym[i]);
			json_fmt(&j, ",\"offset\":%llu}",
				 (unsigned long long)r->sym_off[i]);
		} else {
			json_raw(&j, "null,\"offset\":null}");
		}
	}
	json_raw(&j, "],\"links\":[");
	for (unsigned i = 0; i < r->nlinks && i < CRASH_MAX_LINKS; i++) {
		const struct crash_link *l = &r->links[i];
		json_fmt(&j, "%s{\"slot\":%u,\"peer\":%llu,\"peer_url\":",
			 i ? "," : "", l->slot, (unsigned long long)l->peer);
		json_cstr(&j, l->peer_url);
		json_raw(&j, ",\"name\":");
		json_cstr(&j, l->name && l->name[0] ? l->name : NULL);
		json_raw(&j, "}");
	}
	json_raw(&j, "],\"services\":[");
	for (unsigned i = 0; i < r->nservices; i++) {
		json_raw(&j, i ? "," : "");
		json_cstr(&j, r->services[i]);
	}
	json_fmt(&j, "],\"suppressed\":%u}\n", r->suppressed);
	if (j.full)
		return -ENOSPC;
	return (int)j.len;
}
