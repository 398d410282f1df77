#include <curl/curl.h>

/* Typed wrappers over libcurl's variadic calls, which Swift cannot call directly.
   Each passes its argument through unchanged with the type libcurl expects for the option. */

typedef size_t (*lineage_curl_data_callback)(char *buffer, size_t size, size_t count, void *userdata);
typedef int (*lineage_curl_seek_callback)(void *userdata, curl_off_t offset, int origin);

static inline CURLcode lineage_curl_setopt_long(CURL *handle, CURLoption option, long value) {
    return curl_easy_setopt(handle, option, value);
}

static inline CURLcode lineage_curl_setopt_off_t(CURL *handle, CURLoption option, curl_off_t value) {
    return curl_easy_setopt(handle, option, value);
}

static inline CURLcode lineage_curl_setopt_str(CURL *handle, CURLoption option, const char *value) {
    return curl_easy_setopt(handle, option, value);
}

static inline CURLcode lineage_curl_setopt_ptr(CURL *handle, CURLoption option, void *value) {
    return curl_easy_setopt(handle, option, value);
}

static inline CURLcode lineage_curl_setopt_slist(CURL *handle, CURLoption option, struct curl_slist *value) {
    return curl_easy_setopt(handle, option, value);
}

/* CURLOPT_WRITEFUNCTION, CURLOPT_READFUNCTION, CURLOPT_HEADERFUNCTION share this shape. */
static inline CURLcode lineage_curl_setopt_data_callback(CURL *handle, CURLoption option, lineage_curl_data_callback callback) {
    return curl_easy_setopt(handle, option, callback);
}

static inline CURLcode lineage_curl_setopt_seek_callback(CURL *handle, lineage_curl_seek_callback callback) {
    return curl_easy_setopt(handle, CURLOPT_SEEKFUNCTION, callback);
}

static inline CURLcode lineage_curl_getinfo_long(CURL *handle, CURLINFO info, long *value) {
    return curl_easy_getinfo(handle, info, value);
}

static inline CURLcode lineage_curl_getinfo_off_t(CURL *handle, CURLINFO info, curl_off_t *value) {
    return curl_easy_getinfo(handle, info, value);
}

/* Constants defined as macros with casts or expressions Swift does not import. */
static inline size_t lineage_curl_readfunc_abort(void) { return CURL_READFUNC_ABORT; }
static inline int lineage_curl_seekfunc_ok(void) { return CURL_SEEKFUNC_OK; }
static inline int lineage_curl_seekfunc_fail(void) { return CURL_SEEKFUNC_FAIL; }
static inline int lineage_curl_seekfunc_cantseek(void) { return CURL_SEEKFUNC_CANTSEEK; }
static inline long lineage_curl_global_all(void) { return CURL_GLOBAL_ALL; }
