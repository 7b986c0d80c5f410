/* test_shell.c — fakeos-shell's word splitter (src/shell_words.c) and its
 * search path (src/shell_path.c): the quoting rule of fakeos-shell(1),
 * shell.conf, and which URL a name resolves to. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "shell_path.h"
#include "shell_words.h"

/* Splits s and returns the words joined by '|', or "ERR:" and the errno. */
static const char *split(const char *s)
{
	static char out[512];
	struct shell_words w;
	struct error e = { "" };
	int r = shell_split(s, strlen(s), &w, &e);
	if (r < 0) {
		snprintf(out, sizeof(out), "ERR:%d", -r);
		ck_assert_ptr_null(w.v);
		ck_assert(e.msg[0] != '\0');
		return out;
	}
	out[0] = '\0';
	for (size_t i = 0; i < w.n; i++)
		snprintf(out + strlen(out), sizeof(out) - strlen(out), "%s%s",
			 i ? "|" : "", w.v[i]);
	ck_assert_ptr_null(w.v[w.n]);
	shell_words_free(&w);
	return out;
}

START_TEST(test_split_blanks_separate_words)
{
	ck_assert_str_eq(split("https://h/p a  b\tc"), "https://h/p|a|b|c");
	ck_assert_str_eq(split("   "), "");
	ck_assert_str_eq(split(""), "");
	ck_assert_str_eq(split(" one "), "one");
}
END_TEST

START_TEST(test_split_quotes_and_backslashes)
{
	ck_assert_str_eq(split("a 'two words' b"), "a|two words|b");
	ck_assert_str_eq(split("'it''s'"), "its");
	ck_assert_str_eq(split("\"say \\\"hi\\\" \\\\ \\n\""),
			 "say \"hi\" \\ \\n");
	ck_assert_str_eq(split("'\\'"), "\\");
	ck_assert_str_eq(split("a\\ b c"), "a b|c");
	ck_assert_str_eq(split("x'y z'w"), "xy zw");
	ck_assert_str_eq(split("'' \"\""), "|");
}
END_TEST

START_TEST(test_split_nothing_else_is_special)
{
	ck_assert_str_eq(split("ls; id | cat > f $HOME * ~ `x` $(y) #c"),
			 "ls;|id|||cat|>|f|$HOME|*|~|`x`|$(y)|#c");
}
END_TEST

START_TEST(test_split_refuses_open_quotes_and_control_bytes)
{
	ck_assert_str_eq(split("a 'b"), "ERR:22");
	ck_assert_str_eq(split("a \"b"), "ERR:22");
	ck_assert_str_eq(split("a b\\"), "ERR:22");
	ck_assert_str_eq(split("a\nb"), "ERR:22");
	ck_assert_str_eq(split("a\x1b[2Jb"), "ERR:22");
	ck_assert_str_eq(split("a\x7f"), "ERR:22");
	struct shell_words w;
	struct error e;
	ck_assert_int_eq(shell_split("a\0b", 3, &w, &e), -EINVAL);
}
END_TEST

START_TEST(test_split_bounds_words_and_bytes)
{
	size_t n = 2 * (SHELL_WORDS_MAX + 1);
	char *s = malloc(n + 1);
	for (size_t i = 0; i < n; i += 2)
		memcpy(s + i, "a ", 2);
	s[n] = '\0';
	ck_assert_str_eq(split(s), "ERR:7");
	s[2 * SHELL_WORDS_MAX] = '\0';
	struct shell_words w;
	struct error e;
	ck_assert_int_eq(shell_split(s, strlen(s), &w, &e), 0);
	ck_assert_uint_eq(w.n, SHELL_WORDS_MAX);
	shell_words_free(&w);
	free(s);
	char *big = malloc(SHELL_LINE_MAX + 2);
	memset(big, 'x', SHELL_LINE_MAX + 1);
	big[SHELL_LINE_MAX + 1] = '\0';
	ck_assert_str_eq(split(big), "ERR:7");
	free(big);
}
END_TEST

/* --- the search path ------------------------------------------------------ */

static const char *present; /* the one file:// URL that "exists" */

static bool fake_exists(const char *url, void *arg)
{
	(void)arg;
	return present && strcmp(url, present) == 0;
}

static struct config_list path_of(const char *a, const char *b,
				  const char *c)
{
	struct config_list p = { NULL, 0 };
	struct error e;
	const char *v[] = { a, b, c };
	for (int i = 0; i < 3; i++)
		if (v[i])
			ck_assert_int_eq(shell_path_add(&p, v[i], &e), 0);
	return p;
}

static int resolve(const struct config_list *p, const char *word,
		   char **url)
{
	struct error e = { "" };
	int r = shell_resolve(p, word, fake_exists, NULL, url, &e);
	ck_assert(r == 0 || e.msg[0] != '\0');
	return r;
}

START_TEST(test_resolve_takes_a_url_as_it_is)
{
	struct config_list p = path_of(NULL, NULL, NULL);
	char *url;
	ck_assert_int_eq(resolve(&p, "https://h/bin/x#sha256=" "0000000000000000000000000000000000000000000000000000000000000000",
				 &url), 0);
	ck_assert_str_eq(url, "https://h/bin/x#sha256=0000000000000000000000000000000000000000000000000000000000000000");
	free(url);
	ck_assert_int_eq(resolve(&p, "ftp://h/x", &url), -EINVAL);
	ck_assert_ptr_null(url);
}
END_TEST

START_TEST(test_resolve_name_first_file_base_that_has_it)
{
	struct config_list p = path_of("file:///a", "file:///b/",
				       "https://h/bin");
	char *url;
	present = "file:///b/hello";
	ck_assert_int_eq(resolve(&p, "hello", &url), 0);
	ck_assert_str_eq(url, "file:///b/hello");
	free(url);
	/* No file base has it: the network base, never skipped. */
	present = NULL;
	ck_assert_int_eq(resolve(&p, "hello", &url), 0);
	ck_assert_str_eq(url, "https://h/bin/hello");
	free(url);
	config_list_free(&p);
	/* A network base first wins even where a later file base has it. */
	p = path_of("HTTPS://h/bin/", "file:///b/", NULL);
	present = "file:///b/hello";
	ck_assert_int_eq(resolve(&p, "hello", &url), 0);
	ck_assert_str_eq(url, "https://h/bin/hello");
	free(url);
	config_list_free(&p);
}
END_TEST

START_TEST(test_resolve_a_name_nowhere_is_enoent)
{
	struct config_list p = path_of("file:///a/", NULL, NULL);
	char *url;
	present = NULL;
	ck_assert_int_eq(resolve(&p, "hello", &url), -ENOENT);
	ck_assert_ptr_null(url);
	config_list_free(&p);
	ck_assert_int_eq(resolve(&p, "hello", &url), -ENOENT);
}
END_TEST

START_TEST(test_resolve_refuses_paths_and_shell_words)
{
	struct config_list p = path_of("https://h/", NULL, NULL);
	char *url;
	const char *bad[] = { "/bin/sh", "./x", "..", ".hidden", "a/b",
			      "ls;", "$(id)", "", "-x", "a b" };
	for (size_t i = 0; i < sizeof(bad) / sizeof(*bad); i++)
		ck_assert_msg(resolve(&p, bad[i], &url) == -EPERM, "%s",
			      bad[i]);
	ck_assert_int_eq(resolve(&p, "hello-2.0_x+y", &url), 0);
	free(url);
	config_list_free(&p);
}
END_TEST

START_TEST(test_path_add_checks_bases)
{
	struct config_list p = { NULL, 0 };
	struct error e;
	ck_assert_int_eq(shell_path_add(&p, "/srv/bin", &e), -EINVAL);
	ck_assert_int_eq(shell_path_add(&p, "gopher://h/", &e), -EINVAL);
	ck_assert_int_eq(shell_path_add(&p, "https://h/#sha256=0000000000000000000000000000000000000000000000000000000000000000", &e), -EINVAL);
	for (int i = 0; i < SHELL_PATH_MAX; i++)
		ck_assert_int_eq(shell_path_add(&p, "https://h/", &e), 0);
	ck_assert_int_eq(shell_path_add(&p, "https://h/", &e), -E2BIG);
	config_list_free(&p);
}
END_TEST

static int conf(const char *text, const char *user, struct config_list *out)
{
	struct error e = { "" };
	return shell_conf_parse("shell.conf", text, strlen(text), user, out,
				&e);
}

START_TEST(test_conf_own_line_else_star)
{
	struct config_list p = { NULL, 0 };
	const char *t = "# comment\n\n* https://all/\n"
			"alice file:///srv/a/ 'https://h/b in/'\n";
	ck_assert_int_eq(conf(t, "alice", &p), -EINVAL); /* space in URL */
	t = "# comment\n\n* https://all/\nalice file:///srv/a/ https://h/b\n";
	ck_assert_int_eq(conf(t, "alice", &p), 0);
	ck_assert_uint_eq(p.n, 2);
	ck_assert_str_eq(p.v[0], "file:///srv/a/");
	ck_assert_str_eq(p.v[1], "https://h/b/");
	ck_assert_int_eq(conf(t, "bob", &p), 0);
	ck_assert_uint_eq(p.n, 1);
	ck_assert_str_eq(p.v[0], "https://all/");
	ck_assert_int_eq(conf("alice https://h/\n", "bob", &p), 0);
	ck_assert_uint_eq(p.n, 0);
	ck_assert_int_eq(conf("alice\n", "alice", &p), 0);
	ck_assert_uint_eq(p.n, 0);
	config_list_free(&p);
}
END_TEST

START_TEST(test_conf_refuses_mistakes_on_any_line)
{
	struct config_list p = { NULL, 0 };
	ck_assert_int_eq(conf("* https://h/\n* https://i/\n", "a", &p),
			 -EINVAL);
	ck_assert_int_eq(conf("bob /srv/bin\n", "alice", &p), -EINVAL);
	ck_assert_int_eq(conf("b/c https://h/\n", "alice", &p), -EINVAL);
	ck_assert_int_eq(conf("* 'https://h/\n", "alice", &p), -EINVAL);
	ck_assert_uint_eq(p.n, 0);
}
END_TEST

static Suite *shell_suite(void)
{
	Suite *s = suite_create("shell");
	TCase *t = tcase_create("words");
	tcase_add_test(t, test_split_blanks_separate_words);
	tcase_add_test(t, test_split_quotes_and_backslashes);
	tcase_add_test(t, test_split_nothing_else_is_special);
	tcase_add_test(t, test_split_refuses_open_quotes_and_control_bytes);
	tcase_add_test(t, test_split_bounds_words_and_bytes);
	suite_add_tcase(s, t);
	t = tcase_create("path");
	tcase_add_test(t, test_resolve_takes_a_url_as_it_is);
	tcase_add_test(t, test_resolve_name_first_file_base_that_has_it);
	tcase_add_test(t, test_resolve_a_name_nowhere_is_enoent);
	tcase_add_test(t, test_resolve_refuses_paths_and_shell_words);
	tcase_add_test(t, test_path_add_checks_bases);
	tcase_add_test(t, test_conf_own_line_else_star);
	tcase_add_test(t, test_conf_refuses_mistakes_on_any_line);
	suite_add_tcase(s, t);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(shell_suite());
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
