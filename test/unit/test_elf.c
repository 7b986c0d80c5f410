/* test_elf.c — which programs elf_check accepts, and what it says about
 * the rest (src/elf.c). Headers are built in memory; real binaries come
 * from /bin/true (dynamic) and from compilers run at test time. */
#include <check.h>
#include <fcntl.h>
#include <linux/elf.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "elf.h"
#include "elf_fixture.h"

/* A static-pie: ET_DYN at address 0 with a PT_DYNAMIC, and dt_tag as its
 * first dynamic entry. */
static void make_pie(struct img *m, int64_t dt_tag)
{
	make_exec(m, 2);
	eh(m)->e_type = ET_DYN;
	eh(m)->e_entry = 0x100;
	ph(m, 0)->p_vaddr = 0;
	Elf64_Phdr *d = ph(m, 1);
	d->p_type = PT_DYNAMIC;
	d->p_offset = 0x180;
	d->p_vaddr = 0x180;
	d->p_filesz = 2 * sizeof(Elf64_Dyn);
	d->p_memsz = d->p_filesz;
	Elf64_Dyn *dyn = (Elf64_Dyn *)(m->b + 0x180);
	dyn[0].d_tag = dt_tag;
	dyn[0].d_un.d_val = 1;
	dyn[1].d_tag = DT_NULL;
}

static void add_interp(struct img *m, const char *path)
{
	Elf64_Phdr *p = ph(m, 1);
	p->p_type = PT_INTERP;
	p->p_offset = 0x1c0;
	p->p_filesz = strlen(path) + 1;
	memcpy(m->b + 0x1c0, path, strlen(path) + 1);
}

/* Checks m, expecting a refusal, and returns the message. */
static const char *refused(const void *buf, size_t len)
{
	static struct error e;
	memset(&e, 0, sizeof(e));
	ck_assert_int_eq(elf_check(buf, len, &e), -ENOEXEC);
	ck_assert(e.msg[0] != '\0');
	return e.msg;
}

#define ck_assert_contains(hay, needle)                                       \
	ck_assert_msg(strstr((hay), (needle)) != NULL,                         \
		      "'%s' does not contain '%s'", (hay), (needle))

START_TEST(test_elf_accepts_minimal_static_executable)
{
	struct img m;
	struct error e;
	make_exec(&m, 1);
	ck_assert_int_eq(elf_check(m.b, m.len, &e), 0);
}
END_TEST

START_TEST(test_elf_accepts_static_pie_without_interpreter)
{
	struct img m;
	struct error e;
	make_pie(&m, DT_FLAGS_1);
	ck_assert_int_eq(elf_check(m.b, m.len, &e), 0);
}
END_TEST

START_TEST(test_elf_accepts_unaligned_buffer)
{
	static uint8_t buf[1024 + 1];
	struct img m;
	struct error e;
	make_exec(&m, 3);
	memcpy(buf + 1, m.b, m.len);
	ck_assert_int_eq(elf_check(buf + 1, m.len, &e), 0);
}
END_TEST

START_TEST(test_elf_rejects_dynamic_program_quoting_interpreter)
{
	struct img m;
	make_exec(&m, 2);
	add_interp(&m, "/lib64/ld-linux-x86-64.so.2");
	ck_assert_str_eq(refused(m.b, m.len),
			 "dynamically linked (interpreter "
			 "/lib64/ld-linux-x86-64.so.2); only static programs "
			 "run");
}
END_TEST

START_TEST(test_elf_sanitises_interpreter_path)
{
	struct img m;
	make_exec(&m, 2);
	add_interp(&m, "/evil\x1b]0;pwned\x07\n");
	const char *msg = refused(m.b, m.len);
	ck_assert_contains(msg, "interpreter /evil?]0;pwned?" "?)");
	for (const char *p = msg; *p; p++)
		ck_assert_int_ge((unsigned char)*p, 0x20);
}
END_TEST

START_TEST(test_elf_rejects_interpreter_outside_file)
{
	struct img m;
	make_exec(&m, 2);
	add_interp(&m, "/lib/ld.so");
	ph(&m, 1)->p_offset = 0xffffffffffffff00ULL;
	ck_assert_contains(refused(m.b, m.len), "dynamically linked (with an "
						"unreadable interpreter path)");
}
END_TEST

START_TEST(test_elf_rejects_static_pie_that_needs_libraries)
{
	struct img m;
	make_pie(&m, DT_NEEDED);
	ck_assert_str_eq(refused(m.b, m.len),
			 "dynamically linked (needs shared libraries); only "
			 "static programs run");
}
END_TEST

START_TEST(test_elf_rejects_script_naming_it)
{
	static const char s[] = "#!/bin/sh\necho hello\n";
	ck_assert_str_eq(refused(s, sizeof(s) - 1),
			 "not an ELF program: a script (#!/bin/sh)");
	static const char t[] = "#!";
	ck_assert_str_eq(refused(t, 2), "not an ELF program: a script (#!)");
}
END_TEST

START_TEST(test_elf_rejects_html_and_garbage)
{
	static const char html[] = "\n  <!DOCTYPE html><html>404</html>";
	ck_assert_str_eq(refused(html, sizeof(html) - 1),
			 "not an ELF program: looks like HTML or XML");
	ck_assert_str_eq(refused("MZ\x90\x00", 4),
			 "not an ELF program (no ELF magic number)");
	ck_assert_str_eq(refused("\x7f" "EL", 3),
			 "not an ELF program (no ELF magic number)");
	ck_assert_str_eq(refused("", 0), "not an ELF program: the file is "
					 "empty");
}
END_TEST

START_TEST(test_elf_rejects_32_bit)
{
	struct img m;
	make_exec(&m, 1);
	eh(&m)->e_ident[EI_CLASS] = ELFCLASS32;
	ck_assert_str_eq(refused(m.b, m.len), "a 32-bit ELF program; only "
					      "64-bit x86-64 programs run");
	/* Even when too short for a 64-bit header. */
	ck_assert_str_eq(refused(m.b, 20), "a 32-bit ELF program; only 64-bit "
					   "x86-64 programs run");
}
END_TEST

START_TEST(test_elf_rejects_big_endian_and_bad_ident)
{
	struct img m;
	make_exec(&m, 1);
	eh(&m)->e_ident[EI_DATA] = ELFDATA2MSB;
	ck_assert_contains(refused(m.b, m.len), "big-endian");
	make_exec(&m, 1);
	eh(&m)->e_ident[EI_CLASS] = 7;
	ck_assert_contains(refused(m.b, m.len), "unknown class 7");
	make_exec(&m, 1);
	eh(&m)->e_ident[EI_DATA] = 9;
	ck_assert_contains(refused(m.b, m.len), "unknown data encoding 9");
	make_exec(&m, 1);
	eh(&m)->e_ident[EI_VERSION] = 2;
	ck_assert_contains(refused(m.b, m.len), "unknown version 2");
}
END_TEST

START_TEST(test_elf_rejects_other_machine_naming_it)
{
	struct img m;
	make_exec(&m, 1);
	eh(&m)->e_machine = EM_AARCH64;
	ck_assert_str_eq(refused(m.b, m.len), "an ELF program for AArch64 "
					      "(machine 183), not x86-64");
	eh(&m)->e_machine = EM_RISCV;
	ck_assert_contains(refused(m.b, m.len), "for RISC-V (machine 243)");
	eh(&m)->e_machine = 9999;
	ck_assert_contains(refused(m.b, m.len), "for another machine "
						"(machine 9999)");
}
END_TEST

START_TEST(test_elf_rejects_object_files_and_core_dumps)
{
	struct img m;
	make_exec(&m, 1);
	eh(&m)->e_type = ET_REL;
	ck_assert_contains(refused(m.b, m.len), "object file (ET_REL)");
	eh(&m)->e_type = ET_CORE;
	ck_assert_contains(refused(m.b, m.len), "core dump");
	eh(&m)->e_type = 0x1234;
	ck_assert_contains(refused(m.b, m.len), "unknown type 4660");
}
END_TEST

START_TEST(test_elf_rejects_truncated_header)
{
	struct img m;
	make_exec(&m, 1);
	ck_assert_str_eq(refused(m.b, 10), "truncated ELF: 10 bytes, the "
					   "header needs 64");
	ck_assert_str_eq(refused(m.b, 63), "truncated ELF: 63 bytes, the "
					   "header needs 64");
}
END_TEST

START_TEST(test_elf_rejects_program_headers_past_end)
{
	struct img m;
	make_exec(&m, 1);
	eh(&m)->e_phoff = m.len - 10;
	ck_assert_contains(refused(m.b, m.len), "truncated ELF: program "
						"headers at offset 502");
	eh(&m)->e_phoff = UINT64_MAX - 8;
	ck_assert_contains(refused(m.b, m.len), "truncated ELF: program "
						"headers");
}
END_TEST

START_TEST(test_elf_rejects_load_segment_past_end)
{
	struct img m;
	make_exec(&m, 1);
	ph(&m, 0)->p_filesz = m.len + 1;
	ph(&m, 0)->p_memsz = m.len + 1;
	ck_assert_str_eq(refused(m.b, m.len),
			 "truncated ELF: loadable segment 0 (offset 0, 513 "
			 "bytes) extends past the end of the file (512 bytes)");
	/* An offset + size that wraps around must not pass. */
	make_exec(&m, 1);
	ph(&m, 0)->p_offset = UINT64_MAX - 10;
	ph(&m, 0)->p_filesz = 100;
	ph(&m, 0)->p_memsz = 100;
	ck_assert_contains(refused(m.b, m.len), "extends past the end");
}
END_TEST

START_TEST(test_elf_rejects_every_truncation_of_a_valid_program)
{
	struct img m;
	struct error e;
	make_exec(&m, 3);
	for (size_t len = 0; len < m.len; len++)
		ck_assert_int_eq(elf_check(m.b, len, &e), -ENOEXEC);
	ck_assert_int_eq(elf_check(m.b, m.len, &e), 0);
}
END_TEST

START_TEST(test_elf_rejects_absurd_header_values)
{
	struct img m;

	make_exec(&m, 1);
	eh(&m)->e_phentsize = 32;
	ck_assert_str_eq(refused(m.b, m.len), "bad ELF header: program header "
					      "size 32, expected 56");
	make_exec(&m, 1);
	eh(&m)->e_phnum = 0;
	ck_assert_str_eq(refused(m.b, m.len), "bad ELF header: no program "
					      "headers");
	make_exec(&m, 1);
	eh(&m)->e_phnum = 0xffff;
	ck_assert_contains(refused(m.b, m.len), "65535 program headers, at "
						"most 73 allowed");
	make_exec(&m, 1);
	eh(&m)->e_ehsize = 100;
	ck_assert_contains(refused(m.b, m.len), "header size 100");
	make_exec(&m, 1);
	eh(&m)->e_version = 0;
	ck_assert_contains(refused(m.b, m.len), "bad ELF header: version 0");
	make_exec(&m, 1);
	eh(&m)->e_entry = 0x1000;
	ck_assert_str_eq(refused(m.b, m.len), "bad ELF header: entry point "
					      "0x1000 is outside every "
					      "loadable segment");
}
END_TEST

START_TEST(test_elf_rejects_absurd_segments)
{
	struct img m;

	make_exec(&m, 1);
	ph(&m, 0)->p_memsz = 10;
	ck_assert_contains(refused(m.b, m.len), "file size larger than "
						"memory size");
	make_exec(&m, 1);
	ph(&m, 0)->p_vaddr = UINT64_MAX - 100;
	ck_assert_contains(refused(m.b, m.len), "address range wraps");
	make_exec(&m, 1);
	ph(&m, 0)->p_type = PT_NOTE;
	ck_assert_str_eq(refused(m.b, m.len), "bad ELF: no loadable segments");
}
END_TEST

/* Reads a whole file into a new buffer. */
static uint8_t *slurp(const char *path, size_t *len)
{
	struct stat st;
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(fstat(fd, &st), 0);
	uint8_t *buf = xmalloc((size_t)st.st_size);
	ck_assert_int_eq(read_full(fd, buf, (size_t)st.st_size), 0);
	close(fd);
	*len = (size_t)st.st_size;
	return buf;
}

START_TEST(test_elf_rejects_writable_and_executable_segment)
{
	struct img m;
	struct error e = { "" };
	make_exec(&m, 1);
	ph(&m, 0)->p_flags = PF_R | PF_W | PF_X;
	ck_assert_int_eq(elf_check(m.b, m.len, &e), -ENOEXEC);
	ck_assert_ptr_nonnull(strstr(e.msg, "writable and executable"));
}
END_TEST

START_TEST(test_elf_rejects_executable_stack)
{
	struct img m;
	struct error e = { "" };
	make_exec(&m, 2);
	ph(&m, 1)->p_type = PT_GNU_STACK;
	ph(&m, 1)->p_flags = PF_R | PF_W;
	ck_assert_int_eq(elf_check(m.b, m.len, &e), 0);
	ph(&m, 1)->p_flags = PF_R | PF_W | PF_X;
	ck_assert_int_eq(elf_check(m.b, m.len, &e), -ENOEXEC);
	ck_assert_ptr_nonnull(strstr(e.msg, "executable stack"));
}
END_TEST

START_TEST(test_elf_rejects_bin_true_as_dynamic)
{
	size_t len;
	cleanup_free uint8_t *buf = slurp("/bin/true", &len);
	const char *msg = refused(buf, len);
	ck_assert_contains(msg, "dynamically linked (interpreter /lib");
	ck_assert_contains(msg, "ld-linux-x86-64.so.2)");
}
END_TEST

/* Compiles a tiny program with cc and flags into dir; false if the
 * compiler is not installed. */
static bool compile(const char *dir, const char *cc, const char *flags,
		    const char *out)
{
	char cmd[1024];
	snprintf(cmd, sizeof(cmd),
		 "printf 'int main(void){return 0;}\\n' > %s/t.c && "
		 "%s %s -o %s/%s %s/t.c 2>/dev/null",
		 dir, cc, flags, dir, out, dir);
	int st = system(cmd);
	return st != -1 && WIFEXITED(st) && WEXITSTATUS(st) == 0;
}

START_TEST(test_elf_accepts_real_static_programs)
{
	static const struct {
		const char *cc, *flags, *out;
	} builds[] = {
		/* Not musl-gcc -static-pie: Debian's wrapper links that with
		 * an interpreter, and it is rightly refused. */
		{ "musl-gcc", "-static -O2", "musl-static" },
		{ "gcc", "-static -O2", "glibc-static" },
		{ "gcc", "-static-pie -fPIE -O2", "glibc-static-pie" },
		{ "gcc", "-O2", "glibc-dynamic" },
	};
	char dir[] = "/tmp/test_elf.XXXXXX";
	unsigned built = 0;

	ck_assert_ptr_nonnull(mkdtemp(dir));
	for (size_t i = 0; i < sizeof(builds) / sizeof(builds[0]); i++) {
		char path[256];
		size_t len;
		struct error e;
		if (!compile(dir, builds[i].cc, builds[i].flags,
			     builds[i].out))
			continue;
		built++;
		snprintf(path, sizeof(path), "%s/%s", dir, builds[i].out);
		cleanup_free uint8_t *buf = slurp(path, &len);
		int r = elf_check(buf, len, &e);
		if (strcmp(builds[i].out, "glibc-dynamic") == 0)
			ck_assert_int_eq(r, -ENOEXEC);
		else
			ck_assert_msg(r == 0, "%s: %s", builds[i].out, e.msg);
		unlink(path);
	}
	char src[256];
	snprintf(src, sizeof(src), "%s/t.c", dir);
	unlink(src);
	ck_assert_int_eq(rmdir(dir), 0);
	/* gcc is a build dependency, so at least its builds must exist. */
	ck_assert_uint_ge(built, 1);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("elf");
	TCase *t = tcase_create("elf");
	tcase_set_timeout(t, 60);
	tcase_add_test(t, test_elf_accepts_minimal_static_executable);
	tcase_add_test(t, test_elf_accepts_static_pie_without_interpreter);
	tcase_add_test(t, test_elf_accepts_unaligned_buffer);
	tcase_add_test(t, test_elf_rejects_dynamic_program_quoting_interpreter);
	tcase_add_test(t, test_elf_sanitises_interpreter_path);
	tcase_add_test(t, test_elf_rejects_interpreter_outside_file);
	tcase_add_test(t, test_elf_rejects_static_pie_that_needs_libraries);
	tcase_add_test(t, test_elf_rejects_script_naming_it);
	tcase_add_test(t, test_elf_rejects_html_and_garbage);
	tcase_add_test(t, test_elf_rejects_32_bit);
	tcase_add_test(t, test_elf_rejects_big_endian_and_bad_ident);
	tcase_add_test(t, test_elf_rejects_other_machine_naming_it);
	tcase_add_test(t, test_elf_rejects_object_files_and_core_dumps);
	tcase_add_test(t, test_elf_rejects_truncated_header);
	tcase_add_test(t, test_elf_rejects_program_headers_past_end);
	tcase_add_test(t, test_elf_rejects_load_segment_past_end);
	tcase_add_test(t, test_elf_rejects_every_truncation_of_a_valid_program);
	tcase_add_test(t, test_elf_rejects_absurd_header_values);
	tcase_add_test(t, test_elf_rejects_absurd_segments);
	tcase_add_test(t, test_elf_rejects_writable_and_executable_segment);
	tcase_add_test(t, test_elf_rejects_executable_stack);
	tcase_add_test(t, test_elf_rejects_bin_true_as_dynamic);
	tcase_add_test(t, test_elf_accepts_real_static_programs);
	suite_add_tcase(s, t);
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
