/*
 * secret.c - the RFC 7217 secret_key: one per machine, kept across restarts so stable
 * interface identifiers stay stable (RFC 7217 5: "the same secret key ... for all
 * interfaces"). Read from UMKD_SECRET_FILE, created 0600 from getrandom() when missing;
 * when it cannot be kept, a random key is used for this run and the log says so.
 */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include "umikamed.h"

static void random_key(uint8_t key[32])
{
	size_t got = 0;
	while (got < 32) {
		ssize_t n = getrandom(key + got, 32 - got, 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		got += (size_t)n;
	}
}

static int read_key(const char *path, uint8_t key[32])
{
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		return -errno;
	uint8_t buf[33];
	ssize_t n = read(fd, buf, sizeof(buf));
	close(fd);
	if (n != 32) {
		explicit_bzero(buf, sizeof(buf));
		return -EINVAL;
	}
	memcpy(key, buf, 32);
	explicit_bzero(buf, sizeof(buf));
	return 0;
}

static int create_key(const char *path, uint8_t key[32])
{
	char dir[256];
	snprintf(dir, sizeof(dir), "%s", path);
	if (mkdir(dirname(dir), 0700) < 0 && errno != EEXIST)
		return -errno;
	random_key(key);
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0)
		return -errno;
	ssize_t n = write(fd, key, 32);
	int e = n == 32 && fsync(fd) == 0 ? 0 : -EIO;
	close(fd);
	if (e)
		unlink(path);
	return e;
}

void secret_key_load(struct daemon *d, const char *path, uint8_t key[32])
{
	int e = read_key(path, key);
	if (e == 0)
		return;
	if (e == -ENOENT) {
		e = create_key(path, key);
		if (e == 0) {
			dlog(d, UMK_LOG_INFO, "created a new secret key in %s", path);
			return;
		}
	}
	random_key(key);
	dlog(d, UMK_LOG_WARN,
	     "cannot use %s (%s): using a random secret key; stable addresses will change "
	     "when umikamed restarts", path, e == -EINVAL ? "not a 32-byte key" : strerror(-e));
}
