/*
 * test_fuzz_seeds.c - the seed corpora of fuzz_setkey and fuzz_pfkey (fuzz/corpus/, which
 * scripts/test.sh hands to each fuzzer) are valid and agree with each other:
 *   - fuzz/corpus/fuzz_setkey/NAME.conf are setkey(8) files, written by hand; each parses;
 *   - fuzz/corpus/fuzz_pfkey/NAME-I are the PF_KEY v2 messages setkey_parse makes of
 *     statement I of NAME.conf, and getspi-*, register-* (setkey has no such statements)
 *     are made here with wire/pfkey.h; every one parses (pfkey_parse) and a fresh stack
 *     takes each file's messages in order through pfkey_handle without an error.
 * With UMK_WRITE_SEEDS=1 in the environment the fuzz_pfkey files are (re)written from the
 * .conf files instead of compared: that is how they were made.
 *   UMK_WRITE_SEEDS=1 build-x/tests/test_fuzz_seeds
 */
#include <arpa/inet.h>
#include <dirent.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "core/stack_int.h"
#include "ctl/setkey.h"
#include "ipsec/ipsec.h"
#include "wire/pfkey.h"

static char setkey_dir[1100], pfkey_dir[1100];
static bool writing;

/* fuzz/corpus/ from this file's own path (tests/unit/test_fuzz_seeds.c) */
static void find_dirs(void)
{
	char root[1024];
	snprintf(root, sizeof(root), "%s", __FILE__);
	for (int up = 0; up < 3; up++) {
		char *slash = strrchr(root, '/');
		assert_non_null(slash);
		*slash = 0;
	}
	snprintf(setkey_dir, sizeof(setkey_dir), "%s/fuzz/corpus/fuzz_setkey", root);
	snprintf(pfkey_dir, sizeof(pfkey_dir), "%s/fuzz/corpus/fuzz_pfkey", root);
	const char *w = getenv("UMK_WRITE_SEEDS");
	writing = w && *w == '1';
}

static size_t read_file(const char *path, uint8_t *buf, size_t cap)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		fail_msg("cannot open %s", path);
	size_t n = fread(buf, 1, cap, f);
	assert_true(feof(f));
	fclose(f);
	return n;
}

/* Writes the seed, or checks the committed one is the same bytes. */
static void seed(const char *name, const uint8_t *msg, size_t len)
{
	char path[1200];
	snprintf(path, sizeof(path), "%s/%s", pfkey_dir, name);
	if (writing) {
		FILE *f = fopen(path, "wb");
		assert_non_null(f);
		assert_int_equal(fwrite(msg, 1, len, f), len);
		fclose(f);
		return;
	}
	static uint8_t got[8192];
	size_t n = read_file(path, got, sizeof(got));
	if (n != len || memcmp(got, msg, len))
		fail_msg("%s differs from what the generator makes (UMK_WRITE_SEEDS=1)", path);
}

static int last_errno;
static void on_reply(void *ctx, const void *msg, size_t len)
{
	const uint8_t *p = msg;
	(void)ctx;
	if (len >= 16)
		last_errno = p[2];
}

static struct umk_stack *stack(void)
{
	struct umk_stack_config cfg;
	umk_stack_config_defaults(&cfg);
	struct umk_stack *s = umk_stack_new(&cfg, 0);
	assert_non_null(s);
	return s;
}

/* One message: parses, and the stack answers it without an error. */
static void take(struct umk_stack *s, const char *name, const uint8_t *msg, size_t len)
{
	struct pfkey_msg m;
	if (pfkey_parse(msg, len, &m))
		fail_msg("%s: pfkey_parse refuses it", name);
	last_errno = -1;
	pfkey_handle(s, msg, len, on_reply, NULL);
	if (last_errno != 0)
		fail_msg("%s: answered with errno %d", name, last_errno);
	seed(name, msg, len);
}

static int by_name(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static void test_setkey_seeds(void **state)
{
	(void)state;
	find_dirs();
	DIR *d = opendir(setkey_dir);
	assert_non_null(d);
	char *names[64];
	int n = 0;
	for (struct dirent *e; (e = readdir(d));) {
		size_t l = strlen(e->d_name);
		if (l > 5 && !strcmp(e->d_name + l - 5, ".conf") && n < 64)
			names[n++] = strdup(e->d_name);
	}
	closedir(d);
	qsort(names, (size_t)n, sizeof(names[0]), by_name);
	assert_true(n >= 5);
	int messages = 0;
	for (int i = 0; i < n; i++) {
		char path[1200];
		static uint8_t text[16384];
		snprintf(path, sizeof(path), "%s/%s", setkey_dir, names[i]);
		size_t len = read_file(path, text, sizeof(text));
		struct setkey_prog prog = { 0 };
		char err[256] = "";
		if (setkey_parse((const char *)text, len, names[i], &prog, err, sizeof(err)))
			fail_msg("%s", err);
		struct umk_stack *s = stack();
		for (size_t k = 0; k < prog.n; k++) {
			char name[128];
			snprintf(name, sizeof(name), "%.*s-%zu", (int)(strlen(names[i]) - 5),
				 names[i], k);
			take(s, name, prog.cmds[k].msg, prog.cmds[k].len);
			messages++;
		}
		setkey_prog_free(&prog);
		umk_stack_free(s);
		free(names[i]);
	}
	print_message("%d setkey files, %d PF_KEY messages\n", n, messages);
}

/* GETSPI (RFC 2367 3.1.1) and REGISTER (3.1.6), which setkey's language does not say. */
static void test_other_seeds(void **state)
{
	(void)state;
	find_dirs();
	struct umk_stack *s = stack();
	uint8_t buf[512];
	struct pfkey_buf b;
	int len;

	pfkey_buf_init(&b, buf, sizeof(buf));
	struct pfkey_base h = { .type = SADB_REGISTER, .satype = SADB_SATYPE_ESP, .seq = 1,
				.pid = 4242 };
	pfkey_emit_base(&b, &h);
	assert_true((len = pfkey_finish(&b)) > 0);
	take(s, "register-esp", buf, (size_t)len);

	pfkey_buf_init(&b, buf, sizeof(buf));
	h = (struct pfkey_base){ .type = SADB_GETSPI, .satype = SADB_SATYPE_ESP, .seq = 2,
				 .pid = 4242 };
	pfkey_emit_base(&b, &h);
	struct pfkey_address a = { .proto = 255, .prefixlen = 128 };
	inet_pton(AF_INET6, "2001:db8::2", &a.addr);
	pfkey_emit_address(&b, SADB_EXT_ADDRESS_SRC, &a);
	inet_pton(AF_INET6, "2001:db8::1", &a.addr);
	pfkey_emit_address(&b, SADB_EXT_ADDRESS_DST, &a);
	struct pfkey_sa2 sa2 = { .mode = 1, .reqid = 3 };
	pfkey_emit_sa2(&b, &sa2);
	pfkey_emit_spirange(&b, 0x10000, 0x1ffff);
	assert_true((len = pfkey_finish(&b)) > 0);
	take(s, "getspi-esp", buf, (size_t)len);
	umk_stack_free(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_setkey_seeds),
		cmocka_unit_test(test_other_seeds),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
