/*
 * log.h - logging through the owner's callback. Messages carry the function and the
 * offending values (STYLE.md); nothing is formatted above the configured level.
 */
#ifndef UMK_CORE_LOG_H
#define UMK_CORE_LOG_H

#include <umikame/umikame.h>

struct umk_stack;

void umk_log(struct umk_stack *s, int level, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
int umk_log_enabled(const struct umk_stack *s, int level);

#define LOG_ERR(s, fmt, ...)   umk_log(s, UMK_LOG_ERR, "%s: " fmt, __func__, ##__VA_ARGS__)
#define LOG_WARN(s, fmt, ...)  umk_log(s, UMK_LOG_WARN, "%s: " fmt, __func__, ##__VA_ARGS__)
#define LOG_INFO(s, fmt, ...)  umk_log(s, UMK_LOG_INFO, "%s: " fmt, __func__, ##__VA_ARGS__)
#define LOG_DEBUG(s, fmt, ...)                                                         \
	do {                                                                           \
		if (umk_log_enabled(s, UMK_LOG_DEBUG))                                 \
			umk_log(s, UMK_LOG_DEBUG, "%s: " fmt, __func__, ##__VA_ARGS__);  \
	} while (0)

/* Formats an address into a static-free buffer of INET6_ADDRSTRLEN + zone. */
#define ADDRSTRLEN 64
struct in6_addr;
const char *addr_str(const struct in6_addr *a, char buf[ADDRSTRLEN]);

#endif
