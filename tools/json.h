/*
 * json.h - just enough JSON output for `umk -j`: nested arrays and objects with commas kept
 * track of, strings escaped.
 */
#ifndef UMK_TOOLS_JSON_H
#define UMK_TOOLS_JSON_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

struct json {
	FILE *f;
	int depth;
	bool need_comma[16];
};

void json_init(struct json *j, FILE *f);
void json_begin_array(struct json *j, const char *key);   /* key NULL inside an array */
void json_end_array(struct json *j);
void json_begin_object(struct json *j, const char *key);
void json_end_object(struct json *j);
void json_str(struct json *j, const char *key, const char *v);  /* v NULL: null */
void json_int(struct json *j, const char *key, int64_t v);
void json_uint(struct json *j, const char *key, uint64_t v);
void json_bool(struct json *j, const char *key, bool v);
void json_null(struct json *j, const char *key);
/* Ends the document with a newline. */
void json_finish(struct json *j);

#endif
